// A payload with a field the schema does not have.
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
client.send.whisper({ to: 2, msg: "psst", urgent: true }); // error: TS2353 'urgent' does not exist
