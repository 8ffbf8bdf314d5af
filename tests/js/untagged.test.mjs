// Messages without a tag (tests/fixtures/untagged.yaml), with the generated TypeScript client
// against the real server (the `fixture-servers` binary, /ingest) on 127.0.0.1: the client sends
// arrays, strings, integers and untagged objects as they are, routes what the server sends by
// its shape, and refuses a bad message with the very error object the server sends for it.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { buildClient, Server } from "./support.mjs";

let ingest;
let server;

before(async () => {
  ingest = await buildClient("untagged", "tests/fixtures/untagged.yaml");
  server = await Server.start("fixture-servers");
});

after(async () => {
  await server?.stop();
});

/** The next message of `type`, within 5 s. */
function next(client, type) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within 5 s`)), 5_000);
    const off = client.on(type, (message) => {
      clearTimeout(timer);
      off();
      resolve(message);
    });
  });
}

test("untagged messages go out as they are and come back routed by their shape", async () => {
  const client = await ingest.connect(server.ws("/ingest"), { WebSocket, reconnect: false });
  try {
    let readings = next(client, "readings");
    let ack = next(client, "ack");
    client.send.samples([20.5, 21, 20.75]);
    assert.deepEqual(await readings, [{ sensor: "t1", value: 20.75 }]);
    assert.equal(await ack, 3);

    const alert = next(client, "alert");
    client.send.note("door open");
    assert.deepEqual(await alert, { alert: "noted: door open", level: "info" });

    ack = next(client, "ack");
    client.send.sequence(17);
    assert.equal(await ack, 17);

    // Untagged objects, told apart by the property each requires; the reply is tagged.
    let welcome = next(client, "welcome");
    client.send.login({ user: "ada", password: "pw" });
    assert.deepEqual(await welcome, { type: "welcome", session: "s-for-ada" });
    welcome = next(client, "welcome");
    client.send.resume({ session: "s-4" });
    assert.deepEqual(await welcome, { type: "welcome", session: "s-4" });

    // Tagged messages work as before beside them.
    readings = next(client, "readings");
    client.send.subscribe({ sensors: ["a", "b"] });
    assert.deepEqual(await readings, [
      { sensor: "a", value: 0.5 },
      { sensor: "b", value: 0.5 },
    ]);
    // No request methods: a reply to an untagged message has no id to be matched by.
    assert.deepEqual(Object.keys(client.request), []);
  } finally {
    client.close();
  }
});

/** What the server answers to one raw frame: its error object, or `null` when it takes the frame (it then replies or pushes). */
async function serverAnswer(text) {
  const ws = new WebSocket(server.ws("/ingest"));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  try {
    const reply = new Promise((resolve) => ws.once("message", (data) => resolve(JSON.parse(data.toString()))));
    ws.send(text);
    const answer = await Promise.race([reply, new Promise((resolve) => setTimeout(() => resolve(undefined), 300))]);
    return answer !== undefined && answer !== null && typeof answer === "object" && answer.type === "error" ? answer : null;
  } finally {
    ws.close();
  }
}

test("the client's checks of untagged messages give the server's own error objects", async () => {
  const frames = [
    [20.5, 21],
    [],
    [1, "two", 3, null],
    "a note",
    "x".repeat(281),
    42,
    7.0,
    -3,
    2.5,
    true,
    null,
    { user: "ada", password: "pw" },
    { id: 4, user: "", password: "pw", admin: true },
    { session: "s-9" },
    { session: "x" },
    { password: "pw" },
    { type: "login", user: "ada", password: "pw" },
    { type: "subscribe", sensors: ["t1"] },
    { type: "subscribe", sensors: "t1" },
  ];
  for (const frame of frames) {
    const expected = await serverAnswer(JSON.stringify(frame));
    assert.deepEqual(ingest.checkClientMessage(frame), expected, JSON.stringify(frame));
  }
});

test("a message without a tag goes out only as itself, never as another one its value fits (untagged-only.yaml)", async () => {
  const feed = await buildClient("untagged-only", "tests/fixtures/untagged-only.yaml");
  const client = await feed.connect(server.ws("/feed"), { WebSocket, reconnect: false });
  try {
    const refused = (send) => {
      try {
        send();
      } catch (e) {
        assert.ok(e instanceof feed.ApiError, String(e));
        return e.error;
      }
      assert.fail("sent");
    };
    // NaN and Infinity are `null` in JSON: that is a reset, not a level.
    for (const bad of [NaN, Infinity, -Infinity]) {
      const error = refused(() => client.send.level(bad));
      assert.equal(error.code, "validation_failed");
      assert.deepEqual(
        error.errors.map((e) => [e.path, e.kind]),
        [["", "type"]],
        JSON.stringify(error),
      );
    }
    // Values of another message's shape are refused as this one's.
    assert.equal(refused(() => client.send.ping(true)).errors[0].kind, "const");
    assert.equal(refused(() => client.send.reset(3)).errors[0].kind, "type");
    assert.equal(refused(() => client.send.pause(null)).errors[0].kind, "type");
    // None of that reached the server: the next messages answer these.
    const pong = next(client, "pong");
    client.send.ping("ping");
    assert.equal(await pong, "pong");
    let seen = next(client, "seen");
    client.send.level(0.5);
    assert.equal(await seen, 1);
    seen = next(client, "seen");
    client.send.reset(null);
    assert.equal(await seen, 3);
    // Told apart by the property each requires, though the `state` it gets declares both.
    const state = next(client, "state");
    client.send.resume({ session: "s-2" });
    assert.deepEqual(await state, { user: "ada", session: "s-2" });
    // An `allOf` of an array schema and a size limit arrives as an array.
    const tickers = next(client, "tickers");
    client.send.subscribe(["BTC-USD"]);
    assert.deepEqual(await tickers, [{ s: "BTC-USD", p: 1.5 }]);
  } finally {
    client.close();
  }
});
