// The TypeScript snippets of README.md compile against the clients they are written for (the
// basics example, or the chat example when they use a `/room/` URL), under the strict settings.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { freshDir, generateTs, root, tsc, writeTsconfig } from "./support.mjs";

test("every TypeScript snippet of the README compiles against its generated client", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(snippets.length >= 2, `the README's TypeScript snippets are missing (${snippets.length})`);
  snippets.forEach((snippet, i) => {
    const example = snippet.includes("/room/") ? "chat" : "basics";
    const dir = freshDir("readme", String(i));
    generateTs(`examples/${example}/asyncapi.yaml`, dir);
    // The snippets import the client from where a project would keep it.
    const code = snippet.replace(/from "\.\/(?:generated\/)?client\.js"/g, 'from "./client.js"');
    // Top-level await and `ws` need a module that Node resolves: write it as one.
    writeFileSync(path.join(dir, "snippet.ts"), `${code}\nexport {};\n`);
    writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n');
    writeTsconfig(dir, {
      noEmit: true,
      types: ["node"],
      typeRoots: [path.join(root, "node_modules", "@types")],
      baseUrl: dir,
      paths: { ws: [path.join(root, "node_modules", "@types", "ws")] },
    });
    const { status, output } = tsc(["-p", dir]);
    assert.equal(status, 0, `README snippet ${i + 1} (${example}):\n${code}\n${output}`);
  });
});
