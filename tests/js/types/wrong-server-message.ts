// Listening for a message the server never sends.
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
client.on("shout", (m) => console.log(m)); // error: TS2345 '"shout"' is not assignable
