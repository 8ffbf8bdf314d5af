{# Askama template for the TypeScript client of one API. Rendered with escaping off. #}
{{ header }}
import type {
  CorrelationId,
  ErrorCode,
  ErrorMessage,
  ServerMessage,
  ServerMessages,
  Violation,
} from "./api.js";
{%- if !sent.is_empty() %}
import type * as api from "./api.js";
{%- endif %}

/** The field of every message that names its type. */
export const TAG_FIELD = {{ tag_field_lit }};
/** The field that carries the tag of error objects (`{{ error_tag_field }}`). */
const ERROR_TAG_FIELD = {{ error_tag_field_lit }};
/** The field that carries a correlation id, or `null` when the API has none. */
export const ID_FIELD: string | null = {{ id_field_lit }};

/** The tags of the messages the client sends, each with whether its payload declares the id field. */
const SENT_TAGS: ReadonlyMap<string, boolean> = new Map([
{%- for m in sent %}
{%- if !m.untagged && !m.binary %}
  [{{ m.tag_lit }}, {{ m.declares_id }}],
{%- endif %}
{%- endfor %}
]);

/** What the client checks each payload against before sending it. */
const PAYLOAD_CHECKS: ReadonlyMap<string, Check> = new Map<string, Check>([
{%- for m in sent %}
{%- if !m.untagged && !m.binary %}
  [{{ m.tag_lit }}, {{ m.check }}],
{%- endif %}
{%- endfor %}
]);
{%- if !sent_shapes.is_empty() || !received_shapes.is_empty() %}

/**
 * A message without a tag, told apart from the others by its shape: the JSON types its payload
 * may have (any, when empty) and, among several objects, the property that only it requires.
 */
interface Shape {
  name: string;
  types: readonly string[];
  key: string | null;
  declaresId: boolean;
  check?: Check;
}

/** Which of `shapes` a value without a tag is, as the server decides it. */
function shapeOf(value: unknown, shapes: readonly Shape[]): Shape | undefined {
  const type = value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value;
  const fits = shapes.filter(
    (s) => s.types.length === 0 || s.types.some((t) => t === type || (type === "integer" && t === "number") || (type === "number" && t === "integer")),
  );
  if (!isObject(value) || fits.length === 1) return fits[0];
  return fits.find((s) => s.key !== null && Object.prototype.hasOwnProperty.call(value, s.key));
}
{%- endif %}
{%- if !sent_shapes.is_empty() %}

/** The messages without a tag that the client sends. */
const SENT_SHAPES: readonly Shape[] = [
{%- for s in sent_shapes %}
  {{ s }},
{%- endfor %}
];

/** Checks a message without a tag (the id field taken out of an object, unless its payload declares it). */
function checkUntagged(shape: Shape, message: unknown): ErrorMessage | null {
  let value = message;
  let id: unknown;
  if (isObject(message) && ID_FIELD !== null) {
    const payload: Record<string, unknown> = { ...message };
    id = payload[ID_FIELD];
    if (!shape.declaresId) delete payload[ID_FIELD];
    value = payload;
  }
  const violations = shape.check === undefined ? [] : validate(shape.check, value);
  if (violations.length === 0) return null;
  const error = validationFailed(violations);
  if (id !== undefined) error.id = id as CorrelationId;
  return error;
}

/**
 * Checks `message` (JSON text `text`) as the message without a tag called `name`: against its
 * own schema, and that the server, which tells these messages apart by their shape, reads it as
 * that message and not as another one.
 */
function checkUntaggedAs(name: string, message: unknown, text: string): ErrorMessage | null {
  const unreadable = notJson(text);
  if (unreadable !== null) return errorObject("invalid_json", `the message is not JSON: ${unreadable}`, []);
  const shape = SENT_SHAPES.find((s) => s.name === name) as Shape;
  const error = checkUntagged(shape, message);
  if (error !== null) return error;
  const tagged = isObject(message) && Object.prototype.hasOwnProperty.call(message, TAG_FIELD.split(".")[0] as string);
  const read = tagged ? undefined : shapeOf(message, SENT_SHAPES);
  if (read === shape) return null;
  const as = tagged ? `a tagged message (it has the \`${TAG_FIELD}\` field)` : read === undefined ? "no message" : `\`${read.name}\``;
  return validationFailed([{ path: "", kind: "type", message: `the server would read this value as ${as}, not as \`${name}\`` }]);
}
{%- endif %}
{%- if !received_shapes.is_empty() %}

/** The messages without a tag that the server sends: the client tells them apart by their shape. */
const RECEIVED_SHAPES: readonly Shape[] = [
{%- for s in received_shapes %}
  {{ s }},
{%- endfor %}
];
{%- endif %}

/**
 * Checks a whole message (tag included) as the server would on receiving it, and returns the
 * error object the server would send, or `null` when the message is valid.
 */
export function checkClientMessage(message: unknown): ErrorMessage | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch {
    text = undefined; // Not serializable at all (a cycle, a BigInt): the checks below say why.
  }
  return checkWire(message, text);
}

/** {@link checkClientMessage} of `message`, whose JSON text (if it has one) is `text`. */
function checkWire(message: unknown, text: string | undefined): ErrorMessage | null {
  const unreadable = text === undefined ? null : notJson(text);
  if (unreadable !== null) return errorObject("invalid_json", `the message is not JSON: ${unreadable}`, []);
{%- if !sent_shapes.is_empty() %}
  // A value without the tag field: one of the messages without a tag, by its shape.
  if (!isObject(message) || !Object.prototype.hasOwnProperty.call(message, TAG_FIELD.split(".")[0] as string)) {
    const shape = shapeOf(message, SENT_SHAPES);
    if (shape !== undefined) return checkUntagged(shape, message);
  }
{%- endif %}
  if (!isObject(message)) {
    return errorObject("not_an_object", `the message must be a JSON object{{ not_an_object_suffix }}, not ${jsonTypeName(message)}`, [
      { path: "", kind: "type", message: "expected an object" },
    ]);
  }
  const payload: Record<string, unknown> = { ...message };
  const id = ID_FIELD === null ? undefined : payload[ID_FIELD];
  const withId = (error: ErrorMessage): ErrorMessage => {
    if (id !== undefined) error.id = id as CorrelationId;
    return error;
  };
  const tagPath = TAG_FIELD.split(".").map(escapeToken).map((t) => `/${t}`).join("");
{%- if nested_tag %}
  const found = tagValue(payload);
{%- else %}
  const found = Object.prototype.hasOwnProperty.call(payload, TAG_FIELD) ? payload[TAG_FIELD] : undefined;
  delete payload[TAG_FIELD];
{%- endif %}
  if (found === undefined) {
    return withId(
      errorObject("missing_tag", `the message has no \`${TAG_FIELD}\` field`, [
        { path: tagPath, kind: "required", message: `missing field \`${TAG_FIELD}\`` },
      ]),
    );
  }
  if (typeof found !== "string") {
    return withId(
      errorObject("missing_tag", `the \`${TAG_FIELD}\` field must be a string`, [
        { path: tagPath, kind: "type", message: `expected a string, found ${jsonTypeName(found)}` },
      ]),
    );
  }
  const check = PAYLOAD_CHECKS.get(found);
  if (check === undefined) {
    const known = [...SENT_TAGS.keys()].map((t) => `\`${t}\``).join(", ");
    return withId(
      errorObject("unknown_tag", `unknown message type \`${found}\`; expected one of: ${known}`, [
        { path: tagPath, kind: "invalid", message: `unknown message type \`${found}\`` },
      ]),
    );
  }
  if (ID_FIELD !== null && SENT_TAGS.get(found) !== true) {
    delete payload[ID_FIELD];
  }
  const violations = validate(check, payload);
  return violations.length === 0 ? null : withId(validationFailed(violations));
}

