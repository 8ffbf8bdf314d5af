// Every generated TypeScript file must pass `tsc --strict` (with noUncheckedIndexedAccess,
// exactOptionalPropertyTypes, noUnusedLocals and noUnusedParameters): the committed goldens of
// the fixtures (tests/fixtures/ts/<case>/) and the TypeScript of every official AsyncAPI example
// that generates (tests/asyncapi/, the same documents as docs/conformance.md).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

import { binary, freshDir, root, tscAsync, writeTsconfig } from "./support.mjs";

const strictest = {
  noEmit: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  module: "ES2022",
  moduleResolution: "Bundler",
};

test("every TypeScript golden passes tsc --strict", async () => {
  const goldens = path.join(root, "tests", "fixtures", "ts");
  const cases = readdirSync(goldens).filter((d) => statSync(path.join(goldens, d)).isDirectory());
  assert.ok(cases.length >= 20, `the TypeScript goldens are missing (${cases.length} cases)`);
  const files = cases.flatMap((c) => [path.join(goldens, c, "api.ts"), path.join(goldens, c, "client.ts")]);
  const dir = freshDir("goldens");
  writeTsconfig(dir, strictest, files);
  const { status, output } = await tscAsync(["-p", path.join(dir, "tsconfig.json")]);
  assert.equal(status, 0, output);
});

/** The AsyncAPI documents under tests/asyncapi, relative to it. */
function documents(dir, base = dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return documents(full, base);
      return /\.ya?ml$/.test(name) ? [path.relative(base, full)] : [];
    });
}

test("every official AsyncAPI example that generates Rust also generates TypeScript that passes tsc", async () => {
  const corpus = path.join(root, "tests", "asyncapi");
  const out = freshDir("conformance");
  const generated = [];
  const failed = [];
  for (const doc of documents(corpus)) {
    const dir = path.join(out, doc.replace(/[/.]/g, "_"));
    const result = spawnSync(binary("socketsundso"), ["generate", path.join(corpus, doc), "--ts", dir, "--rust", path.join(dir, "api.rs")], {
      encoding: "utf8",
    });
    if (result.status === 0) generated.push(dir);
    else failed.push(doc);
  }
  // The same split as docs/conformance.md (its summary table): 48 documents generate, 11 fail with a diagnostic.
  const table = (await import("node:fs")).readFileSync(path.join(root, "docs", "conformance.md"), "utf8");
  const expected = Number(/\| generate \| (\d+) \|/.exec(table)?.[1]);
  assert.equal(generated.length, expected, `documents that generate; these did not: ${failed.join(", ")}`);
  const files = generated.flatMap((d) => [path.join(d, "api.ts"), path.join(d, "client.ts")]);
  writeTsconfig(out, strictest, files);
  const { status, output } = await tscAsync(["-p", path.join(out, "tsconfig.json")]);
  assert.equal(status, 0, output);
});
