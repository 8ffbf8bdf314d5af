{# Askama template for the TypeScript types of one API. Rendered with escaping off. #}
{{ header }}
{{ types }}
/** Every message the client sends (the server receives), by its `{{ tag_field }}`. */
export interface ClientMessages {
{%- for m in client %}
  {{ m.tag_key }}: {{ m.message }};
{%- endfor %}
}

/** Every message the client sends (the server receives). */
export type ClientMessage = {% if client.is_empty() %}never{% else %}ClientMessages[keyof ClientMessages]{% endif %};

/** Every message the server sends, by its `{{ tag_field }}`; `error` is the error object. */
export interface ServerMessages {
{%- for m in server %}
  {{ m.tag_key }}: {{ m.message }};
{%- endfor %}
{%- if !error_declared %}
  error: ErrorMessage;
{%- endif %}
}

/** Every message the server sends, the error object included. */
export type ServerMessage = ServerMessages[keyof ServerMessages];

/** A correlation id: the client sets it on a request; the server copies it onto the reply and onto any error. */
export type CorrelationId = string | number;

/** The `code`s of the errors the server sends. */
export type ServerErrorCode =
  | "invalid_json"
  | "not_an_object"
  | "missing_tag"
  | "unknown_tag"
  | "validation_failed"
  | "handler_error"
  | "unsupported_frame"
  | "too_large"
  | "internal";

/**
 * The `code`s of the errors the client reports itself: `timeout` (no reply in time),
 * `disconnected` (the connection dropped while a request waited), `closed` (the client was
 * closed, or cannot connect at all), `queue_full` (not connected, and the send queue is full),
 * `missing_id` (a request whose payload declares the id field, without one) and `duplicate_id`
 * (a request whose id another waiting request has).
 */
export type ClientErrorCode = "timeout" | "disconnected" | "closed" | "queue_full" | "missing_id" | "duplicate_id";

/** An error code: the server's, the client's, or a handler's own (any string). */
export type ErrorCode = ServerErrorCode | ClientErrorCode | (string & {});

/** One problem with a message. */
export interface Violation {
  /** A JSON Pointer to the offending value; `""` is the whole message. */
  path: string;
  /** What kind of problem: `required`, `unknown_field`, `type`, `invalid`, `minimum`, ... */
  kind: string;
  /** What is wrong, for people. */
  message: string;
}

/** The error object: what the server sends when a message fails, and what the client rejects with. */
export interface ErrorMessage {
  {{ error_tag_key }}: "error";
  /** The correlation id of the message that caused the error, when it had one. */
  id?: CorrelationId;
  code: ErrorCode;
  message: string;
  /** Every violation; empty when the error has none. */
  errors: Violation[];
}