/** How deeply the server's JSON parser lets values nest (objects and arrays). */
const MAX_NESTING = 127;

/**
 * Why the server's JSON parser would refuse `text` (as `JSON.stringify` writes it), in its
 * words, or `null`: a string with an unpaired UTF-16 surrogate (which `JSON.stringify` writes as
 * an escape that no UTF-8 text can hold), or values nested deeper than its limit.
 */
function notJson(text: string): string | null {
  // Where the parser stops, as it counts: line 1, the column in UTF-8 bytes.
  const at = (index: number) => `at line 1 column ${new TextEncoder().encode(text.slice(0, index + 1)).length}`;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '"') {
        inString = false;
      } else if (ch === "\\") {
        if (text[i + 1] === "u") {
          const unit = parseInt(text.slice(i + 2, i + 6), 16);
          const escape = i + 5; // the last hex digit
          if (unit >= 0xdc00 && unit <= 0xdfff) return `lone leading surrogate in hex escape ${at(escape)}`;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (text[escape + 1] !== "\\" || text[escape + 2] !== "u") {
              return `unexpected end of hex escape ${at(escape + 1)}`;
            }
            const next = parseInt(text.slice(escape + 3, escape + 7), 16);
            if (!(next >= 0xdc00 && next <= 0xdfff)) return `lone leading surrogate in hex escape ${at(escape + 6)}`;
            i = escape + 6;
            continue;
          }
          i = escape;
        } else {
          i += 1;
        }
      }
    } else if (ch === '"') {
      inString = true;
    } else if (ch === "{" || ch === "[") {
      depth += 1;
      if (depth > MAX_NESTING) return `recursion limit exceeded ${at(i)}`;
    } else if (ch === "}" || ch === "]") {
      depth -= 1;
    }
  }
  return null;
}

/** One `validation_failed` error listing `violations`; its message names the first. */
function validationFailed(violations: Violation[]): ErrorMessage {
  const first = violations[0];
  let message = "validation failed";
  if (first !== undefined) {
    const where = first.path === "" ? "the message" : first.path;
    message += `: ${where}: ${first.message}`;
    if (violations.length > 1) message += ` (and ${violations.length - 1} more)`;
  }
  return errorObject("validation_failed", message, violations);
}

/** An error object as the server sends it. */
function errorObject(code: ErrorCode, message: string, errors: Violation[]): ErrorMessage {
  return { {{ error_tag_key }}: "error", code, message, errors };
}

/**
 * An error the client reports: the server's error object, or one of its own (`timeout`, ...).
 * `code`, `message`, `errors` and `id` are the error object's; `error` is the object itself.
 */
export class ApiError extends Error {
{%- if let Some(key) = error_tag_member %}
  /** The error object's tag. */
  readonly {{ key }} = "error" as const;
{%- endif %}
  /** The error object, as the server sends it (or would have sent it). */
  readonly error: ErrorMessage;
  readonly code: ErrorCode;
  readonly errors: Violation[];
  readonly id?: CorrelationId;

  constructor(error: ErrorMessage) {
    super(error.message);
    this.name = "ApiError";
    this.error = error;
    this.code = error.code;
    this.errors = error.errors;
    if (error.id !== undefined) this.id = error.id;
  }

  /** The error object, as the server sends it. */
  toJSON(): ErrorMessage {
    return this.error;
  }
}

{%- if has_binary %}
/** What a binary message may be sent as. */
export type BinaryData = ArrayBuffer | ArrayBufferView | Blob;

{% endif -%}
/** The parts of the WebSocket API the client uses: the browser's `WebSocket` and the `ws` package's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
{%- if received_binary.is_some() %}
  /** Set to `"arraybuffer"`: binary frames arrive as `ArrayBuffer`s. */
  binaryType: string;
{%- endif %}
{%- if has_binary %}
  send(data: string | BinaryData): void;
{%- else %}
  send(data: string): void;
{%- endif %}
  close(code?: number, reason?: string): void;
  onopen: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
}

/** A WebSocket constructor, such as the browser's `WebSocket` or `import { WebSocket } from "ws"`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** How the client reconnects after the connection drops: exponential backoff with jitter. */
export interface ReconnectOptions {
  /** The first delay, in milliseconds (default 250). */
  initialDelay?: number;
  /** The longest delay, in milliseconds (default 10000). */
  maxDelay?: number;
  /** How much the delay grows after each failed attempt (default 2). */
  factor?: number;
  /** The random part of each delay, from 0 (none) to 1 (all of it; default 0.5). */
  jitter?: number;
  /** How many attempts in a row before the client gives up and closes (default: no limit). */
  maxAttempts?: number;
}

/** Settings of {@link connect}. */
export interface ConnectOptions {
  /** The WebSocket constructor; defaults to the global `WebSocket` (browsers, Node 22+). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after the connection drops (the default), or `false` to stay closed. */
  reconnect?: false | ReconnectOptions;
  /** How many messages to keep while disconnected, sent on reconnect (default 100; 0 rejects them at once). */
  queueLimit?: number;
  /** Check every message against its schema before sending it (default `true`). */
  validate?: boolean;
  /** The default time a request waits for its reply, in milliseconds (default 10000). */
  timeout?: number;
}

