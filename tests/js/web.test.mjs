// The chat page's committed files are up to date, and the chat server serves them.
//
// examples/chat/web/generated/ holds the TS client that build.rs generates from asyncapi.yaml, and
// examples/chat/web/dist/ what tsc makes of it and app.ts. Both are committed, so that
// `cargo run -p example-chat` serves the page without node. These tests fail when either is stale.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { freshDir, generateTs, root, Server, tsc } from "./support.mjs";

const web = path.join(root, "examples", "chat", "web");

/** Every file under `dir`, as sorted paths relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)))
    .sort();
}

function sameFiles(committed, fresh, fix) {
  assert.deepEqual(files(committed), files(fresh), `the files in ${path.relative(root, committed)}; ${fix}`);
  for (const file of files(fresh)) {
    const old = readFileSync(path.join(committed, file), "utf8").split("\n");
    const now = readFileSync(path.join(fresh, file), "utf8").split("\n");
    const line = now.findIndex((text, i) => old[i] !== text);
    if (line >= 0 || old.length !== now.length) {
      const at = line >= 0 ? line : Math.min(old.length, now.length);
      assert.fail(
        `${path.relative(root, path.join(committed, file))} is stale; ${fix}\n` +
          `first difference at line ${at + 1}:\n  committed: ${old[at]}\n  now:       ${now[at]}`,
      );
    }
  }
}

test("web/generated is what the generator makes of examples/chat/asyncapi.yaml now", () => {
  const fresh = freshDir("web-generated");
  generateTs("examples/chat/asyncapi.yaml", fresh);
  sameFiles(path.join(web, "generated"), fresh, "run `cargo build -p example-chat` (build.rs writes it)");
});

test("web/dist is what tsc makes of web/app.ts and web/generated now", () => {
  const fresh = freshDir("web-dist");
  const { status, output } = tsc(["-p", web, "--outDir", fresh]);
  assert.equal(status, 0, `tsc -p examples/chat/web:\n${output}`);
  sameFiles(path.join(web, "dist"), fresh, "run `npx tsc -p examples/chat/web` and commit dist/");
});

let server;
before(async () => {
  server = await Server.start("chat");
});
after(async () => {
  await server?.stop();
});

test("the chat server serves the page and its modules", async () => {
  const page = await fetch(server.http("/"));
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  const html = await page.text();
  assert.equal(html, readFileSync(path.join(web, "index.html"), "utf8"));
  assert.match(html, /<script type="module" src="\/app\.js">/);

  // Every compiled module is served at its path under dist/, and whatever a module imports is
  // one of them.
  const compiled = files(path.join(web, "dist")).map((f) => `/${f.split(path.sep).join("/")}`);
  assert.ok(compiled.includes("/app.js"), compiled.join(", "));
  for (const url of compiled) {
    const response = await fetch(server.http(url));
    assert.equal(response.status, 200, url);
    assert.match(response.headers.get("content-type") ?? "", /^text\/javascript/, url);
    const text = await response.text();
    assert.equal(text, readFileSync(path.join(web, "dist", url), "utf8"), url);
    const imports = text.matchAll(/^\s*(?:import|export)\b[^;"]*?\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm);
    for (const [, from, bare] of imports) {
      const specifier = from ?? bare;
      const target = new URL(specifier, `http://page${url}`).pathname;
      assert.ok(compiled.includes(target), `${url} imports ${specifier}, which is not served`);
    }
  }
  const missing = await fetch(server.http("/nothing-here.js"));
  assert.equal(missing.status, 404);
});
