// Reading a field that the delivered whisper does not have (it has `from`, not `sender`).
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
client.on("whisper", (m) => console.log(m.sender)); // error: TS2339 Property 'sender' does not exist
