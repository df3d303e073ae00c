/**
 * A session on the server, with the verbs of the Python `RemoteSession`: command (JSON or
 * streamed), stems, notes, versions, diff, rollback, variations (candidates, choose), export, import, close.
 *
 * @module
 */

import { errorFromBody, OrchestriaError } from "./errors.js";
import { midiFile, type MidiInput, saveBody, toFormData } from "./files.js";
import type { CallOptions, Transport } from "./http.js";
import type {
  CandidateOut, CommandResultOut, DiffRow, ExportOut, ExportRequest, ImportMidiForm, NoteOut, SessionOut, StemOut,
  VersionOut,
} from "./schema.js";
import { readServerSentEvents } from "./sse.js";

/** What the conductor reports while a command runs. */
export type ConductorEventType = "plan" | "agent_started" | "agent_finished" | "version_created" | "error";

/**
 * One event of a running command, with the conductor's own `data` (`session_id` and, by type,
 * `plan`, `agent`, `version` ...). An `error` event here is one the command got past; an error
 * that ends the command is thrown instead.
 */
export interface ConductorEvent {
  type: ConductorEventType;
  /** The event's number in the stream, from "0". */
  id: string | undefined;
  data: Record<string, unknown>;
}

/** The stream's last event: the command result, as the JSON answer would have been. */
export interface ResultEvent {
  type: "result";
  id: string | undefined;
  data: CommandResultOut;
}

/** An event of {@link RemoteSession.streamCommand}: conductor events, then one `result`. */
export type CommandEvent = ConductorEvent | ResultEvent;

/** Options of a command. */
export interface CommandOptions extends CallOptions {
  /** Plan and change nothing. */
  dryRun?: boolean;
  /** Called with each conductor event as it happens (the command then streams). */
  onEvent?: (event: ConductorEvent) => unknown;
}

/** Options of a read at a version. */
export interface VersionOptions extends CallOptions {
  /** Default: the current version. */
  version?: number;
}

/** A session of the account, on the server. `data` is its state as of the last read. */
export class RemoteSession {
  constructor(private readonly http: Transport, public data: SessionOut) {}

  get id(): string {
    return this.data.id;
  }

  /** The current version, as of the last answer (a command, a rollback, {@link refresh}). */
  get version(): number {
    return this.data.version;
  }

  private path(): { session_id: string } {
    return { session_id: this.id };
  }

  /** Catch up with the server: versions made elsewhere, the agents' state. */
  async refresh(call?: CallOptions): Promise<this> {
    this.data = await this.http.call("GET /v1/sessions/{session_id}", { path: this.path() }, call);
    return this;
  }

  /**
   * Run a command in plain words, such as `"add drums"`; resolves to what it did. With
   * `onEvent`, the command streams and each conductor event reaches it live.
   * A command not understood rejects with code `command_not_understood` and `details.suggestions`.
   */
  async command(text: string, options: CommandOptions = {}): Promise<CommandResultOut> {
    const { onEvent, dryRun, ...call } = options;
    if (onEvent === undefined) {
      const json = { text, dry_run: dryRun ?? false };
      const result = await this.http.call("POST /v1/sessions/{session_id}/command", { path: this.path(), json }, call);
      this.landed(result);
      return result;
    }
    for await (const event of this.streamCommand(text, { dryRun, ...call })) {
      if (event.type === "result") return event.data;
      await onEvent(event);
    }
    throw streamCut();
  }

  /**
   * Run a command and yield the conductor's events as they happen (plan, agent_started,
   * agent_finished, version_created), ending with the `result`. An error that ends the
   * command is thrown from the loop, as an {@link OrchestriaError} with its HTTP status.
   *
   * ```ts
   * for await (const event of session.streamCommand("add a bass line")) {
   *   if (event.type === "result") console.log("version", event.data.version);
   *   else console.log(event.type, event.data);
   * }
   * ```
   */
  async *streamCommand(text: string, options: Omit<CommandOptions, "onEvent"> = {}): AsyncGenerator<CommandEvent> {
    const { dryRun, ...call } = options;
    const response = await this.http.send({
      method: "POST", url: `/v1/sessions/${encodeURIComponent(this.id)}/command`,
      json: { text, dry_run: dryRun ?? false }, accept: "text/event-stream",
    }, call);
    if (response.body === null) throw streamCut();
    for await (const sse of readServerSentEvents(response.body)) {
      const payload = JSON.parse(sse.data) as { data?: Record<string, unknown> } & Record<string, unknown>;
      if (sse.event === "result") {
        const result = payload as unknown as CommandResultOut;
        this.landed(result);
        yield { type: "result", id: sse.id, data: result };
        return;
      }
      const data = payload.data ?? payload;
      if (sse.event === "error" && typeof data.status === "number") {
        const { status, ...body } = data;
        throw errorFromBody(status as number, body as { code: string; message: string }, response.headers);
      }
      yield { type: sse.event as ConductorEventType, id: sse.id, data };
    }
    throw streamCut();
  }

  /** Add a MIDI file's tracks as stems (one version, of kind `import`); `role` and `name` apply to every track. */
  async importMidi(file: MidiInput, options: Partial<Omit<ImportMidiForm, "file">> & CallOptions & { filename?: string } = {}):
    Promise<CommandResultOut> {
    const { role, name, filename, ...call } = options;
    const fields: ImportMidiForm = { file: await midiFile(file, filename, "import.mid"), role, name };
    const result = await this.http.call("POST /v1/sessions/{session_id}/import",
      { path: this.path(), form: toFormData({ ...fields }) }, call);
    this.landed(result);
    return result;
  }

