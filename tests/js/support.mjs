// Shared helpers of the JS tests: the repo's paths, the CLI and tsc, and the real example servers.
//
// Nothing here fakes a server: `startServer` runs the example binaries that `scripts/test` built
// (`cargo build -p example-chat -p example-basics -p socketsundso-cli`) on 127.0.0.1.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository's root directory. */
export const root = fileURLToPath(new URL("../../", import.meta.url));

/** Where the tests write what they generate and compile (under target/, git-ignored). */
export const work = path.join(root, "target", "js-tests");

/** A binary of the workspace's debug build. */
export function binary(name) {
  return path.join(root, "target", "debug", name);
}

const tscBin = path.join(root, "node_modules", "typescript", "bin", "tsc");

/** Runs a command to its end; throws with its output when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8", ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${result.status}\n${result.stdout}${result.stderr}`,
    );
  }
  return result;
}

/** Runs tsc with these arguments and returns { status, output } without throwing. */
export function tsc(args, options = {}) {
  const result = spawnSync(process.execPath, [tscBin, ...args], {
    cwd: root,
    encoding: "utf8",
    ...options,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Async tsc, so that several type checks can run side by side. */
export function tscAsync(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tscBin, ...args], { cwd: root, ...options });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** A fresh, empty directory under target/js-tests. */
export function freshDir(...parts) {
  const dir = path.join(work, ...parts);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `socketsundso generate <spec> --ts <dir>`: writes <dir>/api.ts and <dir>/client.ts. */
export function generateTs(spec, dir) {
  run(binary("socketsundso"), ["generate", path.resolve(root, spec), "--ts", dir]);
}

/** Writes a tsconfig (default tsconfig.json) into `dir` that extends the repo's strict base settings. */
export function writeTsconfig(dir, compilerOptions, files, name = "tsconfig.json") {
  const config = {
    extends: path.join(root, "tsconfig.base.json"),
    compilerOptions,
    ...(files ? { files } : { include: ["**/*.ts"] }),
  };
  const file = path.join(dir, name);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * Generates the TS client for `spec` into target/js-tests/<name>/src, compiles it with tsc (strict
 * base settings) into target/js-tests/<name>/dist, and imports the compiled client.js.
 */
export async function buildClient(name, spec) {
  const dir = freshDir(name);
  const src = path.join(dir, "src");
  mkdirSync(src);
  generateTs(spec, src);
  writeTsconfig(dir, { rootDir: "src", outDir: "dist" });
  const { status, output } = tsc(["-p", dir]);
  if (status !== 0) throw new Error(`tsc failed on the client generated from ${spec}:\n${output}`);
  return import(pathToFileURL(path.join(dir, "dist", "client.js")).href);
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * A running example server: `target/debug/<name> --listen 127.0.0.1:<port>`.
 *
 * `url` is `ws://127.0.0.1:<port>` (no path), read from the line the server logs when it listens.
 */
export class Server {
  /** Starts the example binary `name` ("basics" or "chat") and waits until it listens. */
  static async start(name, { port = 0 } = {}) {
    const server = new Server(name);
    await server.#spawn(port);
    return server;
  }

  constructor(name) {
    this.name = name;
    this.port = 0;
    this.origin = "";
    this.log = "";
    this.child = null;
  }

  #spawn(port) {
    return new Promise((resolve, reject) => {
      const child = spawn(binary(this.name), ["--listen", `127.0.0.1:${port}`], {
        cwd: root,
        env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.child = child;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${this.name} did not log its address within 10 s:\n${this.log}`));
      }, 10_000);
      let pending = "";
      const onData = (data) => {
        const text = data.toString().replace(ANSI, "");
        this.log += text;
        if (this.port) return;
        pending += text;
        const match = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(pending);
        if (match) {
          clearTimeout(timer);
          this.port = Number(match[1]);
          this.origin = `127.0.0.1:${this.port}`;
          resolve();
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (!this.port) {
          reject(new Error(`${this.name} exited (${code ?? signal}) before listening:\n${this.log}`));
        }
      });
    });
  }

  /** The WebSocket URL of a path on this server. */
  ws(pathname = "/") {
    return `ws://${this.origin}${pathname}`;
  }

  /** The HTTP URL of a path on this server. */
  http(pathname = "/") {
    return `http://${this.origin}${pathname}`;
  }

  /** Kills the server process and waits until it is gone. */
  async stop(signal = "SIGKILL") {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  /** Starts the same binary again on the same port (after `stop`). */
  async restart() {
    await this.stop();
    const port = this.port;
    this.port = 0;
    // The port was just freed; retry briefly in case the kernel still holds it.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#spawn(port);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(100);
      }
    }
  }

  /**
   * Freezes the server (SIGSTOP): its sockets stay open but it answers nothing. Resolves once the
   * kernel reports the process stopped, so that nothing sent afterwards gets an answer.
   */
  async pause() {
    const child = this.child;
    if (!child) return;
    child.kill("SIGSTOP");
    await eventually(() => processState(child.pid) === "T", `${this.name} to stop`);
  }

  /** Lets a paused server run again (SIGCONT). */
  resume() {
    this.child?.kill("SIGCONT");
  }
}

/** A process's state letter from /proc/<pid>/stat (`T` when stopped). */
function processState(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `predicate()` is truthy, polling every 10 ms; fails after `ms` with `what`.
 * Returns the predicate's value.
 */
export async function eventually(predicate, what, ms = 5_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Collects what a client's `on(type, ..)` delivers, so that a test can wait for the next one.
 */
export class Inbox {
  constructor(client, types) {
    this.items = [];
    this.offs = types.map((type) => client.on(type, (message) => this.items.push(message)));
  }

  /** Waits for a message that matches `predicate`, removes it and returns it. */
  async take(predicate = () => true, what = "a message", ms = 5_000) {
    const index = await eventually(
      () => {
        const i = this.items.findIndex(predicate);
        return i >= 0 ? i + 1 : 0;
      },
      what,
      ms,
    );
    return this.items.splice(index - 1, 1)[0];
  }

  close() {
    for (const off of this.offs) off();
  }
}