/** Settings of one request. */
export interface RequestOptions {
  /** How long to wait for the reply, in milliseconds. */
  timeout?: number;
}

/** Where the connection is. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The tag of each message the server sends. */
export type ServerTag = keyof ServerMessages;

/** The message the server sends with tag `T`. */
export type ServerMessageOf<T extends ServerTag> = ServerMessages[T];

/** Fire-and-forget sends, one per message the server receives. */
export interface Send {
{%- for m in sent %}
{{ m.doc }}
  {{ m.method }}(payload: {{ m.payload }}): void;
{%- endfor %}
}

/** Requests that await their reply, one per message whose operation declares a reply. */
export interface Request {
{%- for m in requests %}
{{ m.doc }}
  {{ m.method }}(payload: {{ m.request_payload }}, options?: RequestOptions): Promise<{{ m.reply }}>;
{%- endfor %}
}

interface Pending {
  tags: readonly string[];
  resolve: (message: ServerMessage) => void;
  reject: (error: ApiError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** Whether the request has left the client (it is not waiting in the queue). */
  sent: boolean;
}

/** A message waiting for the connection, with the correlation key of its request, if any. */
interface Queued {
  text: string{% if has_binary %} | BinaryData{% endif %};
  key: string | null;
}

const OPEN = 1;

/** How long a connection must last before the reconnect backoff starts over, in milliseconds. */
const STABLE_AFTER = 5000;

/** A delay that `setTimeout` takes as it is (it fires at once beyond 2^31 − 1 ms). */
function timerDelay(ms: number): number {
  return Math.min(Math.max(ms, 0), 2147483647);
}

/**
 * A typed client of the {{ title_doc }} API. Create it with {@link connect}.
 *
 * ```ts
 * const client = await connect("ws://127.0.0.1:8080/");
 * client.on("error", (e) => console.log(e.code, e.errors));
 * ```
 */
export class Client {
  /** Sends a message without waiting for anything. Throws {@link ApiError} when it is invalid or cannot be queued. */
  readonly send: Send;
  /** Sends a message and resolves with its reply; rejects with {@link ApiError} on an error reply, a timeout or a lost connection. */
  readonly request: Request;

  #url: string;
  #WebSocket: WebSocketConstructor;
  #reconnect: Required<ReconnectOptions> | null;
{%- if !sent.is_empty() %}
  #queueLimit: number;
{%- endif %}
{%- if has_tagged || has_untagged %}
  #validate: boolean;
{%- endif %}
{%- if !requests.is_empty() %}
  #timeout: number;
  #nextId = 1;
{%- endif %}
  #socket: WebSocketLike | null = null;
  #state: ConnectionState = "connecting";
  #queue: Queued[] = [];
  #pending = new Map<string, Pending>();
  #attempts = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;
  /** Resets the backoff once a connection has stayed open for a while. */
  #stable: ReturnType<typeof setTimeout> | null = null;
  #lastClose: { code: number; reason: string } | null = null;
  #listeners = new Map<string, Set<(message: never) => void>>();
  #stateListeners = new Set<(state: ConnectionState) => void>();
  #firstOpen: { resolve: () => void; reject: (e: ApiError) => void } | null = null;
  /** Messages that arrived with the opening of the connection, held for one turn (see `#open`). */
  #held: {% if received_binary.is_some() %}(string | Uint8Array){% else %}string{% endif %}[] | null = null;

  /** Use {@link connect}, which also waits for the connection to open. */
  constructor(url: string, options: ConnectOptions = {}) {
    this.#url = url;
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (ctor === undefined) {
      throw new TypeError("no WebSocket implementation: pass one as the `WebSocket` option (for example from the `ws` package)");
    }
    this.#WebSocket = ctor;
    this.#reconnect =
      options.reconnect === false
        ? null
        : {
            initialDelay: options.reconnect?.initialDelay ?? 250,
            maxDelay: options.reconnect?.maxDelay ?? 10000,
            factor: options.reconnect?.factor ?? 2,
            jitter: options.reconnect?.jitter ?? 0.5,
            maxAttempts: options.reconnect?.maxAttempts ?? Infinity,
          };
{%- if !sent.is_empty() %}
    this.#queueLimit = options.queueLimit ?? 100;
{%- endif %}
{%- if has_tagged || has_untagged %}
    this.#validate = options.validate ?? true;
{%- endif %}
{%- if !requests.is_empty() %}
    this.#timeout = options.timeout ?? 10000;
{%- endif %}
    this.send = {
{%- for m in sent %}
{%- if m.binary %}
      {{ m.method }}: (payload) => this.#sendBinary({{ m.tag_lit }}, payload),
{%- else if m.untagged %}
      {{ m.method }}: (payload) => this.#sendUntagged({{ m.tag_lit }}, payload),
{%- else %}
      {{ m.method }}: (payload) => this.#send({{ m.tag_lit }}, payload, null),
{%- endif %}
{%- endfor %}
    };
    this.request = {
{%- for m in requests %}
      {{ m.method }}: (payload, options) => this.#request({{ m.tag_lit }}, payload, {{ m.reply_tags }}, options) as Promise<{{ m.reply }}>,
{%- endfor %}
    };
    this.#open();
  }

  /** Where the connection is now. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The close code and reason of the last connection that ended, if one has. */
  get lastClose(): { code: number; reason: string } | null {
    return this.#lastClose;
  }

  /**
   * Calls `fn` with every message of type `type` that the server sends and that is not the reply
   * to a pending request. `"error"` gets the error objects that no request owns. Returns a
   * function that unsubscribes.
   */
  on<T extends ServerTag>(type: T, fn: (message: ServerMessageOf<T>) => void): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const listener = fn as (message: never) => void;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Calls `fn` whenever the connection state changes. Returns a function that unsubscribes. */
  onState(fn: (state: ConnectionState) => void): () => void {
    this.#stateListeners.add(fn);
    return () => {
      this.#stateListeners.delete(fn);
    };
  }

