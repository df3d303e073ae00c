/**
 * The TypeScript SDK of Orchestria Lab's REST API. No runtime dependencies: Node 20's fetch.
 *
 * @module
 */

export { type MidiSessionFields, OrchestriaClient } from "./client.js";
export { ConnectionError, OrchestriaError, type OrchestriaErrorInit } from "./errors.js";
export type { MidiInput } from "./files.js";
export { type CallOptions, type ClientOptions, nextLink, type OperationArgs, SDK_VERSION } from "./http.js";
export type * from "./schema.js";
export {
  type CommandEvent, type CommandOptions, type ConductorEvent, type ConductorEventType, RemoteSession, type ResultEvent,
  type VersionOptions,
} from "./session.js";
export { readServerSentEvents, type ServerSentEvent } from "./sse.js";
