// The generated TypeScript client at its edges, against real servers on 127.0.0.1: listeners
// that throw, closing before the first connection, a URL the WebSocket refuses, timers beyond
// what setTimeout holds, a server that ends the session or refuses the client, and requests whose
// payload carries its own id.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket, WebSocketServer } from "ws";

import { buildClient, eventually, Server, sleep } from "./support.mjs";

let basics;
let kraken;
let server;
let chat;

before(async () => {
  basics = await buildClient("edges-basics", "examples/basics/asyncapi.yaml");
  kraken = await buildClient("edges-kraken", "tests/fixtures/kraken-like.yaml");
  server = await Server.start("basics");
  chat = await Server.start("chat");
});

after(async () => {
  await server?.stop();
  await chat?.stop();
});

/** Runs `body` while collecting what listeners throw (the client throws it again on its own turn). */
async function catchingUncaught(body) {
  const thrown = [];
  const listeners = process.listeners("uncaughtException");
  process.removeAllListeners("uncaughtException");
  const collect = (e) => thrown.push(e);
  process.on("uncaughtException", collect);
  try {
    await body(thrown);
  } finally {
    process.off("uncaughtException", collect);
    for (const l of listeners) process.on("uncaughtException", l);
  }
  return thrown;
}

test("a listener that throws stops neither the other listeners nor the client, and its error is reported", async () => {
  const client = await basics.connect(server.ws("/"), { WebSocket });
  try {
    const thrown = await catchingUncaught(async (thrown) => {
      const seen = [];
      client.on("reply", () => {
        throw new Error("listener bug");
      });
      client.on("reply", (m) => seen.push(m.msg));
      const off = client.onState(() => {
        throw new Error("state listener bug");
      });
      client.send.message({ msg: "one" });
      client.send.message({ msg: "two" });
      await eventually(() => seen.length === 2, "both replies at the second listener");
      assert.deepEqual(seen, ["one", "two"]);
      // Requests still get their replies.
      assert.equal((await client.request.echo({ message: "still here" })).message, "still here");
      await eventually(() => thrown.length >= 2, "the listener's errors reported");
      off();
    });
    assert.ok(thrown.every((e) => /listener bug/.test(e.message)), thrown.join("; "));
  } finally {
    client.close();
  }
});

test("close() before the first connection rejects opened() with code closed", async () => {
  const client = new basics.Client(server.ws("/"), { WebSocket });
  const opened = client.opened();
  client.close();
  await assert.rejects(opened, (e) => e instanceof basics.ApiError && e.code === "closed");
  assert.equal(client.state, "closed");
});

test("a URL that the WebSocket refuses fails connect() at once, without retrying", async () => {
  const started = Date.now();
  await assert.rejects(basics.connect("http//not a url", { WebSocket }), (e) => e.code === "closed");
  assert.ok(Date.now() - started < 1_000);
});

test("a timeout beyond what setTimeout holds does not fire at once", async () => {
  const client = await basics.connect(server.ws("/"), { WebSocket });
  await server.pause();
  try {
    let settled = false;
    const asked = client.request.ping({}, { timeout: 2 ** 40 }).finally(() => (settled = true));
    await sleep(300);
    assert.equal(settled, false, "the request settled while the server was paused");
    server.resume();
    assert.equal((await asked).type, "pong");
  } finally {
    server.resume();
    client.close();
  }
});

test("a server that ends the session with 1000 (goodbye) is not reconnected to", async () => {
  const client = await basics.connect(server.ws("/"), { WebSocket, reconnect: { initialDelay: 20 } });
  const states = [];
  client.onState((s) => states.push(s));
  assert.equal((await client.request.goodbye({})).type, "reply");
  await eventually(() => client.state === "closed", "the client closed");
  await sleep(200);
  assert.deepEqual(states, ["closed"]);
  assert.equal(client.lastClose?.code, 1000);
});

test("a server that accepts and then refuses the client gets exponential backoff, not a reconnect storm", async () => {
  // The chat server closes with 1008 when the client id is not an integer.
  const c = new basics.Client(chat.ws("/room/lobby/not-a-number"), {
    WebSocket,
    reconnect: { initialDelay: 50, factor: 2, jitter: 0 },
  });
  let opens = 0;
  c.onState((s) => {
    if (s === "open") opens++;
  });
  await sleep(1_600);
  c.close();
  // 50 + 100 + 200 + 400 + 800 ms: about five attempts in 1.6 s (with a reset backoff: about 30).
  assert.ok(opens >= 2 && opens <= 6, `${opens} connections in 1.6 s`);
  assert.equal(c.lastClose?.code, 1008);
});

/** A real WebSocket server on 127.0.0.1 that reads everything and never answers. */
async function silentServer() {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.on("listening", resolve));
  const frames = [];
  wss.on("connection", (socket) => socket.on("message", (data) => frames.push(String(data))));
  return { url: `ws://127.0.0.1:${wss.address().port}/`, frames, close: () => new Promise((r) => wss.close(r)) };
}

test("a request whose payload declares the id field needs one, and two waiting requests cannot share it", async () => {
  const silent = await silentServer();
  const client = await kraken.connect(silent.url, { WebSocket });
  try {
    // `ping` declares `reqid` itself: for a request the caller chooses it (the type says so too).
    await assert.rejects(client.request.ping({}), (e) => e.code === "missing_id");
    const first = client.request.ping({ reqid: 7 }, { timeout: 300 });
    await assert.rejects(client.request.ping({ reqid: 7 }), (e) => e.code === "duplicate_id");
    // The first one is not lost: it times out as it should.
    await assert.rejects(first, (e) => e.code === "timeout");
    await eventually(() => silent.frames.length === 1, "one frame at the server");
    assert.equal(JSON.parse(silent.frames[0]).reqid, 7);
  } finally {
    client.close();
    await silent.close();
  }
});
