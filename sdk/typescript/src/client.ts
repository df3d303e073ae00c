/**
 * The client: a connection to an Orchestria Lab server, acting for one API key.
 *
 * ```ts
 * const client = new OrchestriaClient({ baseUrl: "http://127.0.0.1:8000", apiKey: process.env.ORCHESTRIA_KEY! });
 * const session = await client.createSession({ bpm: 90, key: "Cm", genre: "lo-fi" });
 * const result = await session.command("Add warm piano chords with reverb");
 * ```
 *
 * @module
 */

import { midiFile, type MidiInput, saveBody, toFormData } from "./files.js";
import { type CallOptions, type ClientOptions, type OperationArgs, Transport } from "./http.js";
import type { AgentOut, MidiSessionCreate, OperationKey, Operations, SessionCreate, SessionListItem } from "./schema.js";
import { RemoteSession } from "./session.js";

/** The fields beside a MIDI file that makes a session: `genre`, and optional `key`, `bpm`, `sample_rate`, `seed`. */
export type MidiSessionFields = Omit<MidiSessionCreate, "file">;

/** A connection to a server for one API key. Holds no sockets of its own: nothing to close. */
export class OrchestriaClient {
  private readonly http: Transport;

  constructor(options: ClientOptions) {
    this.http = new Transport(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** A new, empty session (version 0). */
  async createSession(settings: SessionCreate, call?: CallOptions): Promise<RemoteSession> {
    return new RemoteSession(this.http, await this.http.call("POST /v1/sessions", { json: settings }, call));
  }

  /** A new session made from a MIDI file (its tempo, metre, key; its tracks as stems in version 1). */
  async sessionFromMidi(file: MidiInput, fields: MidiSessionFields, options: CallOptions & { filename?: string } = {}):
    Promise<RemoteSession> {
    const { filename, ...call } = options;
    const form: MidiSessionCreate = { ...fields, file: await midiFile(file, filename, "session.mid") };
    return new RemoteSession(this.http, await this.http.call("POST /v1/sessions", { form: toFormData({ ...form }) }, call));
  }

  /** An open session of this account (404 `not_found` for any other). */
  async openSession(sessionId: string, call?: CallOptions): Promise<RemoteSession> {
    return new RemoteSession(this.http, await this.http.call("GET /v1/sessions/{session_id}", { path: { session_id: sessionId } }, call));
  }

  /** This account's open sessions, oldest first, page after page as the loop asks for them. */
  iterSessions(options: CallOptions & { pageSize?: number } = {}): AsyncGenerator<SessionListItem> {
    const { pageSize, ...call } = options;
    return this.http.pages<SessionListItem>("/v1/sessions", { limit: pageSize ?? 100 }, call);
  }

  /** All of this account's open sessions (every page). */
  async listSessions(options: CallOptions & { pageSize?: number } = {}): Promise<SessionListItem[]> {
    const rows: SessionListItem[] = [];
    for await (const row of this.iterSessions({ pageSize: 1000, ...options })) rows.push(row);
    return rows;
  }

  /** The server's agents: capabilities, parameters, status, live state. */
  agents(call?: CallOptions): Promise<AgentOut[]> {
    return this.http.call("GET /v1/agents", {}, call);
  }

  /** The bytes of a file URL the API gave (a stem's `url`, an export file's `url`). */
  async download(url: string, call?: CallOptions): Promise<Uint8Array> {
    const response = await this.http.send({ method: "GET", url, accept: "*/*" }, call);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Download a file URL the API gave into `path`, streaming; returns `path`. */
  async downloadTo(url: string, path: string, call?: CallOptions): Promise<string> {
    return saveBody(await this.http.send({ method: "GET", url, accept: "*/*" }, call), path);
  }

  /**
   * Any operation of the schema by its `"METHOD /path"`, typed from the schema, for what the
   * methods above do not wrap. Retries and errors as everywhere.
   *
   * ```ts
   * const exported = await client.request("GET /v1/exports/{export_id}", { path: { export_id: "exp_..." } });
   * ```
   */
  request<K extends OperationKey>(op: K, args: OperationArgs<K>, call?: CallOptions): Promise<Operations[K]["response"]> {
    return this.http.call(op, args, call);
  }

  toString(): string {
    return `<OrchestriaClient ${this.baseUrl}>`;
  }
}
