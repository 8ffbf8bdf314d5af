// The generated TypeScript client against the real chat server (examples/chat): every message
// type in both directions, rooms, whispers, the server's error for an unknown recipient, and the
// client's own checks.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";

import { buildClient, eventually, Inbox, Server } from "./support.mjs";

/** @type {any} the compiled client.js */
let lib;
/** @type {Server} */
let server;
const clients = [];

before(async () => {
  lib = await buildClient("chat", "examples/chat/asyncapi.yaml");
  server = await Server.start("chat");
});

after(async () => {
  for (const client of clients) client.close();
  await server?.stop();
});

/** The fields of each violation that both sides must agree on, in their order. */
function violations(errors) {
  return errors.map(({ path, kind, message }) => ({ path, kind, message }));
}

const SERVER_TYPES = ["join", "leave", "message", "whisper", "error"];

/**
 * Joins `room` as `id`; returns the client and an inbox of everything it receives.
 *
 * The listeners go on before the connection opens (`new Client`, `on`, then `opened()`), the
 * other way to catch the server's first broadcast (the test at the end shows `await connect`).
 */
async function join(room, id, options = {}) {
  const client = new lib.Client(server.ws(`/room/${encodeURIComponent(room)}/${id}`), {
    WebSocket,
    ...options,
  });
  clients.push(client);
  const inbox = new Inbox(client, SERVER_TYPES);
  await client.opened();
  return { client, inbox };
}

test("joins, messages, whispers and leaves, each seen by exactly the right clients", async () => {
  const room = `room-${randomUUID()}`;
  const alice = await join(room, 1);
  assert.deepEqual(await alice.inbox.take(), { type: "join", client_id: 1 });

  const bob = await join(room, 2);
  for (const who of [alice, bob]) {
    assert.deepEqual(await who.inbox.take((m) => m.type === "join"), { type: "join", client_id: 2 });
  }
  const carol = await join(room, 3);
  for (const who of [alice, bob, carol]) {
    assert.deepEqual(await who.inbox.take((m) => m.type === "join"), { type: "join", client_id: 3 });
  }

  // A message goes to the whole room, the sender included.
  alice.client.send.message({ msg: "hello, room" });
  for (const who of [alice, bob, carol]) {
    assert.deepEqual(await who.inbox.take((m) => m.type === "message"), {
      type: "message",
      sender: 1,
      msg: "hello, room",
    });
  }

  // A whisper reaches its recipient only.
  alice.client.send.whisper({ to: 2, msg: "psst, bob" });
  assert.deepEqual(await bob.inbox.take((m) => m.type === "whisper"), {
    type: "whisper",
    from: 1,
    msg: "psst, bob",
  });
  // Alice's next message is handled after her whisper; once everyone has it, nobody else can
  // still get the whisper.
  alice.client.send.message({ msg: "after the whisper" });
  for (const who of [alice, bob, carol]) {
    await who.inbox.take((m) => m.type === "message" && m.msg === "after the whisper");
  }
  assert.deepEqual(alice.inbox.items, [], "the sender does not get her own whisper");
  assert.deepEqual(carol.inbox.items, [], "a third client does not get the whisper");
  assert.deepEqual(bob.inbox.items, []);

  // Another room hears nothing of this one.
  const other = await join(`${room}-other`, 1);
  assert.deepEqual(await other.inbox.take(), { type: "join", client_id: 1 });
  alice.client.send.message({ msg: "only for my room" });
  await carol.inbox.take((m) => m.msg === "only for my room");
  assert.deepEqual(other.inbox.items, []);

  // Leaving: the others get `leave`.
  bob.client.close();
  for (const who of [alice, carol]) {
    assert.deepEqual(await who.inbox.take((m) => m.type === "leave"), { type: "leave", client_id: 2 });
  }
});

