/**
 * A reader of `text/event-stream` bodies (server-sent events), as the WHATWG spec parses them:
 * lines end with LF, CR or CRLF; `event:`, `data:` (joined with LF) and `id:` fields; lines
 * starting with `:` are comments; a blank line ends an event.
 *
 * ```ts
 * for await (const event of readServerSentEvents(response.body!)) console.log(event.event, event.data);
 * ```
 *
 * @module
 */

/** One event of the stream: its `event` name (default `message`), `data` text and `id`. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** The events of `body` (a fetch body, or any byte chunks), in order, as they arrive. */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder("utf-8");
  const parser = new EventParser();
  let buffer = "";
  for await (const chunk of chunks(body)) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: RegExpExecArray | null;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    while ((end = lineEnd.exec(buffer)) !== null) {
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (end[0] === "\r" && end.index === buffer.length - 1) break;
      const event = parser.line(buffer.slice(start, end.index));
      if (event) yield event;
      start = lineEnd.lastIndex;
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  for (const line of buffer.split(/\r\n|\r|\n/)) {
    const event = parser.line(line);
    if (event) yield event;
  }
  const last = parser.line("");
  if (last) yield last;
}

/** The chunks of `body`; a stream without async iteration (some browsers) is read with its reader. */
async function* chunks(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in body) {
    yield* body as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
  } finally {
    await reader.cancel().catch(() => undefined); // the caller stopped early, or the stream ended
    reader.releaseLock();
  }
}

/** The fields of the event being read; `line` returns the event a blank line completes. */
class EventParser {
  private event = "";
  private data: string[] = [];
  private id: string | undefined;

  line(line: string): ServerSentEvent | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return undefined;
      }
      const done = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
      this.event = "";
      this.data = [];
      return done;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = value;
    return undefined;
  }
}
