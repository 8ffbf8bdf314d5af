// The chat page in a real browser: Debian's headless Chromium driven by playwright-core, against
// the real chat server, which serves the page itself.
//
// Three pages join one room. A message typed in one appears in the others; a whisper shows only
// at its target; joins and leaves show everywhere. A screenshot is kept in
// target/artifacts/chat.png.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { root, Server } from "./support.mjs";

const CHROMIUM = "/usr/bin/chromium";
const WAIT = 5_000;

let server;
let browser;

before(async () => {
  server = await Server.start("chat");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the chat page and joins `room` as `id`; collects the page's errors in `problems`. */
async function openPage(context, room, id, problems) {
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`client ${id}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`client ${id} console: ${message.text()}`);
  });
  await page.goto(server.http("/"));
  await page.fill("#room", room);
  await page.fill("#client-id", String(id));
  await page.click("#join");
  await entry(page, "join", `you joined ${room} as client ${id}`).waitFor({ timeout: WAIT });
  return page;
}

/** The log entries of one kind whose text contains `text`. */
function entry(page, kind, text) {
  return page.locator(`#log li[data-kind="${kind}"]`, { hasText: text });
}

async function say(page, msg, to = "") {
  await page.fill("#to", to);
  await page.fill("#msg", msg);
  await page.press("#msg", "Enter");
}

test("two pages chat in one room; a whisper shows only at its target", async () => {
  const room = `room-${randomUUID().slice(0, 8)}`;
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  try {
    const one = await openPage(context, room, 1, problems);
    const two = await openPage(context, room, 2, problems);
    await entry(one, "join", "client 2 joined").waitFor({ timeout: WAIT });
    const three = await openPage(context, room, 3, problems);
    for (const page of [one, two]) await entry(page, "join", "client 3 joined").waitFor({ timeout: WAIT });
    assert.equal(await one.textContent("#state"), "open");

    // A message typed in one page appears in the others, with its sender.
    await say(one, "Hello from page one!");
    for (const page of [two, three]) {
      const line = entry(page, "message", "Hello from page one!");
      await line.waitFor({ timeout: WAIT });
      assert.equal(await line.locator(".who").textContent(), "client 1");
    }
    const mine = entry(one, "message", "Hello from page one!");
    await mine.waitFor({ timeout: WAIT });
    assert.equal(await mine.locator(".who").textContent(), "you");
    assert.equal(await one.inputValue("#msg"), "", "the message box is cleared after sending");

    await say(two, "Hi one, two here.");
    await entry(one, "message", "Hi one, two here.").waitFor({ timeout: WAIT });

    // A whisper from one to two: two shows it, three does not.
    await say(one, "psst, this is only for two", "2");
    const whisper = entry(two, "whisper", "psst, this is only for two");
    await whisper.waitFor({ timeout: WAIT });
    assert.equal(await whisper.locator(".who").textContent(), "client 1 whispers");
    // One's next message is handled after the whisper: once three has it, three had its chance.
    await say(one, "back to everyone");
    await entry(three, "message", "back to everyone").waitFor({ timeout: WAIT });
    assert.equal(await three.locator("#log li", { hasText: "only for two" }).count(), 0);
    assert.equal(await three.locator('#log li[data-kind="whisper"]').count(), 0);

    // A whisper to nobody: the server's error shows on the sender's page.
    await say(one, "anyone there?", "99");
    await entry(one, "error", "recipient not found").waitFor({ timeout: WAIT });
    // A recipient that is not an integer: the generated client refuses it before sending (the
    // form leaves the checking to it), and the page shows the client's error.
    await say(one, "half a client", "2.5");
    const errors = one.locator('#log li[data-kind="error"]');
    await errors.nth(1).waitFor({ timeout: WAIT });
    const refusal = await errors.nth(1).locator(".text").textContent();
    assert.match(refusal ?? "", /^not sent: \/to: /, refusal ?? "");
    assert.doesNotMatch(refusal ?? "", /recipient not found/);
    assert.equal(await one.locator("#log li", { hasText: "half a client" }).count(), 0, "not shown as sent");
    assert.equal(await one.inputValue("#msg"), "half a client", "a refused message stays in the box");
    assert.equal(await two.locator("#log li", { hasText: "half a client" }).count(), 0);

    // Leaving: the others see it.
    await three.click("#leave");
    for (const page of [one, two]) await entry(page, "leave", "client 3 left").waitFor({ timeout: WAIT });
    assert.equal(await three.textContent("#state"), "offline");

    await say(two, "Tschüss, drei!");
    await entry(one, "message", "Tschüss, drei!").waitFor({ timeout: WAIT });

    const artifacts = path.join(root, "target", "artifacts");
    mkdirSync(artifacts, { recursive: true });
    await one.screenshot({ path: path.join(artifacts, "chat.png"), fullPage: true });
    await two.screenshot({ path: path.join(artifacts, "chat-2.png"), fullPage: true });

    assert.deepEqual(problems, [], "no script errors on the pages");
  } finally {
    await context.close();
  }
});
