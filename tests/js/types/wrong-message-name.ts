// A message the server does not receive.
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
client.send.shout({ msg: "hello" }); // error: TS2339 Property 'shout' does not exist