test("a whisper to a client who is not in the room gets the server's error on('error')", async () => {
  const room = `room-${randomUUID()}`;
  const alice = await join(room, 10);
  await alice.inbox.take((m) => m.type === "join");
  alice.client.send.whisper({ to: 99, msg: "anyone?" });
  const error = await alice.inbox.take((m) => m.type === "error", "the error for an unknown recipient");
  assert.equal(error.code, "validation_failed");
  assert.deepEqual(
    error.errors.map(({ path, message }) => ({ path, message })),
    [{ path: "/to", message: "recipient not found" }],
  );
  // Still connected and in the room.
  alice.client.send.message({ msg: "still here" });
  assert.equal((await alice.inbox.take((m) => m.type === "message")).msg, "still here");
});

test("invalid whispers and messages are refused before sending, with the server's violations", async () => {
  const room = `room-${randomUUID()}`;
  const alice = await join(room, 1);
  const raw = await join(room, 2, { validate: false });
  await alice.inbox.take((m) => m.type === "join" && m.client_id === 2);
  await raw.inbox.take((m) => m.type === "join" && m.client_id === 2);
  alice.inbox.items.length = 0;

  const cases = [
    ["whisper", { to: "two", msg: "x" }],
    ["whisper", { to: 2.5, msg: "x" }],
    ["whisper", { msg: "x" }],
    ["whisper", { to: 2, msg: "x", urgent: true }],
    ["message", { msg: null }],
    ["message", { text: "hi" }],
  ];
  for (const [name, payload] of cases) {
    let local;
    assert.throws(
      () => alice.client.send[name](payload),
      (e) => {
        assert.ok(e instanceof lib.ApiError, String(e));
        assert.equal(e.code, "validation_failed");
        local = e;
        return true;
      },
      `send.${name}(${JSON.stringify(payload)})`,
    );
    assert.ok(local.errors.length > 0);
    assert.deepEqual(
      lib.checkClientMessage({ type: name, ...payload })?.errors,
      local.errors,
      "checkClientMessage and send agree",
    );

    // The same message, sent raw, gets the same violations from the server.
    raw.client.send[name](payload);
    const fromServer = await raw.inbox.take((m) => m.type === "error", `the server's error for ${name}`);
    assert.equal(fromServer.code, "validation_failed");
    assert.deepEqual(violations(fromServer.errors), violations(local.errors), `${name} ${JSON.stringify(payload)}`);
  }
  // The raw client's invalid messages reached the server and came back as errors; Alice's never
  // left her client, so the room saw nothing from her.
  alice.client.send.message({ msg: "done" });
  await raw.inbox.take((m) => m.type === "message" && m.msg === "done");
  assert.deepEqual(
    alice.inbox.items.filter((m) => m.type !== "message"),
    [],
  );
});

test("the chat client has no request functions: none of its operations declares a reply", async () => {
  const { client, inbox } = await join(`room-${randomUUID()}`, 1);
  await inbox.take();
  assert.equal(typeof client.send.message, "function");
  assert.equal(typeof client.send.whisper, "function");
  assert.equal(client.request?.message, undefined);
  assert.equal(client.request?.whisper, undefined);
});

test("two clients cannot hold the same id in a room", async () => {
  const room = `room-${randomUUID()}`;
  const first = await join(room, 5);
  await first.inbox.take();
  let second;
  try {
    second = await lib.connect(server.ws(`/room/${room}/5`), { WebSocket, reconnect: false });
    clients.push(second);
    await eventually(() => second.state === "closed", "the server to refuse the second client");
  } catch (error) {
    // Refused before the first open: connect rejects. Either way the id stays with the first.
    assert.ok(error instanceof Error);
  }
  first.client.send.message({ msg: "mine" });
  assert.equal((await first.inbox.take((m) => m.type === "message")).sender, 5);
});

test("a listener added right after `await connect(..)` gets the join broadcast", async () => {
  // The server broadcasts `join` at once; under Node (ws) that frame can arrive with the upgrade
  // response. The client holds such frames for one turn, so the listener is there in time.
  for (let i = 0; i < 10; i++) {
    const client = await lib.connect(server.ws(`/room/${randomUUID()}/1`), { WebSocket });
    clients.push(client);
    const inbox = new Inbox(client, ["join"]);
    await inbox.take(() => true, `the join of attempt ${i}`, 1_000);
    client.close();
  }
});
