// Generated from the Orchestria Lab server's OpenAPI schema by
// sdk/typescript/scripts/gen_schema.py. Do not edit: change the server, then run
//   .venv/bin/python sdk/typescript/scripts/gen_schema.py
// (the tests fail while this file and the schema differ).
/* eslint-disable */

export interface AgentOut {
  name: string;
  description: string;
  /** the intents the agent handles */
  capabilities: string[];
  parameters: ParameterOut[];
  /** ready, untrained, busy or error */
  status: string;
  /** rules, baseline or model */
  backend: string;
  /** the licence of what the agent plays from: its checkpoint card's, or Apache-2.0 for rules */
  licence: string;
  /** per intent, what it acts on: new (makes a stem), stem, own (one of the agent's stems, or none when there is one), remove (a stem it takes out) or session (the whole song) */
  targets?: Record<string, string>;
  /** the intents that can act on part of the song (a bar range or a section) */
  scoped?: string[];
  /** idle or working, right now */
  state: string;
}

export interface AgentState {
  name: string;
  /** idle or working */
  state: string;
}

export interface AutomationPointOut {
  stem_id: string;
  /** gain_db, pan, lowpass_hz, highpass_hz or <effect>.mix */
  param: string;
  beat: number;
  value: number;
  /** linear, exp or step: how it moves to the next point */
  curve: string;
}

/** One take of a variations command, best first. */
export interface CandidateOut {
  /** its number, from 1, in the ranked order (what POST .../choose takes) */
  candidate: number;
  label: string;
  /** the seed its agents ran with */
  seed: number;
  /** the critic's total, 0 to 1 */
  score: number | null;
  /** whether the version plays it */
  chosen: boolean;
  scores: CriticScores;
  /** what the critic could not score, and why (default "") */
  note?: string;
  /** the hashes of its stems (the song as this take plays it) */
  stems: string[];
  /** the variations version it belongs to */
  version: number;
  /** the mix as this take plays it (WAV; with the bearer key) */
  audio_url: string;
  /** the same, signed: opens without a key until it expires */
  signed_audio_url: string;
}

export interface ChooseRequest {
  /** the candidate to play, counted from 1 in the ranked order (best first) (>= 1) */
  candidate: number;
  /** the variations version to choose from; default: the latest (the current one, or the one it chose from) (>= 0) */
  version?: number | null;
}

export interface CommandRequest {
  /** (length >= 1, length <= 2000) */
  text: string;
  /** return the plan and change nothing (default false) */
  dry_run?: boolean;
}

export interface CommandResultOut {
  /** the version the command made (a dry run: the current one) */
  version: number | null;
  message: string;
  plan: PlanStep[];
  diff: DiffRow[];
  /** (default false) */
  dry_run?: boolean;
  /** a variations command's takes, best first, with their scores and audio; null for other commands */
  candidates?: CandidateOut[] | null;
  /** the session just after the command (a dry run: as it is), as GET /v1/sessions/{id} gives it, so a client can redraw without asking again */
  session?: SessionOut | null;
}

/** The critic's scores of a take, each from 0 (bad) to 1 (good); null where it does not apply. */
export interface CriticScores {
  /** the learned model's likelihood of the line (melody, bass) */
  likelihood?: number | null;
  in_key?: number | null;
  /** strong-beat notes that are tones of the sounding chord */
  chord_tones?: number | null;
  repetition?: number | null;
  range?: number | null;
  /** fit to the neighbouring parts */
  fit?: number | null;
}

export interface DiffRow {
  stem_id: string | null;
  what: string;
  field: string | null;
  before: unknown;
  after: unknown;
  notes_added: number;
  notes_removed: number;
}

export interface EffectOut {
  type: string;
  params: Record<string, unknown>;
}

export interface ErrorBody {
  error: ErrorDetail;
}

export interface ErrorDetail {
  code: string;
  message: string;
  /** Fields the schema allows beyond those named. */
  [key: string]: unknown;
}

export interface ExportOut {
  id: string;
  session_id: string;
  version: number;
  format: "wav" | "flac" | "mp3" | "midi";
  created_at: string;
  /** when the export and its files go (ORCHESTRIA_EXPORT_TTL_DAYS) */
  expires_at: string;
  files: FileOut[];
}

export interface ExportRequest {
  /** (default "wav") */
  format?: "wav" | "flac" | "mp3" | "midi";
  /** false: the mix; true: every stem; a list: those stems (default false, items <= 64) */
  stems?: boolean | string[];
  /** default: the current version (>= 0) */
  version?: number | null;
  /** the mix's loudness: streaming (-16 LUFS), default (-14), club (-9), or LUFS from -30 to -6; the stems share the mix's gain (>= -30, <= -6) */
  loudness?: "streaming" | "default" | "club" | number | null;
}

