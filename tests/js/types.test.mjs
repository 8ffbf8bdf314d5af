// Type errors in front-end code fail tsc: a wrong field, a missing field, a wrong message name.
//
// Each file in tests/js/types/ is compiled with `tsc --noEmit` (the strict base settings) next to
// the TS clients generated for examples/basics and examples/chat, in one tsc run. ok.ts must have
// no error; every other file marks one line with `// error: TSxxxx <text>`, and tsc must report
// exactly that error in it, on that line, and nothing else.

import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, test } from "node:test";

import { freshDir, generateTs, root, tscAsync, writeTsconfig } from "./support.mjs";

const cases = path.join(root, "tests", "js", "types");
let dir;

before(() => {
  dir = freshDir("types");
  generateTs("examples/basics/asyncapi.yaml", path.join(dir, "basics"));
  generateTs("examples/chat/asyncapi.yaml", path.join(dir, "chat"));
});

/** The one `// error: TSxxxx text` marker of a case file: { line, code, text }. */
function expectation(file) {
  const lines = readFileSync(path.join(cases, file), "utf8").split("\n");
  const marked = lines
    .map((text, index) => ({ match: /\/\/ error: (TS\d+) (.+)$/.exec(text), line: index + 1 }))
    .filter(({ match }) => match);
  assert.ok(marked.length <= 1, `${file} marks at most one error`);
  const [first] = marked;
  return first ? { line: first.line, code: first.match[1], text: first.match[2] } : null;
}

const files = readdirSync(cases).filter((f) => f.endsWith(".ts")).sort();

/**
 * Runs `tsc --noEmit` once over every case file (each is its own module, so they do not see each
 * other) and returns its errors as { file, line, code, message }, with tsc's whole output.
 */
async function checkAll() {
  for (const file of files) copyFileSync(path.join(cases, file), path.join(dir, file));
  const config = writeTsconfig(dir, { noEmit: true }, files);
  const { status, output } = await tscAsync(["-p", config, "--pretty", "false"]);
  const errors = [...output.matchAll(/^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: path.basename(m[1]),
    line: Number(m[2]),
    code: m[4],
    message: m[5],
  }));
  return { status, output, errors };
}

let result;
before(async () => {
  result = await checkAll();
});

test("the case files are there", () => {
  assert.ok(files.includes("ok.ts"));
  assert.ok(files.length >= 6, files.join(", "));
});

test("the generated clients themselves pass tsc --strict", () => {
  const inGenerated = result.errors.filter((e) => !files.includes(e.file));
  assert.deepEqual(inGenerated, [], result.output);
});

for (const file of files) {
  test(`tsc --noEmit ${file}`, () => {
    const expected = expectation(file);
    const errors = result.errors.filter((e) => e.file === file);
    // tsc's lines for this file: the error line and the indented lines that continue it.
    const output = result.output
      .split(/\n(?=\S)/)
      .filter((chunk) => path.basename(chunk.split("(")[0] ?? "") === file)
      .join("\n");
    if (!expected) {
      assert.deepEqual(errors, [], `${file} must compile:\n${output}`);
      return;
    }
    assert.equal(errors.length, 1, `exactly one error in ${file}:\n${output || result.output}`);
    const [error] = errors;
    assert.equal(error.line, expected.line, output);
    assert.equal(error.code, expected.code, output);
    assert.ok(
      output.includes(expected.text),
      `tsc's error on ${file}:${expected.line} mentions ${JSON.stringify(expected.text)}:\n${output}`,
    );
  });
}

test("tsc fails as a whole, as a build would", () => {
  assert.notEqual(result.status, 0);
});
