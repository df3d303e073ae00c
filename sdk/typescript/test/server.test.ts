// The SDK against a real `orchestria serve`, which tests/sdk/test_typescript_sdk.py starts and
// names in ORCHESTRIA_URL and ORCHESTRIA_KEY (run that pytest test; see README.md).
import assert from "node:assert/strict";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { type CommandEvent, type ConductorEvent, OrchestriaClient, OrchestriaError, type RemoteSession } from "../src/index.js";

const URL_ = process.env.ORCHESTRIA_URL;
const KEY = process.env.ORCHESTRIA_KEY;
if (!URL_ || !KEY) {
  throw new Error("These tests need a server: set ORCHESTRIA_URL and ORCHESTRIA_KEY, or run " +
    "`.venv/bin/python -m pytest tests/sdk` from the repository root, which starts one.");
}
const FIXTURE = new URL("../../test/fixtures/two-tracks.mid", import.meta.url);
const SMALL = { bpm: 90, key: "Cm", genre: "lo-fi", bars: 2, sample_rate: 22050, seed: 7 } as const;
const NOT_UNDERSTOOD = "xyzzy plugh frobnicate";

const client = new OrchestriaClient({ baseUrl: URL_, apiKey: KEY });

async function rejects(promise: Promise<unknown>): Promise<OrchestriaError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OrchestriaError, `expected an OrchestriaError, got ${String(err)}`);
    return err;
  }
  assert.fail("the call did not fail");
}

describe("sessions", () => {
  test("create, get, list in pages, delete", async () => {
    const made = await Promise.all([client.createSession(SMALL), client.createSession(SMALL), client.createSession(SMALL)]);
    assert.equal(made[0]!.version, 0);
    assert.equal(made[0]!.data.bpm, 90);
    const opened = await client.openSession(made[1]!.id);
    assert.equal(opened.data.key, "Cm");
    const listed = await client.listSessions({ pageSize: 1 }); // one row a page: Link rel=next is followed
    for (const s of made) assert.ok(listed.some((row) => row.id === s.id), `${s.id} is listed`);
    assert.equal(new Set(listed.map((row) => row.id)).size, listed.length, "no row twice");
    await made[2]!.close();
    const gone = await rejects(client.openSession(made[2]!.id));
    assert.equal(gone.status, 404);
  });

  test("a session from a MIDI file has its tracks as stems", async () => {
    const fromFile = await client.sessionFromMidi(FIXTURE.pathname, { genre: "rock", sample_rate: 22050 });
    assert.equal(fromFile.version, 1);
    assert.equal(fromFile.data.bpm, 100);
    const roles = (await fromFile.stems()).map((s) => s.role).sort();
    assert.deepEqual(roles, ["bass", "drums"]);
    const fromBytes = await client.sessionFromMidi(await readFile(FIXTURE), { genre: "rock", bpm: 120, sample_rate: 22050 });
    assert.equal(fromBytes.data.bpm, 120);
  });
});

