// The generated TypeScript client's outgoing checks on the official JSON Schema Test Suite
// (draft-07, vendored in tests/jsonschema-suite/), as the Rust test `tests/jsonschema_suite.rs`
// runs the server's two paths on it.
//
// Each suite file becomes one AsyncAPI document built exactly as `tests/build/suite.rs` builds it
// (message `g<i>` carries group i's schema as its `value`, objects open); its TypeScript client is
// generated with the CLI and compiled with tsc, and every case goes through `checkClientMessage`:
// the suite's valid data must pass, its invalid data must be refused. The groups the Rust test
// skips (`tests/jsonschema-suite/skipped.txt`: remote references, unchecked formats) are skipped
// here too, and nothing else.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { freshDir, generateTs, root, tsc, writeTsconfig } from "./support.mjs";

const SUITE = path.join(root, "tests", "jsonschema-suite");

/** The suite files the Rust test uses, in its order. */
function suiteFiles() {
  const out = [];
  for (const sub of ["draft7", "draft7/optional", "draft7/optional/format"]) {
    const dir = path.join(SUITE, "tests", sub);
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
      out.push({ file: `${sub}/${name}`, groups: JSON.parse(readFileSync(path.join(dir, name), "utf8")) });
    }
  }
  return out;
}

/** `(file, group index)` pairs of skipped.txt. */
function skipped() {
  const skips = new Set();
  for (const line of readFileSync(path.join(SUITE, "skipped.txt"), "utf8").split("\n")) {
    const m = /^(\S+) #(\d+): (\w+):/.exec(line);
    if (m !== null && m[3] !== "decode") skips.add(`${m[1]}#${m[2]}`);
  }
  return skips;
}

/** Calls `f` on every `$ref` in a schema position, as tests/build/suite.rs visits them. */
function visitRefs(schema, f) {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref") f(schema);
    else if (["properties", "patternProperties", "definitions", "$defs"].includes(key)) {
      if (value && typeof value === "object") for (const child of Object.values(value)) visitRefs(child, f);
    } else if (key === "dependencies") {
      if (value && typeof value === "object") for (const child of Object.values(value)) if (!Array.isArray(child)) visitRefs(child, f);
    } else if (["items", "allOf", "anyOf", "oneOf"].includes(key)) {
      if (Array.isArray(value)) for (const child of value) visitRefs(child, f);
      else visitRefs(value, f);
    } else if (["additionalItems", "additionalProperties", "contains", "propertyNames", "not", "if", "then", "else"].includes(key)) {
      visitRefs(value, f);
    }
  }
}

/** `schema` with every local `$ref` (`#…`) re-rooted at `#<base>`. */
function reroot(schema, base) {
  const copy = structuredClone(schema);
  visitRefs(copy, (holder) => {
    if (typeof holder.$ref === "string" && holder.$ref.startsWith("#")) holder.$ref = `#${base}${holder.$ref.slice(1)}`;
  });
  return copy;
}

function document(file, groups) {
  const messages = {};
  const schemas = {};
  for (const { index, schema } of groups) {
    messages[`g${index}`] = {
      payload: {
        type: "object",
        properties: { type: { const: `g${index}` }, value: { $ref: `#/components/schemas/S${index}` } },
        required: ["type", "value"],
      },
    };
    schemas[`S${index}`] = reroot(schema, `/components/schemas/S${index}`);
  }
  return {
    asyncapi: "3.0.0",
    info: { title: `JSON Schema Test Suite: ${file}`, version: "44401e0c" },
    "x-socketsundso-unknown-fields": "allow",
    "x-socketsundso-id-field": false,
    channels: { suite: { address: "/", messages } },
    operations: { receive: { action: "receive", channel: { $ref: "#/channels/suite" } } },
    components: { schemas },
  };
}

test("the TypeScript checks give the suite's verdict on every case the server's paths run", async () => {
  const skips = skipped();
  const work = freshDir("suite");
  const apis = [];
  for (const { file, groups } of suiteFiles()) {
    const run = groups.map((g, index) => ({ ...g, index })).filter((g) => !skips.has(`${file}#${g.index}`));
    if (run.length === 0) continue;
    const name = file.replace(/[^A-Za-z0-9]+/g, "_");
    const dir = path.join(work, name);
    const spec = path.join(work, `${name}.json`);
    writeFileSync(spec, JSON.stringify(document(file, run), null, 2));
    generateTs(spec, path.join(dir, "src"));
    apis.push({ file, name, dir, groups: run });
  }
  // One tsc run for all of them.
  writeTsconfig(work, { rootDir: ".", outDir: "out" }, apis.flatMap((a) => [`${a.name}/src/api.ts`, `${a.name}/src/client.ts`]));
  writeFileSync(path.join(work, "package.json"), '{"type":"module"}\n');
  const { status, output } = tsc(["-p", work]);
  assert.equal(status, 0, output);

  let passed = 0;
  const wrong = [];
  for (const api of apis) {
    const client = await import(pathToFileURL(path.join(work, "out", api.name, "src", "client.js")).href);
    for (const group of api.groups) {
      for (const c of group.tests) {
        const error = client.checkClientMessage({ type: `g${group.index}`, value: c.data });
        if ((error === null) === c.valid) passed++;
        else wrong.push(`${api.file} #${group.index} (${group.description} / ${c.description}): expected ${c.valid ? "valid" : "invalid"}, got ${error === null ? "valid" : JSON.stringify(error.errors)}`);
      }
    }
  }
  console.log(`# TypeScript checks on the suite: ${passed} passed, ${wrong.length} failed, ${skips.size} groups skipped`);
  assert.ok(passed > 1000, `too few cases ran: ${passed}`);
  assert.deepEqual(wrong, []);
});