  /** Closes the connection for good: pending requests and queued messages fail with `closed`. */
  close(): void {
    if (this.#state === "closed") return;
    this.#setState("closed");
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    if (this.#stable !== null) clearTimeout(this.#stable);
    this.#stable = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket !== null) socket.close(1000, "");
    this.#failAll("closed", "the client was closed");
    this.#queue = [];
    const first = this.#firstOpen;
    this.#firstOpen = null;
    first?.reject(clientError("closed", "the client was closed before it connected"));
  }

  /** Resolves once the connection is open for the first time. */
  opened(): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(clientError("closed", "the client was closed"));
    return new Promise((resolve, reject) => {
      const previous = this.#firstOpen;
      this.#firstOpen = {
        resolve: () => {
          previous?.resolve();
          resolve();
        },
        reject: (e) => {
          previous?.reject(e);
          reject(e);
        },
      };
    });
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const fn of [...this.#stateListeners]) callListener(fn, state);
  }

  #open(): void {
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.#url);
    } catch (e) {
      // A URL the WebSocket refuses outright will not work on a later attempt either.
      this.#setState("closed");
      this.#failAll("closed", `cannot connect: ${String(e)}`);
      this.#queue = [];
      const first = this.#firstOpen;
      this.#firstOpen = null;
      first?.reject(clientError("closed", `cannot connect to ${this.#url}: ${String(e)}`));
      return;
    }
    this.#socket = socket;
{%- if received_binary.is_some() %}
    socket.binaryType = "arraybuffer";
{%- endif %}
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      // The backoff starts over only once this connection has lasted: a server that accepts and
      // closes at once is not hammered.
      this.#stable = setTimeout(() => {
        this.#stable = null;
        this.#attempts = 0;
      }, STABLE_AFTER);
      // Frames that arrive together with the upgrade (a greeting, a broadcast) would reach the
      // listeners before the code after `await connect()` could add any: hold them for a turn.
      this.#held = [];
      setTimeout(() => {
        const held = this.#held ?? [];
        this.#held = null;
        if (this.#socket !== socket) return;
        for (const text of held) this.#receive(text);
      }, 0);
      this.#setState("open");
      const queued = this.#queue;
      this.#queue = [];
      for (const { text, key } of queued) {
        socket.send(text);
        const pending = key === null ? undefined : this.#pending.get(key);
        if (pending !== undefined) pending.sent = true;
      }
      const first = this.#firstOpen;
      this.#firstOpen = null;
      first?.resolve();
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (this.#socket !== socket) return;
{%- if received_binary.is_some() %}
      const data = typeof event.data === "string" ? event.data : bytesOf(event.data);
      if (data === undefined) return;
      if (this.#held !== null) this.#held.push(data);
      else this.#receive(data);
{%- else %}
      if (typeof event.data !== "string") return;
      if (this.#held !== null) this.#held.push(event.data);
      else this.#receive(event.data);
{%- endif %}
    };
    socket.onerror = () => {
      // The close event follows and does the work.
    };
    socket.onclose = (event: { code?: number; reason?: string }) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.#stable !== null) clearTimeout(this.#stable);
      this.#stable = null;
      const code = event.code ?? 1006;
      const reason = event.reason ?? "";
      this.#lastClose = { code, reason };
      const why = `the connection was closed (${code}${reason === "" ? "" : ` ${reason}`})`;
      // 1000: the server ended the session on purpose (after `goodbye`, say): do not come back.
      this.#dropped(why, code === 1000);
    };
  }

  #dropped(why: string, final = false): void {
    // Requests still in the queue wait for the next connection (or their timeout).
    this.#failAll("disconnected", why, true);
    if (this.#state === "closed") return;
    const r = this.#reconnect;
    if (r === null || final || this.#attempts >= r.maxAttempts) {
      this.#setState("closed");
      this.#failAll("disconnected", why, false);
      this.#queue = [];
      const first = this.#firstOpen;
      this.#firstOpen = null;
      first?.reject(clientError("disconnected", why));
      return;
    }
    this.#setState("reconnecting");
    const delay = Math.min(r.maxDelay, r.initialDelay * r.factor ** this.#attempts);
    this.#attempts += 1;
    const wait = timerDelay(delay * (1 - r.jitter * Math.random()));
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#state !== "closed") this.#open();
    }, wait);
  }

  /** Rejects the pending requests (only those that left the client, when `sentOnly`). */
  #failAll(code: ErrorCode, why: string, sentOnly = false): void {
    for (const [key, p] of [...this.#pending]) {
      if (sentOnly && !p.sent) continue;
      this.#pending.delete(key);
      clearTimeout(p.timer);
      p.reject(clientError(code, why));
    }
  }

{%- if let Some(name) = received_binary %}
  #receive(text: string | Uint8Array): void {
    if (typeof text !== "string") {
      // A binary frame: the API's binary message.
      for (const fn of [...(this.#listeners.get({{ name }}) ?? [])]) callListener(fn as (m: unknown) => void, text);
      return;
    }
{%- else %}
  #receive(text: string): void {
{%- endif %}
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
{%- if !received_shapes.is_empty() %}
    // A value without a tag: one of the messages without one, by its shape.
    if (!isObject(message) || (message[ERROR_TAG_FIELD] !== "error" && !Object.prototype.hasOwnProperty.call(message, TAG_FIELD.split(".")[0] as string))) {
      const shape = shapeOf(message, RECEIVED_SHAPES);
      const set = shape === undefined ? undefined : this.#listeners.get(shape.name);
      for (const fn of [...(set ?? [])]) callListener(fn as (m: unknown) => void, message);
      return;
    }
{%- else %}
    if (!isObject(message)) return;
{%- endif %}
    const tag = message[ERROR_TAG_FIELD] === "error" ? "error" : tagOf(message);
    if (tag === undefined) return;
    const pending = this.#owner(message, tag);
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      if (tag === "error" && !pending.tags.includes("error")) {
        pending.reject(new ApiError(message as unknown as ErrorMessage));
      } else {
        pending.resolve(message as unknown as ServerMessage);
      }
      return;
    }
    const set = this.#listeners.get(tag);
    if (set === undefined) return;
    for (const fn of [...set]) callListener(fn as (m: unknown) => void, message);
  }

  /** The pending request that `message` answers, taken out of the table. */
  #owner(message: Record<string, unknown>, tag: string): Pending | undefined {
    if (ID_FIELD !== null) {
      // Errors carry the id as `id`, replies in the API's id field.
      const id = tag === "error" ? message["id"] : message[ID_FIELD];
      if (id === undefined) return undefined;
      const key = JSON.stringify(id);
      const pending = this.#pending.get(key);
      if (pending === undefined || !(tag === "error" || pending.tags.includes(tag))) return undefined;
      this.#pending.delete(key);
      return pending;
    }
    // Without correlation ids, replies come in the order of their requests. An error cannot be
    // told apart from one that another message caused: it goes to the "error" listeners.
    if (tag === "error") return undefined;
    for (const [key, pending] of this.#pending) {
      if (pending.tags.includes(tag)) {
        this.#pending.delete(key);
        return pending;
      }
    }
    return undefined;
  }