describe("a session's work", () => {
  let session: RemoteSession;
  before(async () => {
    session = await client.createSession(SMALL);
  });

  test("a command answers its version, plan and diff; a dry run changes nothing", async () => {
    const planned = await session.command("add drums", { dryRun: true });
    assert.ok(planned.plan.length > 0);
    assert.equal(session.version, 0);
    const result = await session.command("add drums");
    assert.equal(result.version, 1);
    assert.equal(session.version, 1);
    assert.equal(result.diff[0]?.what, "added");
    assert.ok(result.plan[0]?.agent);
  });

  test("a streamed command yields the conductor's events, then the result", async () => {
    const events: CommandEvent[] = [];
    for await (const event of session.streamCommand("add a bass line")) events.push(event);
    const kinds = events.map((e) => e.type);
    assert.equal(kinds[0], "plan");
    assert.equal(kinds.at(-1), "result");
    assert.ok(kinds.indexOf("agent_started") < kinds.indexOf("agent_finished"));
    assert.ok(kinds.indexOf("agent_finished") < kinds.indexOf("version_created"));
    assert.deepEqual(events.map((e) => e.id), events.map((_, i) => String(i)));
    const last = events.at(-1)!;
    assert.ok(last.type === "result" && last.data.version === 2);
    assert.equal(session.version, 2);
  });

  test("onEvent gets the events live and the result comes back", async () => {
    const seen: ConductorEvent[] = [];
    const result = await session.command("Add warm piano chords with reverb", { onEvent: (e) => seen.push(e) });
    assert.equal(result.version, 3);
    assert.deepEqual(seen.map((e) => e.type).slice(0, 1), ["plan"]);
    assert.ok(seen.some((e) => e.type === "version_created" && e.data.session_id === session.id));
  });

  test("stems, notes, versions in pages, diff", async () => {
    const stems = await session.stems();
    assert.equal(stems.length, 3);
    assert.ok(stems.every((s) => s.url.startsWith("http") && s.midi_url && s.version === 3));
    const notes = await session.notes();
    assert.ok(notes.length > 0 && notes.every((n) => stems.some((s) => s.id === n.stem_id)));
    assert.ok((await session.notes({ version: 0 })).length === 0);
    const versions = await session.versions({ pageSize: 2 });
    assert.deepEqual(versions.map((v) => v.version), [0, 1, 2, 3]);
    assert.equal(versions[1]!.command, "add drums");
    const diff = await session.diff(0);
    assert.equal(diff.filter((row) => row.what === "added").length, 3);
    assert.deepEqual(await session.diff(3, 3), []);
  });

  test("rollback makes a new version that restores an old one", async () => {
    const record = await session.rollback(1);
    assert.equal(record.version, 4);
    assert.equal(record.kind, "rollback");
    assert.equal(record.restores, 1);
    assert.equal(session.version, 4);
    assert.equal((await session.stems()).length, 1);
  });

  test("export a WAV and download it as bytes and to a file", async () => {
    const exported = await session.export({ format: "wav" });
    assert.equal(exported.version, 4);
    const wav = exported.files.find((f) => f.name.endsWith(".wav"));
    assert.ok(wav, `a .wav among ${exported.files.map((f) => f.name).join(", ")}`);
    const bytes = await client.download(wav.url);
    assert.equal(bytes.length, wav.bytes);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "RIFF");
    assert.equal(new TextDecoder().decode(bytes.subarray(8, 12)), "WAVE");
    const dir = await mkdtemp(join(tmpdir(), "orchestria-sdk-"));
    const path = await client.downloadTo(wav.url, join(dir, "nested", "mix.wav"));
    assert.equal((await stat(path)).size, wav.bytes);
    const all = await session.exportTo(join(dir, "all"), { format: "midi" });
    assert.ok(all.some((p) => p.endsWith(".mid")));
    const mix = await session.audio({ version: 1 });
    assert.equal(new TextDecoder().decode(mix.subarray(0, 4)), "RIFF");
  });

  test("import a MIDI file's tracks as stems", async () => {
    const before = session.version;
    const result = await session.importMidi(FIXTURE.pathname, { role: "pad", name: "mine" });
    assert.equal(result.version, before + 1);
    assert.match(result.message, /pad/);
    assert.equal(session.version, before + 1);
    const plain = await session.importMidi(await readFile(FIXTURE));
    assert.equal(plain.version, before + 2);
    assert.ok((await session.stems()).some((s) => s.role === "drums"));
  });
});

test("the agents, with capabilities and state", async () => {
  const agents = await client.agents();
  assert.ok(agents.length > 3);
  assert.ok(agents.every((a) => a.name && Array.isArray(a.capabilities) && ["idle", "working"].includes(a.state)));
});

