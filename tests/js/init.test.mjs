// The project that `socketsundso init` writes: the TypeScript snippet of its README compiles
// against the client generated from its asyncapi.yaml, under the strict settings. (The Rust side,
// building and running the project, is cli/tests/init.rs.)

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { binary, freshDir, root, run, tsc, writeTsconfig } from "./support.mjs";

test("the README of a new project has TypeScript that compiles against its client", () => {
  const dir = path.join(freshDir("init"), "my-api");
  run(binary("socketsundso"), ["init", dir]);
  const web = path.join(dir, "web");
  run(binary("socketsundso"), ["generate", path.join(dir, "asyncapi.yaml"), "--ts", path.join(web, "generated")]);
  const readme = readFileSync(path.join(dir, "README.md"), "utf8");
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(snippets.length, 1, "one TypeScript snippet");
  // The README's snippet lives in web/, beside generated/.
  writeFileSync(path.join(web, "main.ts"), `${snippets[0]}\nexport {};\n`);
  writeFileSync(path.join(web, "package.json"), '{"type":"module"}\n');
  writeTsconfig(web, { noEmit: true, lib: ["ES2022", "DOM"], types: [] });
  const { status, output } = tsc(["-p", web]);
  assert.equal(status, 0, `${snippets[0]}\n${output}`);

  // A wrong field does not compile.
  writeFileSync(path.join(web, "main.ts"), `${snippets[0].replace('{ name: "Ada" }', "{ nmae: 'Ada' }")}\nexport {};\n`);
  const wrong = tsc(["-p", web]);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.output, /nmae/);
});