{%- if !sent.is_empty() %}
{%- if has_tagged || has_untagged %}
{%- if has_tagged %}
  /** Checks and sends a message; returns its correlation key. */
  #send(tag: string, payload: unknown, id: string | number | null): string | null {
    if (this.#state === "closed") throw clientError("closed", "the client was closed");
    // Spread, not assigned: a member called `__proto__` stays a member.
{%- if nested_tag %}
    // The payload carries its tag (`{{ tag_field }}`) itself.
    const message: Record<string, unknown> = { ...(payload as object) };
{%- else %}
    const message: Record<string, unknown> = { [TAG_FIELD]: tag, ...(payload as object) };
    message[TAG_FIELD] = tag;
{%- endif %}
    // The key that the reply is matched by: the id on the wire, or (without ids) the request's number.
    let key: string | null = id === null ? null : String(id);
    if (id !== null && ID_FIELD !== null) {
      if (SENT_TAGS.get(tag) !== true) {
        message[ID_FIELD] = id;
      } else if (message[ID_FIELD] === undefined) {
        // The payload declares the id field with a schema of its own: the caller chooses it.
        throw clientError("missing_id", `\`${tag}\` declares its own \`${ID_FIELD}\` field: set it, so the reply can be matched`);
      }
      key = JSON.stringify(message[ID_FIELD]);
    }
{%- if !requests.is_empty() %}
    if (key !== null && this.#pending.has(key)) {
      throw clientError("duplicate_id", `a request with the id ${key} is waiting for its reply already`);
    }
{%- endif %}
    return this.#deliver(JSON.stringify(message), key);
  }
{%- endif %}
{%- if has_untagged %}

  /** Checks and sends the message without a tag called `name`, as it is. */
  #sendUntagged(name: string, payload: unknown): void {
    if (this.#state === "closed") throw clientError("closed", "the client was closed");
    this.#deliver(JSON.stringify(payload), null, name);
  }
{%- endif %}

  /** Checks `text` as the server will read it, then sends or queues it. */
{%- if has_untagged %}
  #deliver(text: string | undefined, key: string | null, untagged: string | null = null): string | null {
{%- else %}
  #deliver(text: string | undefined, key: string | null): string | null {
{%- endif %}
    // `undefined` (or a function) has no JSON text at all.
    if (text === undefined) throw new ApiError(errorObject("invalid_json", "the message is not JSON: it has no JSON form", []));
    if (this.#validate) {
      // Checked as the server will read it: what JSON drops (`undefined`) or changes (`NaN`) counts.
{%- if has_untagged %}
      // A message without a tag must be the one it was sent as, not another that its value fits.
      const error = untagged === null ? checkWire(JSON.parse(text), text) : checkUntaggedAs(untagged, JSON.parse(text), text);
{%- else %}
      const error = checkWire(JSON.parse(text), text);
{%- endif %}
      if (error !== null) throw new ApiError(error);
    }
    return this.#transmit(text, key);
  }
{%- endif %}
{%- if has_binary %}

  /** Sends a binary message: the bytes as they are, in one binary frame. */
  #sendBinary(name: string, data: BinaryData): void {
    if (this.#state === "closed") throw clientError("closed", "the client was closed");
    // Anything but bytes would go out as a text frame (and could reach another handler), or fail
    // in the socket: refused here, whether or not JSON messages are checked.
    const bytes = data instanceof ArrayBuffer || ArrayBuffer.isView(data) || (typeof Blob !== "undefined" && data instanceof Blob);
    if (!bytes) {
      const message = `\`${name}\` is a binary message: send an ArrayBuffer, a typed array (a Node Buffer too) or a Blob`;
      throw new ApiError(errorObject("validation_failed", message, [{ path: "", kind: "type", message }]));
    }
    this.#transmit(data, null);
  }
{%- endif %}

  /** Sends `data` now, or queues it until the connection is open. */
  #transmit(text: string{% if has_binary %} | BinaryData{% endif %}, key: string | null): string | null {
    const socket = this.#socket;
    if (this.#state === "open" && socket !== null && socket.readyState === OPEN) {
      socket.send(text);
    } else if (this.#queue.length < this.#queueLimit) {
      this.#queue.push({ text, key });
    } else {
      throw clientError("queue_full", `not connected, and ${this.#queueLimit} messages are queued already`);
    }
    return key;
  }
{%- endif %}
{%- if !requests.is_empty() %}
  #request(tag: string, payload: unknown, tags: readonly string[], options?: RequestOptions): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      let id = this.#nextId++;
      while (this.#pending.has(String(id)) || this.#pending.has(JSON.stringify(id))) id = this.#nextId++;
      let key: string | null;
      try {
        key = this.#send(tag, payload, id);
      } catch (e) {
        reject(e);
        return;
      }
      if (key === null) return;
      const timeout = options?.timeout ?? this.#timeout;
      const timer = setTimeout(() => {
        if (this.#pending.get(key) !== pending) return;
        this.#pending.delete(key);
        // A request that never left the client does not go out later.
        this.#queue = this.#queue.filter((q) => q.key !== key);
        reject(clientError("timeout", `no reply to \`${tag}\` within ${timeout} ms`));
      }, timerDelay(timeout));
      const sent = !this.#queue.some((q) => q.key === key);
      const pending: Pending = { tags, resolve, reject, timer, sent };
      this.#pending.set(key, pending);
    });
  }
{%- endif %}
}

/**
 * Connects to `url` and resolves with the client once the connection is open. It rejects when
 * the first connection fails and reconnecting is off (or gives up).
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Client> {
  const client = new Client(url, options);
  await client.opened();
  return client;
}

/**
 * Calls a listener. What it throws does not stop the other listeners or the client: it is
 * thrown again on its own turn, where it is reported like any uncaught error (as the DOM does).
 */
function callListener<T>(fn: (value: T) => void, value: T): void {
  try {
    fn(value);
  } catch (e) {
    setTimeout(() => {
      throw e;
    }, 0);
  }
}

function clientError(code: ErrorCode, message: string): ApiError {
  return new ApiError(errorObject(code, message, []));
}

