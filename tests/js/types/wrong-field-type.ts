// A field of the wrong type: client ids are integers.
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
client.send.whisper({ to: "bob", msg: "psst" }); // error: TS2322 Type 'string' is not assignable to type 'number'
