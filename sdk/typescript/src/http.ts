/**
 * The HTTP layer: one request, its retries, and its error.
 *
 * - A `409 version_conflict` (another writer got there first; nothing was written) is sent
 *   again a few times with a little jitter, unless the server marks it `retryable: false`.
 * - A `409 session_busy` (the session runs another command; nothing ran) or
 *   `409 idempotency_in_progress` (this call's first try still runs) is waited out, up to
 *   `busyPatienceS`.
 * - A `429` is raised at once, unless `retryRateLimited` is on: then it waits `Retry-After`
 *   while the waits stay within `maxRateLimitWaitS`.
 * - Every POST carries an `Idempotency-Key`, made once per call and sent again on its
 *   retries, so a retry the server already answered is not done twice.
 *
 * @module
 */

import { connectionError, errorFromResponse, type OrchestriaError } from "./errors.js";
import type { OperationKey, Operations } from "./schema.js";

/** The SDK's version, sent in `User-Agent`. */
export const SDK_VERSION = "0.1.0";

/** How a client connects and how patient it is. */
export interface ClientOptions {
  /** The server, such as `http://127.0.0.1:8000` (a path prefix is kept: `https://host/lab`). */
  baseUrl: string;
  /** An API key from `orchestria keys create --account NAME`. */
  apiKey: string;
  /** How long one request may take, in milliseconds (a streamed command: the whole stream). Default 120000. */
  timeoutMs?: number;
  /** Wait out `429 rate_limited` answers (`Retry-After`) instead of raising them. Default false. */
  retryRateLimited?: boolean;
  /** The most seconds one call waits, in all, for rate limits to pass. Default 60. */
  maxRateLimitWaitS?: number;
  /** How often a `409 version_conflict` is sent again before it is raised. Default 3. */
  conflictRetries?: number;
  /** How long a call waits, retrying, for a session busy with another command (seconds). Default 60. */
  busyPatienceS?: number;
  /** The fetch to use (default: the global one of Node 20). */
  fetch?: typeof fetch;
  /** Headers sent with every request (after the SDK's own). */
  headers?: Record<string, string>;
}

/** Per-call options, taken by every method. */
export interface CallOptions {
  /** This call's `Idempotency-Key` (POSTs only; default: a new random UUID per call). */
  idempotencyKey?: string;
  /** Abort the call (its retries and waits too). */
  signal?: AbortSignal;
  /** Extra headers for this call (an `X-Request-Id` of your own, say). */
  headers?: Record<string, string>;
}

/** Query values; `undefined` and `null` are left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

/** One request, before it is sent: a path under `baseUrl` (or an absolute URL) and its body. */
export interface RequestSpec {
  method: "GET" | "POST" | "DELETE";
  url: string;
  query?: Query;
  json?: unknown;
  form?: FormData;
  accept?: string;
}

type PathArgs<P> = Record<string, never> extends P ? { path?: P } : { path: P };

/** The arguments of an operation, typed from the schema: path and query parameters and its body. */
export type OperationArgs<K extends OperationKey> = PathArgs<Operations[K]["path"]> & {
  query?: Operations[K]["query"];
  json?: Operations[K]["json"];
  form?: FormData;
};

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

/** 409s that say "not now, nothing ran": the session runs another command, or this call's first try still runs. */
const WAIT_OUT = new Set(["session_busy", "idempotency_in_progress"]);

const uniform = (low: number, high: number): number => low + Math.random() * (high - low);