{%- if received_binary.is_some() %}
/** The bytes of a binary frame (an `ArrayBuffer`, or a view such as a Node `Buffer`). */
function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

{% endif -%}
/** The value at the tag field (a dotted one reaches into nested objects), if there is one. */
function tagValue(message: Record<string, unknown>): unknown {
  let found: unknown = message;
  for (const segment of TAG_FIELD.split(".")) {
    found = isObject(found) && Object.prototype.hasOwnProperty.call(found, segment) ? found[segment] : undefined;
  }
  return found;
}

function tagOf(message: Record<string, unknown>): string | undefined {
  const found = tagValue(message);
  return typeof found === "string" ? found : undefined;
}

// ---------------------------------------------------------------------------------------------
// The checks: each payload schema compiled into functions that list violations exactly as the
// server's validator does (same kinds, paths, messages and order).
// ---------------------------------------------------------------------------------------------

type Check = (v: unknown, c: Collector | null, d: number) => boolean;
type Candidate = (v: unknown, budget: number) => boolean;
type Constant = { value: unknown } | typeof NONE;
type Extra = "allow" | "forbid" | Check;

const NONE = Symbol("none");
const MAX_DEPTH = 128;
const CANDIDATE_BUDGET = 16;

interface Found {
  order: number[];
  violation: Violation;
}

/** Collects violations with the path and the position in the value of each. */
class Collector {
  readonly base: string;
  readonly path: string[] = [];
  readonly order: number[] = [];
  found: Found[] = [];

  constructor(base: string) {
    this.base = base;
  }

  pointer(extra?: string): string {
    let p = this.base;
    for (const token of this.path) p += `/${token}`;
    if (extra !== undefined) p += `/${escapeToken(extra)}`;
    return p;
  }

  record(kind: string, message: string, extra?: string): void {
    this.found.push({ order: [...this.order], violation: { path: this.pointer(extra), kind, message } });
  }

  push(token: string, position: number): void {
    this.path.push(token);
    this.order.push(position);
  }

  pop(): void {
    this.path.pop();
    this.order.pop();
  }

  finish(): Violation[] {
    const sorted = [...this.found].sort((a, b) => compareOrder(a.order, b.order));
    const seen = new Set<string>();
    const out: Violation[] = [];
    for (const f of sorted) {
      const key = JSON.stringify([f.violation.path, f.violation.kind, f.violation.message]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(f.violation);
    }
    return out;
  }
}

function compareOrder(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

function validate(check: Check, value: unknown): Violation[] {
  const c = new Collector("");
  check(value, c, 0);
  return c.finish();
}

function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object's keys in the order the server walks them: sorted by code point. */
function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort(compareCodePoints);
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = (x[i] as string).codePointAt(0) as number;
    const q = (y[i] as string).codePointAt(0) as number;
    if (p !== q) return p - q;
  }
  return x.length - y.length;
}

function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "number") return "a number";
  if (typeof v === "string") return "a string";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return "not JSON";
}

function failWith(c: Collector | null, kind: string, message: string): false {
  c?.record(kind, message);
  return false;
}

function tooDeep(c: Collector | null): false {
  return failWith(c, "too_deep", `nested too deeply (more than ${MAX_DEPTH} levels)`);
}

function anyValue(): boolean {
  return true;
}

function noValue(_v: unknown, c: Collector | null): boolean {
  return failWith(c, "not_allowed", "not allowed here");
}

function anyCandidate(): boolean {
  return true;
}

function noCandidate(_v: unknown, budget: number): boolean {
  return budget <= 0;
}

function noConstant(): Constant {
  return NONE;
}

function accepts(v: unknown, bits: number): boolean {
  if (v === null) return (bits & 64) !== 0;
  if (typeof v === "boolean") return (bits & 8) !== 0;
  if (typeof v === "string") return (bits & 1) !== 0;
  if (Array.isArray(v)) return (bits & 32) !== 0;
  if (typeof v === "number") return (bits & 4) !== 0 || ((bits & 2) !== 0 && Number.isInteger(v));
  if (typeof v === "object") return (bits & 16) !== 0;
  return false;
}

function hasType(v: unknown, bits: number, c: Collector | null, expected: string): boolean {
  if (accepts(v, bits)) return true;
  const got = typeof v === "number" && (bits & 2) !== 0 && !Number.isInteger(v) ? "a number with a fractional part" : jsonTypeName(v);
  return failWith(c, "type", `${expected}, got ${got}`);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function oneOfValues(v: unknown, values: unknown[], c: Collector | null, kind: string, message: string): boolean {
  return values.some((x) => jsonEqual(x, v)) || failWith(c, kind, message);
}

function minLengthOf(v: unknown, n: number, c: Collector | null, message: string): boolean {
  return typeof v !== "string" || [...v].length >= n || failWith(c, "min_length", message);
}

function maxLengthOf(v: unknown, n: number, c: Collector | null, message: string): boolean {
  return typeof v !== "string" || [...v].length <= n || failWith(c, "max_length", message);
}

/**
 * A pattern as the server's regex engine reads it: by code points, as the `u` flag does, where
 * the pattern is valid with it (a few ECMA-262 patterns are valid only without).
 */
function patternOf(source: string): RegExp {
  try {
    return new RegExp(source, "u");
  } catch {
    return new RegExp(source);
  }
}

function hasPattern(v: unknown, regex: RegExp, c: Collector | null, message: string): boolean {
  return typeof v !== "string" || regex.test(v) || failWith(c, "pattern", message);
}

function hasFormat(v: unknown, accept: (s: string) => boolean, c: Collector | null, message: string): boolean {
  return typeof v !== "string" || accept(v) || failWith(c, "format", message);
}

function lowerBound(v: unknown, limit: number, exclusive: boolean, c: Collector | null, kind: string, message: string): boolean {
  if (typeof v !== "number") return true;
  return v > limit || (!exclusive && v === limit) || failWith(c, kind, message);
}

function upperBound(v: unknown, limit: number, exclusive: boolean, c: Collector | null, kind: string, message: string): boolean {
  if (typeof v !== "number") return true;
  return v < limit || (!exclusive && v === limit) || failWith(c, kind, message);
}

function multipleOfNumber(v: unknown, divisor: number, c: Collector | null, message: string): boolean {
  if (typeof v !== "number") return true;
  let ok: boolean;
  if (Number.isSafeInteger(v) && Number.isSafeInteger(divisor) && divisor !== 0) {
    ok = v % divisor === 0;
  } else if (!Number.isFinite(v) || !Number.isFinite(divisor) || divisor === 0) {
    ok = false;
  } else {
    const q = v / divisor;
    if (!Number.isFinite(q)) {
      ok = v % divisor === 0;
    } else {
      const r = Math.round(q);
      ok = r === 0 ? v === 0 : Math.abs(q - r) <= 64 * Number.EPSILON * Math.abs(q);
    }
  }
  return ok || failWith(c, "multiple_of", message);
}

function hasRequired(v: unknown, names: string[], c: Collector | null): boolean {
  if (!isObject(v)) return true;
  let ok = true;
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(v, name)) {
      if (c === null) return false;
      c.record("required", "field required", name);
      ok = false;
    }
  }
  return ok;
}

