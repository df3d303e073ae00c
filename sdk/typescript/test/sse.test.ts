// The SSE reader on streams cut at awkward places.
import assert from "node:assert/strict";
import { test } from "node:test";

import { readServerSentEvents, type ServerSentEvent } from "../src/index.js";

async function read(...chunks: string[]): Promise<ServerSentEvent[]> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  async function* body(): AsyncGenerator<Uint8Array> {
    yield* bytes;
  }
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body())) events.push(event);
  return events;
}

test("events are read whole whatever the chunks", async () => {
  const stream = 'event: plan\nid: 0\ndata: {"a": 1}\n\nevent: result\nid: 1\ndata: {"version": 2}\n\n';
  const whole = await read(stream);
  assert.deepEqual(whole, [
    { event: "plan", id: "0", data: '{"a": 1}' },
    { event: "result", id: "1", data: '{"version": 2}' },
  ]);
  assert.deepEqual(await read(...stream.split("")), whole);
});

test("CRLF split across chunks, comments, multi-line data and the default name", async () => {
  const events = await read(": keep-alive\r", "\n", "data: one\r", "\ndata:two\r\n\r", "\n");
  assert.deepEqual(events, [{ event: "message", id: undefined, data: "one\ntwo" }]);
});

test("an event without a closing blank line is still read; empty events are not", async () => {
  assert.deepEqual(await read("event: x\n\n", "event: result\ndata: {}"), [{ event: "result", id: undefined, data: "{}" }]);
});

test("multi-byte characters split between chunks survive", async () => {
  const bytes = new TextEncoder().encode("data: café ♪\n\n");
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const byte of bytes) yield new Uint8Array([byte]);
  }
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body())) events.push(event);
  assert.equal(events[0]?.data, "café ♪");
});

test("a stream without async iteration is read with its reader", async () => {
  const stream = new Blob(["event: result\ndata: {}\n\n"]).stream();
  const readerOnly = { getReader: () => stream.getReader() } as unknown as ReadableStream<Uint8Array>;
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(readerOnly)) events.push(event);
  assert.deepEqual(events, [{ event: "result", id: undefined, data: "{}" }]);
});
