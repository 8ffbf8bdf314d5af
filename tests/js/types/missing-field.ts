// A payload without a required field.
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
client.send.whisper({ msg: "psst" }); // error: TS2345 Property 'to' is missing