function minPropertiesOf(v: unknown, n: number, c: Collector | null, message: string): boolean {
  return !isObject(v) || Object.keys(v).length >= n || failWith(c, "min_properties", message);
}

function maxPropertiesOf(v: unknown, n: number, c: Collector | null, message: string): boolean {
  return !isObject(v) || Object.keys(v).length <= n || failWith(c, "max_properties", message);
}

function propertyNamesOf(v: unknown, check: Check, c: Collector | null, d: number): boolean {
  if (!isObject(v)) return true;
  let ok = true;
  sortedKeys(v).forEach((key, position) => {
    if (!ok && c === null) return;
    if (c === null) {
      ok = check(key, null, d + 1) && ok;
      return;
    }
    c.push(escapeToken(key), position);
    const sub = new Collector(c.pointer());
    const order = [...c.order];
    c.pop();
    if (!check(key, sub, d + 1)) {
      ok = false;
      for (const f of sub.found) {
        c.found.push({ order, violation: { ...f.violation, message: `invalid name: ${f.violation.message}` } });
      }
    }
  });
  return ok;
}

/** `dependencies`: for each present property, the fields it requires, or the shape the object must then have. */
function dependenciesOf(v: unknown, dependencies: [string, string[] | Check][], c: Collector | null, d: number): boolean {
  if (!isObject(v)) return true;
  let ok = true;
  for (const [name, then] of dependencies) {
    if (!Object.prototype.hasOwnProperty.call(v, name)) continue;
    let valid = true;
    if (Array.isArray(then)) {
      for (const missing of then) {
        if (Object.prototype.hasOwnProperty.call(v, missing)) continue;
        valid = false;
        if (c === null) break;
        c.record("required", `field required when \`${name}\` is present`, missing);
      }
    } else {
      valid = then(v, c, d);
    }
    if (!valid) {
      if (c === null) return false;
      ok = false;
    }
  }
  return ok;
}

function childOf(check: Check, value: unknown, c: Collector | null, d: number, token: string, position: number): boolean {
  if (c === null) return check(value, null, d + 1);
  c.push(token, position);
  const ok = check(value, c, d + 1);
  c.pop();
  return ok;
}

function objectProperties(
  v: unknown,
  named: ReadonlyMap<string, Check>,
  patterns: [RegExp, Check][],
  additional: Extra,
  c: Collector | null,
  d: number,
): boolean {
  if (!isObject(v)) return true;
  let ok = true;
  const keys = sortedKeys(v);
  for (let position = 0; position < keys.length; position++) {
    const key = keys[position] as string;
    const value = v[key];
    const token = escapeToken(key);
    let matched = false;
    const check = named.get(key);
    if (check !== undefined) {
      matched = true;
      if (!childOf(check, value, c, d, token, position)) {
        if (c === null) return false;
        ok = false;
      }
    }
    for (const [regex, check] of patterns) {
      if (regex.test(key)) {
        matched = true;
        if (!childOf(check, value, c, d, token, position)) {
          if (c === null) return false;
          ok = false;
        }
      }
    }
    if (matched || additional === "allow") continue;
    if (additional === "forbid") {
      if (c === null) return false;
      c.push(token, position);
      c.record("unknown_field", "unknown field");
      c.pop();
      ok = false;
    } else if (!childOf(additional, value, c, d, token, position)) {
      if (c === null) return false;
      ok = false;
    }
  }
  return ok;
}

function minItemsOf(v: unknown, n: number, c: Collector | null, message: string): boolean {
  return !Array.isArray(v) || v.length >= n || failWith(c, "min_items", message);
}

function maxItemsOf(v: unknown, n: number, c: Collector | null, message: string): boolean {
  return !Array.isArray(v) || v.length <= n || failWith(c, "max_items", message);
}

