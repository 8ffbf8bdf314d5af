// Reading a field that the typed reply does not have: ping's reply is a Pong with `time`.
import { connect } from "./basics/client.js";

const client = await connect("ws://127.0.0.1:8080/");
const pong = await client.request.ping({});
console.log(pong.msg); // error: TS2339 Property 'msg' does not exist
