// The chat page: joins a room with the TypeScript client generated from examples/chat/asyncapi.yaml
// (web/generated/, written by build.rs) and shows joins, leaves, messages and whispers.
//
// Compiled by tsc into web/dist/ (`npx tsc -p examples/chat/web`); the chat server serves the page
// at `/` and the compiled modules at `/app.js` and `/generated/*.js`.
import { ApiError, connect } from "./generated/client.js";
function element(id, type) {
    const found = document.getElementById(id);
    if (!(found instanceof type))
        throw new Error(`#${id} is missing from the page`);
    return found;
}
const joinForm = element("join-form", HTMLFormElement);
const roomInput = element("room", HTMLInputElement);
const idInput = element("client-id", HTMLInputElement);
const joinButton = element("join", HTMLButtonElement);
const leaveButton = element("leave", HTMLButtonElement);
const compose = element("compose", HTMLFormElement);
const toInput = element("to", HTMLInputElement);
const msgInput = element("msg", HTMLInputElement);
const sendButton = element("send", HTMLButtonElement);
const log = element("log", HTMLUListElement);
const stateBadge = element("state", HTMLSpanElement);
let client = null;
let me = 0;
/** Adds one line to the log: `who` in bold (if any), then the text. */
function show(kind, text, who, mine = false) {
    const item = document.createElement("li");
    item.className = mine ? `${kind} mine` : kind;
    item.dataset["kind"] = kind;
    const time = document.createElement("time");
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    item.append(time);
    if (who !== undefined) {
        const name = document.createElement("span");
        name.className = "who";
        name.textContent = who;
        item.append(name);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.append(body);
    log.append(item);
    log.scrollTop = log.scrollHeight;
}
function name(id) {
    return id === me ? "you" : `client ${id}`;
}
function setConnected(connected) {
    for (const input of [toInput, msgInput, sendButton])
        input.disabled = !connected;
    for (const input of [roomInput, idInput, joinButton])
        input.disabled = connected;
    leaveButton.disabled = !connected;
}
function setState(state) {
    stateBadge.dataset["state"] = state;
    stateBadge.textContent = state === "closed" ? "offline" : state;
}
/** An error object (the server's, or the client's ApiError) as one line: its violations, if any. */
function details(error) {
    if (error.errors.length === 0)
        return error.message;
    return error.errors.map((v) => `${v.path || "the message"}: ${v.message}`).join("; ");
}
function describe(error) {
    if (error instanceof ApiError)
        return details(error);
    return error instanceof Error ? error.message : String(error);
}
async function join(room, id) {
    me = id;
    setState("connecting");
    joinButton.disabled = true;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/room/${encodeURIComponent(room)}/${id}`;
    let joined;
    try {
        joined = await connect(url, { reconnect: { initialDelay: 250, maxDelay: 5000 } });
    }
    catch (error) {
        setState("closed");
        joinButton.disabled = false;
        show("error", `could not join: ${describe(error)}`);
        return;
    }
    client = joined;
    setConnected(true);
    setState(joined.state);
    joined.onState((state) => {
        setState(state);
        if (state === "reconnecting")
            show("status", "connection lost, reconnecting…");
        if (state === "closed")
            setConnected(false);
    });
    joined.on("join", (m) => {
        show("join", m.client_id === me ? `you joined ${room} as client ${me}` : `${name(m.client_id)} joined`);
    });
    joined.on("leave", (m) => show("leave", `${name(m.client_id)} left`));
    joined.on("message", (m) => show("message", m.msg, name(m.sender), m.sender === me));
    joined.on("whisper", (m) => show("whisper", m.msg, `${name(m.from)} whispers`));
    joined.on("error", (e) => show("error", details(e)));
    msgInput.focus();
}
function leave() {
    client?.close();
    client = null;
    setConnected(false);
    setState("closed");
    show("status", "you left the room");
}
function send() {
    if (!client)
        return;
    const msg = msgInput.value;
    if (msg.trim() === "")
        return;
    const to = toInput.value.trim();
    try {
        if (to === "") {
            client.send.message({ msg });
        }
        else {
            // Not checked here: the generated client refuses a recipient that is not an integer with
            // the same error the server would send.
            client.send.whisper({ to: Number(to), msg });
            show("whisper", msg, `you whisper to ${name(Number(to))}`, true);
        }
        msgInput.value = "";
    }
    catch (error) {
        // Refused by the generated client's checks (or not connected): nothing was sent.
        show("error", `not sent: ${describe(error)}`);
    }
}
joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = roomInput.value.trim();
    const id = Number(idInput.value);
    if (room === "" || idInput.value.trim() === "" || !Number.isSafeInteger(id)) {
        show("error", "enter a room and an integer client id");
        return;
    }
    void join(room, id);
});
leaveButton.addEventListener("click", leave);
compose.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
});
// ?room=…&id=… fill in the form; a random id otherwise.
const params = new URLSearchParams(location.search);
roomInput.value = params.get("room") ?? roomInput.value;
idInput.value = params.get("id") ?? String(1 + Math.floor(Math.random() * 999));