export interface FileOut {
  name: string;
  bytes: number;
  url: string;
  signed_url: string;
}

export interface ImportMidiForm {
  /** a Standard MIDI File, at most 1 MB */
  file: Blob;
  /** the role of every track (default: guessed) */
  role?: string | null;
  /** what to name the stems */
  name?: string | null;
}

export interface KeyChangeOut {
  /** the bar it starts at, from 1 */
  bar: number;
  key: string;
}

/** The form fields beside a MIDI file that makes a session (strings from the form, so not strict). */
export interface MidiSessionCreate {
  /** (length >= 1, length <= 64) */
  genre: string;
  /** default: the file's, or found from its notes (length >= 1, length <= 32) */
  key?: string | null;
  /** default: the file's (>= 20, <= 300) */
  bpm?: number | null;
  /** one of 8000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000 (default 44100) */
  sample_rate?: number;
  /** (>= 0, <= 9223372036854775807) */
  seed?: number | null;
  /** a Standard MIDI File, at most 1 MB */
  file: Blob;
}

export interface NoteOut {
  stem_id: string;
  pitch: number;
  /** beats */
  start: number;
  /** beats */
  duration: number;
  velocity: number;
}

export interface ParameterOut {
  name: string;
  type: string;
  /** [low, high] for numbers, the choices for strings */
  range: unknown[] | null;
  default: unknown;
  unit: string;
  description: string;
}

export interface PlanStep {
  agent: string;
  intent: string;
  target?: string | null;
  /** (default {}) */
  params?: Record<string, unknown>;
  /** where in the song; null: all of it */
  scope?: ScopeOut | null;
  /** Fields the schema allows beyond those named. */
  [key: string]: unknown;
}

export interface RollbackRequest {
  /** the version whose content the new version restores (>= 0) */
  version: number;
}

export interface ScopeOut {
  /** counted from 1 */
  first_bar?: number | null;
  /** inclusive; null: to the end */
  last_bar?: number | null;
  section?: string | null;
}

export interface SectionOut {
  name: string;
  start_bar: number;
  bars: number;
}

/** A new session's settings; the session starts at version 0, with no stems. */
export interface SessionCreate {
  /** (>= 20, <= 300) */
  bpm: number;
  /** C, Cm, F#m, Bb, 'e flat major', 'D dorian' ... (length >= 1, length <= 32) */
  key: string;
  /** a style, or free text mapped to the nearest (length >= 1, length <= 64) */
  genre: string;
  /** (default "4/4", matches ^[0-9]{1,2}/[0-9]{1,2}$) */
  time_signature?: string;
  /** (default 8, >= 1, <= 256) */
  bars?: number;
  /** (default 44100) */
  sample_rate?: 8000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000 | 88200 | 96000;
  /** (>= 0, <= 9223372036854775807) */
  seed?: number | null;
}

export interface SessionListItem {
  id: string;
  version: number;
  created_at: string;
}

export interface SessionOut {
  id: string;
  bpm: number;
  key: string;
  genre: string;
  time_signature: string;
  bars: number;
  sample_rate: number;
  seed: number;
  /** the song form, bars counted from 1; [] for a song without */
  sections?: SectionOut[];
  /** the tempo map; [] for one tempo */
  tempo_changes?: TempoChangeOut[];
  /** key changes; [] for one key */
  key_changes?: KeyChangeOut[];
  /** every stem's automation points */
  automation?: AutomationPointOut[];
  version: number;
  created_at: string;
  stems: StemOut[];
  versions: VersionOut[];
  agents: AgentState[];
}

export interface StemOut {
  id: string;
  name: string;
  role: string;
  instrument: string;
  agent: string;
  effects: EffectOut[];
  /** the trim that sits the stem at its role's loudness in the mix (default 0.0) */
  level_db?: number;
  /** the user's move from that level */
  gain_db: number;
  /** integrated loudness of its render before the master (null: silent) */
  loudness_lufs?: number | null;
  pan: number;
  muted: boolean;
  solo: boolean;
  /** how many notes */
  notes: number;
  hash: string;
  notes_hash: string;
  /** written over chords the song no longer plays (refit it to follow them) (default false) */
  stale?: boolean;
  version: number;
  format: "wav" | "flac" | "mp3";
  duration_s: number;
  sample_rate: number;
  /** the stem's audio; send the bearer key */
  url: string;
  /** the stem as a MIDI file; send the bearer key */
  midi_url: string;
  /** the audio, without a key, until it expires (for <audio> tags) */
  signed_url: string;
}

