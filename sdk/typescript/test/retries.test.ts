// Retries, idempotency keys, typed errors and links, on a fake fetch (no server needed).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";

import { ConnectionError, nextLink, OrchestriaClient, OrchestriaError } from "../src/index.js";

interface Seen {
  method: string;
  url: string;
  headers: Headers;
}

/** A client whose fetch answers from `answers` in turn (the last one again when they run out). */
function fake(answers: (() => Response)[], options: Record<string, unknown> = {}) {
  const seen: Seen[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.push({ method: init?.method ?? "GET", url: String(input), headers: new Headers(init?.headers) });
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)];
    return answer!();
  };
  const client = new OrchestriaClient({ baseUrl: "http://lab.test/", apiKey: "k", fetch, ...options });
  return { client, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const error = (status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: `${code} happened`, request_id: "req_body", ...extra } }, headers);
const session = json(201, { id: "ses_1", version: 0 });

async function rejects(promise: Promise<unknown>): Promise<OrchestriaError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OrchestriaError, `expected an OrchestriaError, got ${String(err)}`);
    return err;
  }
  assert.fail("the call did not fail");
}

test("every POST carries an Idempotency-Key, the same on each retry of the call", async () => {
  const { client, seen } = fake([error(409, "version_conflict"), error(409, "version_conflict"), session, session]);
  await client.createSession({ bpm: 90, key: "Cm", genre: "lo-fi" });
  await client.createSession({ bpm: 90, key: "Cm", genre: "lo-fi" });
  const keys = seen.map((s) => s.headers.get("idempotency-key"));
  assert.equal(seen.length, 4);
  assert.match(keys[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(keys[1], keys[0]);
  assert.equal(keys[2], keys[0]);
  assert.notEqual(keys[3], keys[0], "a new call has a new key");
  assert.equal(seen[0]!.headers.get("authorization"), "Bearer k");
  assert.equal(seen[0]!.url, "http://lab.test/v1/sessions");
});

test("the caller's own Idempotency-Key is sent; GETs carry none", async () => {
  const { client, seen } = fake([session, json(200, [])]);
  await client.createSession({ bpm: 90, key: "Cm", genre: "lo-fi" }, { idempotencyKey: "mine-1" });
  await client.agents();
  assert.equal(seen[0]!.headers.get("idempotency-key"), "mine-1");
  assert.equal(seen[1]!.headers.get("idempotency-key"), null);
});

test("a version conflict is raised after the retries, or at once when not retryable", async () => {
  const many = fake([error(409, "version_conflict")], { conflictRetries: 2 });
  const err = await rejects(many.client.createSession({ bpm: 90, key: "Cm", genre: "x" }));
  assert.equal(err.code, "version_conflict");
  assert.equal(many.seen.length, 3);
  const final = fake([error(409, "version_conflict", { retryable: false })]);
  await rejects(final.client.createSession({ bpm: 90, key: "Cm", genre: "x" }));
  assert.equal(final.seen.length, 1);
});

test("a busy session is waited out with the same key", async () => {
  const { client, seen } = fake([error(409, "session_busy", { retry_after: 0 }, { "retry-after": "0" }),
    error(409, "idempotency_in_progress", {}, { "retry-after": "0" }), session]);
  const made = await client.createSession({ bpm: 90, key: "Cm", genre: "x" });
  assert.equal(made.id, "ses_1");
  assert.equal(new Set(seen.map((s) => s.headers.get("idempotency-key"))).size, 1);
});

test("a busy session past the patience is raised with its retryAfter", async () => {
  const { client } = fake([error(409, "session_busy", {}, { "retry-after": "0" })], { busyPatienceS: 0 });
  const err = await rejects(client.createSession({ bpm: 90, key: "Cm", genre: "x" }));
  assert.equal(err.code, "session_busy");
  assert.equal(err.retryAfter, 0);
});

test("429 is raised by default, with retryAfter, requestId and details", async () => {
  const { client, seen } = fake([error(429, "rate_limited", { limit: 60, retry_after: 12 }, { "retry-after": "12" })]);
  const err = await rejects(client.agents());
  assert.equal(seen.length, 1);
  assert.equal(err.status, 429);
  assert.equal(err.retryAfter, 12);
  assert.equal(err.requestId, "req_body");
  assert.equal(err.details.limit, 60);
  assert.equal(err.message, "rate_limited happened");
});

test("retryRateLimited waits Retry-After, within maxRateLimitWaitS", async () => {
  const ok = fake([error(429, "rate_limited", {}, { "retry-after": "0" }), json(200, [])], { retryRateLimited: true });
  assert.deepEqual(await ok.client.agents(), []);
  assert.equal(ok.seen.length, 2);
  const tooLong = fake([error(429, "rate_limited", {}, { "retry-after": "30" })],
    { retryRateLimited: true, maxRateLimitWaitS: 10 });
  const err = await rejects(tooLong.client.agents());
  assert.equal(err.retryAfter, 30);
  assert.equal(tooLong.seen.length, 1);
});

test("an error body that is not JSON still makes a typed error, its id from X-Request-Id", async () => {
  const { client } = fake([() => new Response("<h1>Bad Gateway</h1>", { status: 502, headers: { "x-request-id": "req_hdr" } })]);
  const err = await rejects(client.agents());
  assert.equal(err.code, "http_502");
  assert.equal(err.status, 502);
  assert.equal(err.requestId, "req_hdr");
  assert.match(err.message, /Bad Gateway/);
});

test("the key goes to the server's origin only", async () => {
  const { client, seen } = fake([() => new Response("bytes")]);
  await client.download("https://cdn.elsewhere.test/file.wav");
  await client.download("http://lab.test/v1/exports/e/files/a.wav");
  assert.equal(seen[0]!.headers.get("authorization"), null);
  assert.equal(seen[1]!.headers.get("authorization"), "Bearer k");
});

test("lists follow Link rel=next", async () => {
  const page1 = json(200, [{ id: "a" }], { link: '<http://lab.test/v1/sessions?limit=1&after=a>; rel="next"' });
  const { client, seen } = fake([page1, json(200, [{ id: "b" }])]);
  assert.deepEqual((await client.listSessions({ pageSize: 1 })).map((s) => s.id), ["a", "b"]);
  assert.equal(seen[0]!.url, "http://lab.test/v1/sessions?limit=1");
  assert.equal(seen[1]!.url, "http://lab.test/v1/sessions?limit=1&after=a");
  assert.equal(nextLink('<http://x/p?a=1>; rel="prev", <http://x/p?a=3>; rel="next"'), "http://x/p?a=3");
  assert.equal(nextLink('<http://x/p>; rel="prev"'), undefined);
});

test("a server that cannot be reached says where and what to check", async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const client = new OrchestriaClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: "k" });
  const err = await rejects(client.agents());
  assert.ok(err instanceof ConnectionError);
  assert.equal(err.code, "unreachable");
  assert.equal(err.status, 0);
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(err.message, /ECONNREFUSED/);
  assert.match(err.message, /orchestria serve/);
});

test("options that are missing are refused with what to pass", () => {
  assert.throws(() => new OrchestriaClient({ baseUrl: "http://x", apiKey: "" }), /orchestria keys create/);
  for (const baseUrl of ["127.0.0.1:8000", "localhost:8000"]) {
    assert.throws(() => new OrchestriaClient({ baseUrl, apiKey: "k" }), /such as 'http:\/\/127\.0\.0\.1:8000'/);
  }
});