  /**
   * Make candidate `candidate` (from 1, best first) of a variations command the new version, as
   * "take the second one" does: one version of kind `choose`. `version` is the variations version
   * (default: the latest). A candidate out of range is a 422 that says the valid range.
   */
  async choose(candidate: number, options: CallOptions & { version?: number } = {}): Promise<CommandResultOut> {
    const { version, ...call } = options;
    const result = await this.http.call("POST /v1/sessions/{session_id}/choose",
      { path: this.path(), json: version === undefined ? { candidate } : { candidate, version } }, call);
    this.landed(result);
    return result;
  }

  /** The candidates of the variations version `version`, best first, with their scores and audio URLs. */
  candidates(version: number, call?: CallOptions): Promise<CandidateOut[]> {
    return this.http.call("GET /v1/sessions/{session_id}/versions/{version}/candidates",
      { path: { ...this.path(), version } }, call);
  }

  /** A new version that restores `version`'s content (the history keeps everything). */
  async rollback(version: number, call?: CallOptions): Promise<VersionOut> {
    const record = await this.http.call("POST /v1/sessions/{session_id}/rollback",
      { path: this.path(), json: { version } }, call);
    this.data.version = record.version;
    return record;
  }

  /** The stems with their metadata and download URLs (`url`, `midi_url`, `signed_url`). */
  stems(options: VersionOptions = {}): Promise<StemOut[]> {
    const { version, ...call } = options;
    return this.http.call("GET /v1/sessions/{session_id}/stems", { path: this.path(), query: { version } }, call);
  }

  /** Every note: stem, pitch, start and duration in beats, velocity. */
  notes(options: VersionOptions = {}): Promise<NoteOut[]> {
    const { version, ...call } = options;
    return this.http.call("GET /v1/sessions/{session_id}/notes", { path: this.path(), query: { version } }, call);
  }

  /** Every version ever made, oldest first, all pages (`pageSize` rows a request; `diff` adds each one's diff). */
  async versions(options: CallOptions & { diff?: boolean; pageSize?: number } = {}): Promise<VersionOut[]> {
    const { diff, pageSize, ...call } = options;
    const rows: VersionOut[] = [];
    const url = `/v1/sessions/${encodeURIComponent(this.id)}/versions`;
    for await (const row of this.http.pages<VersionOut>(url, { diff, limit: pageSize ?? 1000 }, call)) rows.push(row);
    return rows;
  }

  /** What changed from version `a` to `b` (default: the current version), one row per change. */
  diff(a: number, b?: number, call?: CallOptions): Promise<DiffRow[]> {
    return this.http.call("GET /v1/sessions/{session_id}/diff", { path: this.path(), query: { a, b } }, call);
  }

  /** Export the mix (or stems) on the server; the answer lists the files with their download URLs. */
  export(request: ExportRequest = {}, call?: CallOptions): Promise<ExportOut> {
    return this.http.call("POST /v1/sessions/{session_id}/export", { path: this.path(), json: request }, call);
  }

  /** Export, then download every file of the export into the folder `dir`; returns their paths. */
  async exportTo(dir: string, request: ExportRequest = {}, call?: CallOptions): Promise<string[]> {
    const { join, basename } = await import("node:path");
    const exported = await this.export(request, call);
    const paths: string[] = [];
    for (const file of exported.files) {
      const response = await this.http.send({ method: "GET", url: file.url, accept: "*/*" }, { signal: call?.signal });
      paths.push(await saveBody(response, join(dir, basename(file.name))));
    }
    return paths;
  }

  /** The mix of `version` (default current) as audio bytes (WAV unless `format` says otherwise). */
  async audio(options: VersionOptions & { format?: "wav" | "flac" | "mp3" } = {}): Promise<Uint8Array> {
    const { version, format, ...call } = options;
    return this.bytes(`/v1/sessions/${encodeURIComponent(this.id)}/audio`, { version, format }, call);
  }

  /** One stem's audio bytes. */
  async stemAudio(stemId: string, options: VersionOptions & { format?: "wav" | "flac" | "mp3" } = {}): Promise<Uint8Array> {
    const { version, format, ...call } = options;
    const url = `/v1/sessions/${encodeURIComponent(this.id)}/stems/${encodeURIComponent(stemId)}/audio`;
    return this.bytes(url, { version, format }, call);
  }

  /** Close the session (DELETE), freeing one of the account's open-session slots. */
  async close(call?: CallOptions): Promise<void> {
    await this.http.call("DELETE /v1/sessions/{session_id}", { path: this.path() }, call);
  }

  private async bytes(url: string, query: Record<string, string | number | undefined>, call: CallOptions): Promise<Uint8Array> {
    const response = await this.http.send({ method: "GET", url, query, accept: "*/*" }, call);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Take in what a command answered: the session just after it when the server sends it, else its version. */
  private landed(result: CommandResultOut): void {
    if (result.session) this.data = result.session;
    else if (result.version !== null && !result.dry_run) this.data.version = result.version;
  }

  toString(): string {
    return `<RemoteSession ${this.id} v${this.version}: ${this.data.bpm} bpm, ${this.data.key}, ${this.data.genre}>`;
  }
}

function streamCut(): OrchestriaError {
  return new OrchestriaError({
    status: 502, code: "stream_cut",
    message: "The event stream ended before the command's result. The command may still have landed: " +
      "call refresh() and look at versions() before sending it again.",
  });
}