describe("typed errors", () => {
  test("404 on an unknown session, with its requestId", async () => {
    const err = await rejects(client.openSession("ses_doesnotexist"));
    assert.equal(err.status, 404);
    assert.equal(err.code, "not_found");
    assert.match(err.requestId ?? "", /^req_/);
    assert.match(err.message, /ses_doesnotexist/);
  });

  test("401 with a bad key", async () => {
    const stranger = new OrchestriaClient({ baseUrl: URL_, apiKey: "orc_not_a_key" });
    const err = await rejects(stranger.agents());
    assert.equal(err.status, 401);
    assert.equal(err.code, "unauthorized");
    assert.ok(err.requestId);
  });

  test("422 on a bad body lists the problems", async () => {
    const err = await rejects(client.createSession({ ...SMALL, bpm: 1000 }));
    assert.equal(err.status, 422);
    assert.equal(err.code, "invalid_request");
    const problems = err.details.problems as { where: string }[];
    assert.ok(problems.some((p) => p.where.includes("bpm")), JSON.stringify(problems));
  });

  test("422 on a command not understood, streamed or not, with suggestions", async () => {
    const session = await client.createSession(SMALL);
    const err = await rejects(session.command(NOT_UNDERSTOOD));
    assert.equal(err.code, "command_not_understood");
    assert.ok(Array.isArray(err.details.suggestions) && err.details.suggestions.length > 0);
    const streamed = await rejects((async () => {
      for await (const event of session.streamCommand(NOT_UNDERSTOOD)) assert.notEqual(event.type, "result");
    })());
    assert.equal(streamed.status, 422);
    assert.equal(streamed.code, "command_not_understood");
    assert.ok(streamed.requestId);
  });
});

describe("variations", () => {
  test("variations list ranked candidates with audio, and choose makes one version", async () => {
    const session = await client.createSession(SMALL);
    await session.command("add piano chords and a melody");
    const varied = await session.command("give me 3 variations of the melody");
    const takes = varied.candidates ?? [];
    assert.deepEqual(takes.map((c) => c.candidate), [1, 2, 3]);
    assert.deepEqual(takes.map((c) => c.chosen), [true, false, false]);
    const scores = takes.map((c) => c.score ?? -1);
    assert.deepEqual([...scores].sort((a, b) => b - a), scores, "best first");
    const wav = await client.download(takes[1]!.signed_audio_url);
    assert.equal(new TextDecoder().decode(wav.subarray(0, 4)), "RIFF");
    assert.deepEqual((await session.candidates(varied.version!)).map((c) => c.stems), takes.map((c) => c.stems));
    const chosen = await session.choose(2);
    assert.equal(chosen.version, varied.version! + 1);
    assert.equal(session.version, chosen.version);
    assert.deepEqual(chosen.session!.stems.map((s) => s.hash), takes[1]!.stems);
    const last = chosen.session!.versions.at(-1)!;
    assert.equal(last.kind, "choose");
    assert.equal(last.candidate, 2);
    const bad = await rejects(session.choose(9));
    assert.equal(bad.status, 422);
    assert.match(bad.message, /from 1 to 3/);
  });
});

// The server replays a POST sent again with the same Idempotency-Key (its first answer, marked
// Idempotent-Replayed: true).
test("a POST sent twice with one Idempotency-Key makes one version",
  async () => {
    const replayed: (string | null)[] = [];
    const watching = new OrchestriaClient({
      baseUrl: URL_, apiKey: KEY,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        replayed.push(response.headers.get("idempotent-replayed"));
        return response;
      },
    });
    const session = await watching.createSession(SMALL);
    const idempotencyKey = crypto.randomUUID();
    const first = await session.command("add drums", { idempotencyKey });
    const second = await session.command("add drums", { idempotencyKey });
    assert.deepEqual(second, first);
    assert.equal(replayed.at(-1), "true");
    assert.deepEqual((await session.versions()).map((v) => v.version), [0, 1]);
  });