export interface TempoChangeOut {
  /** the bar it starts at, from 1 */
  bar: number;
  bpm: number;
}

export interface VersionOut {
  version: number;
  parent: number | null;
  command: string;
  agents: string[];
  /** the diff from the parent, in words */
  summary: string;
  created_at: string;
  seed: number;
  /** create, edit, undo, redo, goto, rollback, import or choose (default "edit") */
  kind?: string;
  /** the version whose content an undo, redo, goto or rollback holds again */
  restores?: number | null;
  /** a variations or choose version: the candidate it plays (from 1) */
  candidate?: number | null;
  /** that candidate's score by the critic (0 to 1) */
  score?: number | null;
  /** the diff from the parent (GET .../versions?diff=true) */
  diff?: DiffRow[] | null;
}

/** Every operation of the API by `"METHOD /path"`: its parameters, body and answer. */
export interface Operations {
  /** The agents and what each can do */
  "GET /v1/agents": {
    path: Record<string, never>;
    query: Record<string, never>;
    header: Record<string, never>;
    json: never;
    form: never;
    response: AgentOut[];
  };
  /** An export and its files */
  "GET /v1/exports/{export_id}": {
    path: {
      export_id: string;
    };
    query: Record<string, never>;
    header: Record<string, never>;
    json: never;
    form: never;
    response: ExportOut;
  };
  /** A file of an export */
  "GET /v1/exports/{export_id}/files/{name}": {
    path: {
      export_id: string;
      name: string;
    };
    query: {
      /** signed URLs: expiry, Unix seconds */
      expires?: string | null;
      /** signed URLs: the id of the key that signed */
      key?: string | null;
      /** signed URLs: the signature */
      sig?: string | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: Uint8Array;
  };
  /** The account's open sessions, oldest first */
  "GET /v1/sessions": {
    path: Record<string, never>;
    query: {
      /** rows per page (at most 1000) (default 100, >= 1, <= 1000) */
      limit?: number;
      /** the last session id of the page before */
      after?: string | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: SessionListItem[];
  };
  /** Open a session at version 0, or from a MIDI file (version 1: its tracks) */
  "POST /v1/sessions": {
    path: Record<string, never>;
    query: Record<string, never>;
    header: {
      /** Any unique string, such as a UUID. A retry with the same key and body returns the first answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account. (length >= 1, length <= 255, matches ^[!-~]+$) */
      "Idempotency-Key"?: string;
    };
    json: SessionCreate;
    form: MidiSessionCreate;
    response: SessionOut;
  };
  /** A session: meta, stems, versions, agents */
  "GET /v1/sessions/{session_id}": {
    path: {
      session_id: string;
    };
    query: {
      /** the meta, stems and automation as they were at this version (default: the current one); the versions and agents are the whole history and the live state either way (>= 0) */
      version?: number | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: SessionOut;
  };
  /** Close a session, freeing one of the account's open-session slots */
  "DELETE /v1/sessions/{session_id}": {
    path: {
      session_id: string;
    };
    query: Record<string, never>;
    header: Record<string, never>;
    json: never;
    form: never;
    response: void;
  };
  /** The mix */
  "GET /v1/sessions/{session_id}/audio": {
    path: {
      session_id: string;
    };
    query: {
      /** default: the current version (>= 0) */
      version?: number | null;
      /** (default "wav") */
      format?: "wav" | "flac" | "mp3";
      /** signed URLs: expiry, Unix seconds */
      expires?: string | null;
      /** signed URLs: the id of the key that signed */
      key?: string | null;
      /** signed URLs: the signature */
      sig?: string | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: Uint8Array;
  };
  /** Make one of a variations command's candidates the new version */
  "POST /v1/sessions/{session_id}/choose": {
    path: {
      session_id: string;
    };
    query: Record<string, never>;
    header: {
      /** Any unique string, such as a UUID. A retry with the same key and body returns the first answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account. (length >= 1, length <= 255, matches ^[!-~]+$) */
      "Idempotency-Key"?: string;
    };
    json: ChooseRequest;
    form: never;
    response: CommandResultOut;
  };
  /** Run a command in plain words */
  "POST /v1/sessions/{session_id}/command": {
    path: {
      session_id: string;
    };
    query: Record<string, never>;
    header: {
      /** Any unique string, such as a UUID. A retry with the same key and body returns the first answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account. (length >= 1, length <= 255, matches ^[!-~]+$) */
      "Idempotency-Key"?: string;
    };
    json: CommandRequest;
    form: never;
    response: CommandResultOut;
  };
  /** What changed from a to b */
  "GET /v1/sessions/{session_id}/diff": {
    path: {
      session_id: string;
    };
    query: {
      /** (>= 0) */
      a: number;
      /** default: the current version (>= 0) */
      b?: number | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: DiffRow[];
  };
  /** Export the mix or stems as WAV, FLAC, MP3 or MIDI */
  "POST /v1/sessions/{session_id}/export": {
    path: {
      session_id: string;
    };
    query: Record<string, never>;
    header: {
      /** Any unique string, such as a UUID. A retry with the same key and body returns the first answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account. (length >= 1, length <= 255, matches ^[!-~]+$) */
      "Idempotency-Key"?: string;
    };
    json: ExportRequest;
    form: never;
    response: ExportOut;
  };
  /** Add a MIDI file's tracks as stems */
  "POST /v1/sessions/{session_id}/import": {
    path: {
      session_id: string;
    };
    query: Record<string, never>;
    header: {
      /** Any unique string, such as a UUID. A retry with the same key and body returns the first answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account. (length >= 1, length <= 255, matches ^[!-~]+$) */
      "Idempotency-Key"?: string;
    };
    json: never;
    form: ImportMidiForm;
    response: CommandResultOut;
  };
  /** The notes table */
  "GET /v1/sessions/{session_id}/notes": {
    path: {
      session_id: string;
    };
    query: {
      /** default: the current version (>= 0) */
      version?: number | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: NoteOut[];
  };
  /** A new version that restores an old one */
  "POST /v1/sessions/{session_id}/rollback": {
    path: {
      session_id: string;
    };
    query: Record<string, never>;
    header: {
      /** Any unique string, such as a UUID. A retry with the same key and body returns the first answer (marked `Idempotent-Replayed: true`) and makes nothing new; kept 24 h per account. (length >= 1, length <= 255, matches ^[!-~]+$) */
      "Idempotency-Key"?: string;
    };
    json: RollbackRequest;
    form: never;
    response: VersionOut;
  };
  /** Stems with their download URLs */
  "GET /v1/sessions/{session_id}/stems": {
    path: {
      session_id: string;
    };
    query: {
      /** default: the current version (>= 0) */
      version?: number | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: StemOut[];
  };
  /** One stem's audio */
  "GET /v1/sessions/{session_id}/stems/{stem_id}/audio": {
    path: {
      stem_id: string;
      session_id: string;
    };
    query: {
      /** default: the current version (>= 0) */
      version?: number | null;
      /** (default "wav") */
      format?: "wav" | "flac" | "mp3";
      /** signed URLs: expiry, Unix seconds */
      expires?: string | null;
      /** signed URLs: the id of the key that signed */
      key?: string | null;
      /** signed URLs: the signature */
      sig?: string | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: Uint8Array;
  };
  /** One stem as a MIDI file */
  "GET /v1/sessions/{session_id}/stems/{stem_id}/midi": {
    path: {
      stem_id: string;
      session_id: string;
    };
    query: {
      /** default: the current version (>= 0) */
      version?: number | null;
      /** signed URLs: expiry, Unix seconds */
      expires?: string | null;
      /** signed URLs: the id of the key that signed */
      key?: string | null;
      /** signed URLs: the signature */
      sig?: string | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: Uint8Array;
  };
  /** The version history */
  "GET /v1/sessions/{session_id}/versions": {
    path: {
      session_id: string;
    };
    query: {
      /** add each version's diff table (default false) */
      diff?: boolean;
      /** rows per page (at most 1000) (default 100, >= 1, <= 1000) */
      limit?: number;
      /** the last version of the page before (>= -1) */
      after?: number | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: VersionOut[];
  };
  /** The candidates of a variations version, best first */
  "GET /v1/sessions/{session_id}/versions/{version}/candidates": {
    path: {
      /** a version made by a variations command (>= 0) */
      version: number;
      session_id: string;
    };
    query: Record<string, never>;
    header: Record<string, never>;
    json: never;
    form: never;
    response: CandidateOut[];
  };
  /** The mix as one candidate plays it */
  "GET /v1/sessions/{session_id}/versions/{version}/candidates/{candidate}/audio": {
    path: {
      /** a version made by a variations command (>= 0) */
      version: number;
      /** the candidate, from 1, best first (>= 1) */
      candidate: number;
      session_id: string;
    };
    query: {
      /** signed URLs: expiry, Unix seconds */
      expires?: string | null;
      /** signed URLs: the id of the key that signed */
      key?: string | null;
      /** signed URLs: the signature */
      sig?: string | null;
    };
    header: Record<string, never>;
    json: never;
    form: never;
    response: Uint8Array;
  };
}

/** An operation's key, such as `"GET /v1/sessions"`. */
export type OperationKey = keyof Operations;
