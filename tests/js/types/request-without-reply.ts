// Awaiting a reply from an operation that declares none: chat's `message` is fire and forget.
import { connect } from "./chat/client.js";

const client = await connect("ws://127.0.0.1:8080/room/lobby/1");
await client.request.message({ msg: "hi" }); // error: TS2339 Property 'message' does not exist
