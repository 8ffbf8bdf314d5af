// Binary frames (tests/asyncapi/socketsundso/speech.yaml), with the generated TypeScript client
// against the real server (the `fixture-servers` binary, /v1/listen) on 127.0.0.1: audio goes
// up as binary frames (a Uint8Array, an ArrayBuffer, a Blob), JSON transcripts come down, and
// `Speak` is answered with audio that arrives as Uint8Arrays on `on("speech")`.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";

import { buildClient, Server } from "./support.mjs";

let speech;
let server;

before(async () => {
  speech = await buildClient("speech", "tests/asyncapi/socketsundso/speech.yaml");
  server = await Server.start("fixture-servers");
});

after(async () => {
  await server?.stop();
});

/** The next `count` messages of `type`, within 5 s. */
function next(client, type, count = 1) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const timer = setTimeout(() => reject(new Error(`${seen.length} of ${count} ${type} within 5 s`)), 5_000);
    const off = client.on(type, (message) => {
      seen.push(message);
      if (seen.length < count) return;
      clearTimeout(timer);
      off();
      resolve(count === 1 ? seen[0] : seen);
    });
  });
}

test("audio goes up as binary frames, in any of its forms, and transcripts come down", async () => {
  const client = await speech.connect(server.ws("/v1/listen"), { WebSocket, reconnect: false });
  try {
    client.send.configure({ sample_rate: 16000, interim_results: true });
    let results = next(client, "Results");
    client.send.audio(new Uint8Array(3200));
    assert.equal((await results).channel.alternatives[0].transcript, "3200 bytes");
    results = next(client, "Results");
    client.send.audio(new ArrayBuffer(800));
    assert.equal((await results).channel.alternatives[0].transcript, "4000 bytes");
    results = next(client, "Results");
    client.send.audio(new Blob([new Uint8Array(1000)]));
    assert.equal((await results).channel.alternatives[0].transcript, "5000 bytes");
    const metadata = next(client, "Metadata");
    client.send.closeStream({});
    assert.equal((await metadata).duration, 5000 / 32000);
  } finally {
    client.close();
  }
});

test("anything but bytes given to send.audio is refused, and nothing is sent", async () => {
  const client = await speech.connect(server.ws("/v1/listen"), { WebSocket, reconnect: false });
  try {
    client.send.configure({ sample_rate: 16000, interim_results: true });
    for (const wrong of ['{"type":"Configure","sample_rate":8000}', "abc", 5, null, { bytes: [1, 2] }]) {
      assert.throws(
        () => client.send.audio(wrong),
        (error) =>
          error.name === "ApiError" &&
          error.code === "validation_failed" &&
          error.message.includes("`audio` is a binary message") &&
          error.errors.length === 1 &&
          error.errors[0].path === "",
        JSON.stringify(wrong),
      );
    }
    // The first audio the server counts is this one: none of the above reached it.
    const results = next(client, "Results");
    client.send.audio(new Uint8Array(10));
    assert.equal((await results).channel.alternatives[0].transcript, "10 bytes");
  } finally {
    client.close();
  }
});

test("speak is answered with binary frames, delivered as Uint8Arrays", async () => {
  const client = await speech.connect(server.ws("/v1/listen"), { WebSocket, reconnect: false });
  try {
    const audio = next(client, "speech", 2);
    client.send.speak({ text: "Hello!" });
    const [first, second] = await audio;
    assert.ok(first instanceof Uint8Array && second instanceof Uint8Array);
    assert.deepEqual([...first], [0xff, 0xfb]);
    assert.equal(new TextDecoder().decode(second), "ID3Hello!");
    // No request method: binary frames carry no id to match a reply by.
    assert.deepEqual(Object.keys(client.request), []);
  } finally {
    client.close();
  }
});
