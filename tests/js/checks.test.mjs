// The generated TypeScript client refuses exactly what the server refuses, with the same error
// object: same code, same message, same violations (path, kind, message) in the same order.
//
// The messages are the keyword fixtures of tests/tests/validation.rs (every raw `{"type":...}`
// string in it that is JSON), plus mechanical mutations of each: every field removed, every value
// replaced by values of every JSON type, an unknown field added to every object, and text the
// server's JSON parser refuses (unpaired surrogates, nesting too deep). Each one is
// checked by the generated client (`checkClientMessage`) and decoded by the server's own
// `socketsundso::decode` (the `decode-frames` binary of socketsundso-tests), from the same text.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { binary, freshDir, root, run, tsc, writeTsconfig } from "./support.mjs";

/** The fixtures whose goldens are compared, and the seeds each one gets. */
const APIS = ["keywords", "open-objects", "example-basics", "example-chat"];

/** Compiles the TypeScript golden of `name` to JavaScript and imports its client. */
async function loadClient(name) {
  const dir = freshDir("checks", name);
  const golden = path.join(root, "tests", "fixtures", "ts", name);
  for (const file of ["api.ts", "client.ts"]) {
    writeFileSync(path.join(dir, file), readFileSync(path.join(golden, file)));
  }
  writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n');
  writeTsconfig(dir, { outDir: path.join(dir, "out"), rootDir: dir });
  const { status, output } = tsc(["-p", path.join(dir, "tsconfig.json")]);
  assert.equal(status, 0, output);
  writeFileSync(path.join(dir, "out", "package.json"), '{"type":"module"}\n');
  return import(pathToFileURL(path.join(dir, "out", "client.js")).href);
}

/** The raw JSON messages of tests/tests/validation.rs. */
function keywordSeeds() {
  const text = readFileSync(path.join(root, "tests", "tests", "validation.rs"), "utf8");
  const seeds = [];
  for (const [, raw] of text.matchAll(/r#"(\{"type":.*?)"#/g)) {
    try {
      seeds.push(JSON.parse(raw));
    } catch {
      // Not JSON on purpose (the tests of invalid JSON): nothing a client could send.
    }
  }
  return seeds;
}

const BASICS_SEEDS = [
  { type: "ping" },
  { type: "message", msg: "hi" },
  { type: "message", msg: "hi", id: 7 },
  { type: "echo", message: "x", id: "a" },
  { type: "time" },
  { type: "goodbye" },
  { type: "nope" },
  { type: 3 },
  {},
];

const CHAT_SEEDS = [
  { type: "message", msg: "hello" },
  { type: "whisper", to: 2, msg: "psst", id: 1 },
  { type: "whisper", to: 2.5, msg: "psst" },
];

/**
 * Values of every JSON type, for replacing a value with. Integers stay within 2^53: beyond it
 * JavaScript has no exact integers, and the server's own 64-bit limit for `type: integer` is a
 * separate matter (its Rust types are narrower than the schema there).
 */
const REPLACEMENTS = [null, true, 0, -1, 1.5, 4294967296.5, -9007199254740991, "", "x", "2026-01-01T00:00:00Z", [], [1, "a"], {}, { k: 1 }];

/** Values the server's JSON parser refuses: unpaired surrogates, and nesting beyond its limit. */
const NOT_JSON = ["\ud800", "é\udc00x", "\ud83d\ud83d", JSON.parse("[".repeat(130) + "]".repeat(130))];

/** The message with one change at each place, and the message itself. `closed`: whether the
 * API's top-level objects refuse unknown fields (see NOT_JSON below). */
function mutations(message, closed) {
  const out = [message];
  const walk = (value, set, depth) => {
    if (depth > 3) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        for (const r of REPLACEMENTS) set(value.map((x, j) => (j === i ? r : x)));
        set(value.filter((_, j) => j !== i));
        walk(item, (v) => set(value.map((x, j) => (j === i ? v : x))), depth + 1);
      });
      set([...value, ...value]);
    } else if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        const { [key]: _removed, ...rest } = value;
        set(rest);
        for (const r of REPLACEMENTS) set({ ...value, [key]: r });
        walk(value[key], (v) => set({ ...value, [key]: v }), depth + 1);
      }
      set({ ...value, zz_unknown: 1 });
      // Not into objects that let unknown fields through: the server's fast path skips such a
      // field unread, so it accepts what it would call "not JSON" anywhere else (the README's
      // known limitations say so); the client refuses it.
      if (closed && depth === 0 && value.type !== "open") for (const bad of NOT_JSON) set({ ...value, zz_bad: bad });
    }
  };
  walk(message, (m) => out.push(m), 0);
  return out;
}

test("the TypeScript checks and the server list the same violations for every message", async () => {
  run("cargo", ["build", "--quiet", "-p", "socketsundso-tests", "--bin", "decode-frames"]);
  const seeds = {
    keywords: keywordSeeds(),
    "open-objects": keywordSeeds(),
    "example-basics": BASICS_SEEDS,
    "example-chat": CHAT_SEEDS,
  };
  assert.ok(seeds.keywords.length >= 80, `the keyword fixtures are missing (${seeds.keywords.length})`);

  const cases = [];
  for (const api of APIS) {
    const client = await loadClient(api);
    const seen = new Set();
    for (const seed of seeds[api]) {
      for (const message of mutations(seed, api !== "open-objects")) {
        const frame = JSON.stringify(message);
        if (seen.has(frame)) continue;
        seen.add(frame);
        cases.push({ api, frame, client: client.checkClientMessage(JSON.parse(frame)) });
      }
    }
  }
  const input = cases.map(({ api, frame }) => JSON.stringify({ api, frame })).join("\n");
  const result = spawnSync(binary("decode-frames"), [], { input, encoding: "utf8", maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr);
  const answers = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.equal(answers.length, cases.length);

  const mismatches = [];
  let rejected = 0;
  cases.forEach((c, i) => {
    const server = answers[i];
    if (server !== null) rejected++;
    try {
      assert.deepEqual(c.client, server);
    } catch {
      mismatches.push({ api: c.api, frame: c.frame, client: c.client, server });
    }
  });
  const report = mismatches
    .slice(0, 8)
    .map((m) => `${m.api}: ${m.frame}\n  client: ${JSON.stringify(m.client)}\n  server: ${JSON.stringify(m.server)}`)
    .join("\n");
  console.log(`# ${cases.length} messages, ${rejected} rejected by the server, ${mismatches.length} disagreements`);
  assert.ok(rejected > cases.length / 2, "most mutations should be invalid");
  assert.ok(cases.length - rejected > 50, "some messages should be valid");
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${cases.length} messages disagree:\n${report}`);
});