/** A text that equal JSON values share (object keys sorted), for finding duplicates. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return Object.is(v, -0) ? "0" : JSON.stringify(v);
}

function uniqueItemsOf(v: unknown, c: Collector | null): boolean {
  if (!Array.isArray(v)) return true;
  const first = new Map<string, number>();
  let ok = true;
  for (let j = 0; j < v.length; j++) {
    const key = canonical(v[j]);
    const i = first.get(key);
    if (i === undefined) {
      first.set(key, j);
      continue;
    }
    if (c === null) return false;
    ok = false;
    c.push(String(j), j);
    c.record("unique_items", `items ${i} and ${j} are equal`);
    c.pop();
  }
  return ok;
}

function arrayItems(v: unknown, tuple: Check[], additional: Extra, c: Collector | null, d: number, message: string): boolean {
  if (!Array.isArray(v)) return true;
  let ok = true;
  for (let i = 0; i < v.length; i++) {
    const check = tuple[i];
    let valid: boolean;
    if (check !== undefined) {
      valid = childOf(check, v[i], c, d, String(i), i);
    } else if (additional === "allow") {
      break;
    } else if (additional === "forbid") {
      if (c !== null) {
        c.push(String(i), i);
        c.record("additional_items", message);
        c.pop();
      }
      valid = false;
    } else {
      valid = childOf(additional, v[i], c, d, String(i), i);
    }
    if (!valid) {
      if (c === null) return false;
      ok = false;
    }
  }
  return ok;
}

function arrayContains(v: unknown, check: Check, c: Collector | null, d: number): boolean {
  if (!Array.isArray(v)) return true;
  return v.some((item) => check(item, null, d + 1)) || failWith(c, "contains", "must contain at least one matching item");
}

function allOfShapes(v: unknown, branches: Check[], c: Collector | null, d: number): boolean {
  let ok = true;
  for (const b of branches) {
    if (!b(v, c, d)) {
      if (c === null) return false;
      ok = false;
    }
  }
  return ok;
}

function anyOfShapes(v: unknown, branches: [Check, Candidate][], c: Collector | null, d: number): boolean {
  if (branches.some(([b]) => b(v, null, d))) return true;
  return noMatch(v, branches, c, d, "any_of");
}

function oneOfShapes(v: unknown, branches: [Check, Candidate][], c: Collector | null, d: number): boolean {
  const matching: number[] = [];
  branches.forEach(([b], i) => {
    if (matching.length < 2 && b(v, null, d)) matching.push(i);
  });
  if (matching.length === 1) return true;
  if (matching.length === 0) return noMatch(v, branches, c, d, "one_of");
  return failWith(c, "one_of", `matches more than one of the ${branches.length} allowed shapes (${matching[0]} and ${matching[1]})`);
}

function noMatch(v: unknown, branches: [Check, Candidate][], c: Collector | null, d: number, kind: string): boolean {
  if (c === null) return false;
  const candidates = branches.filter(([, k]) => k(v, CANDIDATE_BUDGET));
  const only = candidates[0];
  if (only !== undefined && candidates.length === 1) {
    const before = c.found.length;
    only[0](v, c, d);
    if (c.found.length > before) return false;
  }
  const n = branches.length;
  return failWith(c, kind, `matches none of the ${n} allowed ${n === 1 ? "shape" : "shapes"}`);
}

function notMatch(v: unknown, check: Check, c: Collector | null, d: number): boolean {
  return !check(v, null, d) || failWith(c, "not", "must not match the excluded shape");
}

function ifThenElse(v: unknown, cond: Check, then: Check | null, otherwise: Check | null, c: Collector | null, d: number): boolean {
  const branch = cond(v, null, d) ? then : otherwise;
  return branch === null || branch(v, c, d);
}

function propertyConstants(v: unknown, named: [string, (budget: number) => Constant][], budget: number): boolean {
  if (!isObject(v)) return true;
  return named.every(([name, constant]) => {
    if (!Object.prototype.hasOwnProperty.call(v, name)) return true;
    const expected = constant(budget);
    return expected === NONE || jsonEqual(expected.value, v[name]);
  });
}

// Formats, checked as the server checks them.

function isEmail(s: string): boolean {
  const at = s.lastIndexOf("@");
  if (at < 0) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local === "" || domain === "") return false;
  if (/\p{Cc}/u.test(s)) return false;
  const quoted = local.length >= 2 && local.startsWith('"') && local.endsWith('"');
  const localOk = quoted
    ? !local.slice(1, -1).includes('"')
    : !local.includes("@") && !/\p{White_Space}/u.test(local) && !local.startsWith(".") && !local.endsWith(".") && !local.includes("..");
  if (!localOk || /\p{White_Space}/u.test(domain)) return false;
  if (domain.startsWith("[") && domain.endsWith("]")) {
    // An address literal: `[127.0.0.1]` or `[IPv6:::1]`.
    const literal = domain.slice(1, -1);
    return literal.startsWith("IPv6:") ? isIpv6(literal.slice(5)) : isIpv4(literal);
  }
  return domain === "localhost" || (domain.includes(".") && !domain.startsWith(".") && !domain.endsWith(".") && !domain.includes(".."));
}

function isIpv4(s: string): boolean {
  return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s);
}

function isIpv6(s: string): boolean {
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const group = all[i] as string;
    if (i === all.length - 1 && group.includes(".")) {
      if (!isIpv4(group)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(group)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

function uriChars(s: string, extra: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "%") {
      if (!/^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) return false;
      i += 2;
    } else if (!/[A-Za-z0-9]/.test(ch) && !"-._~!$&'()*+,;=".includes(ch) && !extra.includes(ch)) {
      return false;
    }
  }
  return true;
}

function uriAuthority(s: string): boolean {
  const at = s.lastIndexOf("@");
  const userinfo = at < 0 ? null : s.slice(0, at);
  const hostPort = at < 0 ? s : s.slice(at + 1);
  if (userinfo !== null && !uriChars(userinfo, ":")) return false;
  let host: string;
  let port: string | null;
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    if (close < 0) return false;
    const literal = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    const literalOk = isIpv6(literal) || (/^[vV]/.test(literal) && literal.includes(".") && uriChars(literal, ":"));
    if (!literalOk) return false;
    host = "";
    if (after === "") port = null;
    else if (after.startsWith(":")) port = after.slice(1);
    else return false;
  } else {
    const colon = hostPort.lastIndexOf(":");
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    port = colon < 0 ? null : hostPort.slice(colon + 1);
  }
  return uriChars(host, "") && (port === null || /^\d*$/.test(port));
}

function isUri(s: string): boolean {
  const colon = s.indexOf(":");
  if (colon < 0) return false;
  if (!/^[A-Za-z][A-Za-z0-9+\-.]*$/.test(s.slice(0, colon))) return false;
  let rest = s.slice(colon + 1);
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = "";
  const question = rest.indexOf("?");
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  if (!uriChars(fragment, "/?:@") || !uriChars(query, "/?:@")) return false;
  let path = rest;
  if (rest.startsWith("//")) {
    const after = rest.slice(2);
    const slash = after.indexOf("/");
    const end = slash < 0 ? after.length : slash;
    if (!uriAuthority(after.slice(0, end))) return false;
    path = after.slice(end);
  }
  return uriChars(path, "/:@");
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

function isDateTime(s: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (m === null || !isDate(m[1] as string)) return false;
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (hour > 23 || minute > 59 || second > 60) return false;
  let offset = 0;
  if (m[7] !== undefined) {
    const [oh, om] = [Number(m[8]), Number(m[9])];
    if (oh > 23 || om > 59) return false;
    offset = (m[7] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  // A leap second (`:60`) is the last second of a day in UTC (23:59:60Z).
  if (second === 60) return (((hour * 60 + minute - offset) % 1440) + 1440) % 1440 === 23 * 60 + 59;
  return true;
}

function isUuid(s: string): boolean {
  const hex = "[0-9A-Fa-f]";
  const hyphenated = `${hex}{8}-${hex}{4}-${hex}{4}-${hex}{4}-${hex}{12}`;
  return new RegExp(`^(?:${hex}{32}|${hyphenated}|\\{${hyphenated}\\}|urn:uuid:${hyphenated})$`).test(s);
}

// The compiled schemas.

{{ checks }}
