// The HTML docs in a real browser: Debian's headless Chromium driven by playwright-core opens
// the committed golden of the chat example's docs (tests/fixtures/docs/example-chat/api.html,
// kept fresh by `cargo test -p socketsundso-codegen --test docs`) from a file: URL, with the
// network cut off, and uses its search box. Screenshots are kept in target/artifacts/docs.png
// (the page) and target/artifacts/docs-search.png (after a search).

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { root } from "./support.mjs";

const CHROMIUM = "/usr/bin/chromium";
const PAGE = path.join(root, "tests", "fixtures", "docs", "example-chat", "api.html");
const artifacts = path.join(root, "target", "artifacts");

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

test("the HTML docs work offline, show every message, and search filters them", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
  const problems = [];
  const requests = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("request", (request) => {
      if (!request.url().startsWith("file:")) requests.push(request.url());
    });
    await page.goto(pathToFileURL(PAGE).href);

    // One card per message (two the server receives, four it sends), one for the shared schema
    // and one for the error object.
    assert.equal(await page.locator("article.card.in").count(), 2);
    assert.equal(await page.locator("article.card.out").count(), 4);
    assert.equal(await page.locator("article.card").count(), 8);
    assert.equal(await page.textContent("#client-Whisper .badge"), "client → server");
    assert.equal(await page.textContent("#server-WhisperDelivery .badge"), "server → client");
    // The examples are coloured, and still the same JSON.
    const example = page.locator("#client-Whisper pre code");
    assert.ok((await example.locator("span.j-key").count()) >= 3, "JSON keys are coloured");
    const parsed = JSON.parse(await example.textContent());
    assert.equal(parsed.type, "whisper");

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, "docs.png") });

    // Search: every word must match; the others are hidden, in the page and in the side bar.
    await page.keyboard.press("/");
    await page.keyboard.type("whisper");
    const visible = page.locator("article.card:not(.hidden)");
    await page.waitForFunction(() => document.getElementById("count").textContent !== "");
    assert.deepEqual(await visible.evaluateAll((cards) => cards.map((c) => c.id)), [
      "client-Whisper",
      "server-WhisperDelivery",
    ]);
    assert.equal(await page.textContent("#count"), "2 of 8 match");
    assert.equal(await page.locator("nav.side li:not(.hidden)").count(), 2);
    assert.deepEqual(await page.locator("nav.side h3:not(.hidden)").allTextContents(), [
      "Client → server",
      "Server → client",
    ]);
    await page.screenshot({ path: path.join(artifacts, "docs-search.png") });

    // A field name finds its message; nothing matches nothing.
    await page.fill("#search", "client_id");
    assert.deepEqual(await visible.evaluateAll((cards) => cards.map((c) => c.id)), [
      "server-Join",
      "server-Leave",
    ]);
    await page.fill("#search", "no such thing");
    assert.equal(await visible.count(), 0);
    assert.ok(await page.locator("#empty").isVisible());
    // Escape clears the search.
    await page.press("#search", "Escape");
    assert.equal(await visible.count(), 8);

    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [], "the page fetches nothing");
  } finally {
    await context.close();
  }
});
