/**
 * The SDK's one error class, and how an answer or a failed connection becomes one.
 *
 * Every error answer of the API has the body `{"error": {"code", "message", ..., "request_id"}}`;
 * {@link OrchestriaError} carries those fields, so callers branch on `code` and quote `requestId`
 * in a bug report:
 *
 * ```ts
 * try {
 *   await client.openSession("ses_missing");
 * } catch (err) {
 *   if (err instanceof OrchestriaError && err.code === "not_found") console.log(err.requestId);
 * }
 * ```
 *
 * @module
 */

import type { ErrorDetail } from "./schema.js";

/** What an {@link OrchestriaError} is made from. */
export interface OrchestriaErrorInit {
  /** The HTTP status; 0 when no answer came (the server could not be reached, or it timed out). */
  status: number;
  /** The API's error code, such as `not_found`, `invalid_request`, `rate_limited`, `session_busy`. */
  code: string;
  message: string;
  /** Seconds to wait before trying again (from `Retry-After` or the body's `retry_after`). */
  retryAfter?: number | undefined;
  /** The id the server gave the request (the body's `request_id`, else `X-Request-Id`). */
  requestId?: string | undefined;
  /** Every other field of the error body: `suggestions`, `problems`, `retryable`, `kind` ... */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * An error of the API (any non-2xx answer), or a request that got no answer.
 *
 * `message` is the server's own, which says what would be valid or what to try;
 * `details` holds the rest of the error body (for a command not understood:
 * `understood` and `suggestions`; for a bad body: `problems`).
 */
export class OrchestriaError extends Error {
  override readonly name: string = "OrchestriaError";
  readonly status: number;
  readonly code: string;
  readonly retryAfter: number | undefined;
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(init: OrchestriaErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
    this.details = init.details ?? {};
  }

  override toString(): string {
    const where = this.requestId ? ` (request ${this.requestId})` : "";
    return `${this.name} ${this.status} ${this.code}: ${this.message}${where}`;
  }
}

/**
 * No answer from the server: refused, reset, unknown host, or no answer within the timeout.
 * `code` is `unreachable` or `timeout` and `status` 0; the message names the URL and what to check.
 */
export class ConnectionError extends OrchestriaError {
  override readonly name: string = "ConnectionError";
}

/** Seconds from a `Retry-After` header: a number of seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/**
 * The error an answer stands for. Reads the body (JSON error shape, else its first 500
 * characters as the message, as a proxy's page would be).
 */
export async function errorFromResponse(response: Response): Promise<OrchestriaError> {
  const text = await response.text();
  let body: Partial<ErrorDetail> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const inner = (parsed as { error?: unknown } | null)?.error;
    if (inner !== null && typeof inner === "object") body = inner as Partial<ErrorDetail>;
  } catch {
    body = undefined;
  }
  const fallback = { code: `http_${response.status}`, message: text.slice(0, 500) || response.statusText };
  return errorFromBody(response.status, body ?? fallback, response.headers);
}

/**
 * The error of an error body `{"code", "message", ...}` with `status`; headers, when given,
 * supply `Retry-After` and `X-Request-Id` where the body has none.
 */
export function errorFromBody(status: number, body: Partial<ErrorDetail>, headers?: Headers): OrchestriaError {
  const { code, message, request_id, retry_after, ...details } = body;
  const requestId = typeof request_id === "string" && request_id ? request_id : headers?.get("x-request-id") ?? undefined;
  const fromHeader = parseRetryAfter(headers?.get("retry-after") ?? null);
  const retryAfter = fromHeader ?? (typeof retry_after === "number" ? retry_after : undefined);
  if (retry_after !== undefined) details.retry_after = retry_after;
  return new OrchestriaError({
    status,
    code: typeof code === "string" && code ? code : `http_${status}`,
    message: typeof message === "string" ? message : "",
    retryAfter,
    requestId,
    details,
  });
}

/** The error of a request that got no answer: which URL, why, and what to check. */
export function connectionError(url: string, cause: unknown, timeoutMs: number): ConnectionError {
  const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
  if (timedOut) {
    return new ConnectionError({
      status: 0,
      code: "timeout",
      message: `No answer from ${url} within ${timeoutMs} ms (or the call was aborted). A long command or ` +
        "render may need a larger `timeoutMs` in the client's options; check that the server is not overloaded.",
      cause,
    });
  }
  const reason = describeCause(cause);
  return new ConnectionError({
    status: 0,
    code: "unreachable",
    message: `Could not reach the Orchestria Lab server at ${url}${reason ? ` (${reason})` : ""}. Check that ` +
      "the server runs (`orchestria serve --port PORT`), that `baseUrl` has the right scheme, host and port, " +
      "and that no proxy or firewall is in the way.",
    cause,
  });
}

function describeCause(cause: unknown): string {
  // fetch fails with TypeError("fetch failed") whose cause is the system error (ECONNREFUSED ...).
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (!(inner instanceof Error)) return "";
  const code = (inner as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${inner.message}` : inner.message;
}