/** The `rel="next"` URL of a `Link` header, if there is one. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>([^,]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(match[2] ?? "");
    if ((rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/).includes("next")) return match[1];
  }
  return undefined;
}

function originOf(baseUrl: string): string {
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  if (url === undefined || !["http:", "https:"].includes(url.protocol)) {
    throw new TypeError(`ClientOptions.baseUrl ${JSON.stringify(baseUrl)} is not an http(s) URL: give the scheme, ` +
      "host and port, such as 'http://127.0.0.1:8000'.");
  }
  return url.origin;
}

/** Sends requests for one client: auth, retries, errors. */
export class Transport {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly apiKey: string;
  private readonly settings: Required<Pick<ClientOptions,
    "timeoutMs" | "retryRateLimited" | "maxRateLimitWaitS" | "conflictRetries" | "busyPatienceS">>;
  private readonly extraHeaders: Record<string, string>;
  private readonly fetch: typeof fetch;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("ClientOptions.baseUrl is required, such as 'http://127.0.0.1:8000'.");
    if (!options.apiKey) throw new TypeError("ClientOptions.apiKey is required: make one with `orchestria keys create --account NAME`.");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.origin = originOf(this.baseUrl);
    this.apiKey = options.apiKey;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.extraHeaders = options.headers ?? {};
    this.settings = {
      timeoutMs: options.timeoutMs ?? 120_000,
      retryRateLimited: options.retryRateLimited ?? false,
      maxRateLimitWaitS: options.maxRateLimitWaitS ?? 60,
      conflictRetries: options.conflictRetries ?? 3,
      busyPatienceS: options.busyPatienceS ?? 60,
    };
  }

  /** The absolute URL of `url` (a path under `baseUrl`, or absolute) with `query`. */
  resolve(url: string, query?: Query): URL {
    const resolved = /^[a-z][a-z0-9+.-]*:/i.test(url) ? new URL(url) : new URL(this.baseUrl + url);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) resolved.searchParams.set(name, String(value));
    }
    return resolved;
  }

  /**
   * Send `spec`, with the retries above; resolves to the successful `Response` (its body
   * unread), or rejects with the {@link OrchestriaError} of the answer.
   */
  async send(spec: RequestSpec, call: CallOptions = {}): Promise<Response> {
    const url = this.resolve(spec.url, spec.query);
    const headers = this.headers(spec, url, call);
    const body = spec.form ?? (spec.json === undefined ? undefined : JSON.stringify(spec.json));
    const busyDeadline = Date.now() + this.settings.busyPatienceS * 1000;
    let conflicts = 0;
    let rateLimitWaitS = 0;
    for (;;) {
      const response = await this.attempt(url, { method: spec.method, headers, body }, call.signal);
      if (response.ok) return response;
      const error = await errorFromResponse(response);
      const wait = this.retryDelayMs(error, { conflicts, rateLimitWaitS, busyDeadline });
      if (wait === undefined) throw error;
      if (error.code === "version_conflict") conflicts += 1;
      if (error.status === 429) rateLimitWaitS += wait / 1000;
      await sleep(wait, call.signal);
    }
  }

  /** Operation `op` of the schema, such as `"GET /v1/sessions/{session_id}/stems"`, answering its JSON. */
  async call<K extends OperationKey>(op: K, args: OperationArgs<K>, call?: CallOptions): Promise<Operations[K]["response"]> {
    const [method, template] = op.split(" ") as [RequestSpec["method"], string];
    const params = (args.path ?? {}) as Record<string, string>;
    const url = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new TypeError(`${op} needs the path parameter '${name}'.`);
      return encodeURIComponent(value);
    });
    const response = await this.send({ method, url, query: args.query as Query, json: args.json, form: args.form }, call);
    return (response.status === 204 ? undefined : await response.json()) as Operations[K]["response"];
  }

  /** Every row of a paged list, page after page, following `Link: <...>; rel="next"`. */
  async *pages<T>(url: string, query: Query, call?: CallOptions): AsyncGenerator<T> {
    let next: string | undefined = url;
    let pageQuery: Query | undefined = query;
    while (next !== undefined) {
      const response = await this.send({ method: "GET", url: next, query: pageQuery }, call);
      for (const row of (await response.json()) as T[]) yield row;
      const link = nextLink(response.headers.get("link"));
      next = link === undefined ? undefined : new URL(link, response.url || this.resolve(url)).toString();
      pageQuery = undefined; // the next link carries the cursor and the page size
    }
  }

  private headers(spec: RequestSpec, url: URL, call: CallOptions): Headers {
    const headers = new Headers({ "User-Agent": `orchestria-lab-sdk-ts/${SDK_VERSION}`, Accept: spec.accept ?? "application/json" });
    // The key goes to the server only: a URL elsewhere (a CDN, a signed link) gets none.
    if (url.origin === this.origin) headers.set("Authorization", `Bearer ${this.apiKey}`);
    if (spec.json !== undefined) headers.set("Content-Type", "application/json");
    if (spec.method === "POST") headers.set("Idempotency-Key", call.idempotencyKey ?? crypto.randomUUID());
    for (const [name, value] of Object.entries({ ...this.extraHeaders, ...call.headers })) headers.set(name, value);
    return headers;
  }

  private async attempt(url: URL, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    try {
      return await this.fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (cause) {
      if (signal?.aborted) throw cause; // the caller's own abort
      throw connectionError(url.toString(), cause, this.settings.timeoutMs);
    }
  }

  /** How long to wait before sending `error`'s request again, or undefined to raise it. */
  private retryDelayMs(error: OrchestriaError,
    state: { conflicts: number; rateLimitWaitS: number; busyDeadline: number }): number | undefined {
    const retryableConflict = error.code === "version_conflict" && error.details.retryable !== false;
    if (error.status === 409 && retryableConflict && state.conflicts < this.settings.conflictRetries) {
      return uniform(0, 50 * (state.conflicts + 1));
    }
    if (error.status === 409 && WAIT_OUT.has(error.code) && Date.now() < state.busyDeadline) {
      return Math.min(2, error.retryAfter ?? 1) * uniform(0.5, 1) * 1000;
    }
    if (error.status === 429 && this.settings.retryRateLimited) {
      const wait = error.retryAfter ?? 1;
      if (state.rateLimitWaitS + wait <= this.settings.maxRateLimitWaitS) return wait * 1000 + uniform(0, 250);
    }
    return undefined;
  }
}
