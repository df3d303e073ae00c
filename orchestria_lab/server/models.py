"""The JSON the REST shim reads and writes, as Pydantic models (and so as ``/openapi.json``).

>>> SessionCreate(bpm=90, key="Cm", genre="lo-fi").bars
8
>>> CommandRequest(text="")
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for CommandRequest
text
  String should have at least 1 character ...
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestria_lab.state import SAMPLE_RATES

#: The longest command text, in characters (longer answers 422).
MAX_COMMAND_CHARS = 2000
ExportFormat = Literal["wav", "flac", "mp3", "midi"]
AudioFormat = Literal["wav", "flac", "mp3"]
SampleRate = Literal[SAMPLE_RATES]  # type: ignore[valid-type]
StemId = Annotated[str, Field(min_length=1, max_length=64)]


class _Body(BaseModel):
    """Request bodies are strict: unknown fields are refused, and so are a bool where a number
    belongs (``{"version": false}``) and a number where a bool belongs (``"dry_run": 0``)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SessionCreate(_Body):
    """A new session's settings; the session starts at version 0, with no stems."""

    bpm: float = Field(ge=20, le=300, allow_inf_nan=False, examples=[90])
    key: str = Field(min_length=1, max_length=32, description="C, Cm, F#m, Bb, 'e flat major', 'D dorian' ...",
                     examples=["Cm"])
    genre: str = Field(min_length=1, max_length=64, description="a style, or free text mapped to the nearest",
                       examples=["lo-fi"])
    time_signature: str = Field("4/4", pattern=r"^[0-9]{1,2}/[0-9]{1,2}$")
    bars: int = Field(8, ge=1, le=256)
    sample_rate: SampleRate = 44100
    seed: int | None = Field(None, ge=0, le=2**63 - 1)


class MidiSessionCreate(BaseModel):
    """The form fields beside a MIDI file that makes a session (strings from the form, so not strict)."""

    model_config = ConfigDict(extra="forbid")
    genre: str = Field(min_length=1, max_length=64)
    key: str | None = Field(None, min_length=1, max_length=32, description="default: the file's, or found from its notes")
    bpm: float | None = Field(None, ge=20, le=300, allow_inf_nan=False, description="default: the file's")
    sample_rate: int = Field(44100, description="one of " + ", ".join(map(str, SAMPLE_RATES)))
    seed: int | None = Field(None, ge=0, le=2**63 - 1)


class CommandRequest(_Body):
    text: str = Field(min_length=1, max_length=MAX_COMMAND_CHARS, examples=["Add warm piano chords with reverb"])
    dry_run: bool = Field(False, description="return the plan and change nothing")


class ChooseRequest(_Body):
    candidate: int = Field(ge=1, description="the candidate to play, counted from 1 in the ranked order (best first)",
                           examples=[2])
    version: int | None = Field(None, ge=0, description="the variations version to choose from; default: the "
                                                        "latest (the current one, or the one it chose from)")


class RollbackRequest(_Body):
    version: int = Field(ge=0, description="the version whose content the new version restores")


class ExportRequest(_Body):
    format: ExportFormat = "wav"
    stems: bool | Annotated[list[StemId], Field(max_length=64)] = Field(
        False, description="false: the mix; true: every stem; a list: those stems")
    version: int | None = Field(None, ge=0, description="default: the current version")
    loudness: Literal["streaming", "default", "club"] | Annotated[float, Field(ge=-30, le=-6)] | None = Field(
        None, description="the mix's loudness: streaming (-16 LUFS), default (-14), club (-9), or LUFS from -30 "
                          "to -6; the stems share the mix's gain")


# answers ----------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class EffectOut(BaseModel):
    type: str
    params: dict[str, Any]


class StemOut(BaseModel):
    id: str
    name: str
    role: str
    instrument: str
    agent: str
    effects: list[EffectOut]
    level_db: float = Field(0.0, description="the trim that sits the stem at its role's loudness in the mix")
    gain_db: float = Field(description="the user's move from that level")
    loudness_lufs: float | None = Field(None, description="integrated loudness of its render before the master "
                                                          "(null: silent)")
    pan: float
    muted: bool
    solo: bool
    notes: int = Field(description="how many notes")
    hash: str
    notes_hash: str
    stale: bool = Field(False, description="written over chords the song no longer plays (refit it to follow them)")
    version: int
    format: AudioFormat
    duration_s: float
    sample_rate: int
    url: str = Field(description="the stem's audio; send the bearer key")
    midi_url: str = Field(description="the stem as a MIDI file; send the bearer key")
    signed_url: str = Field(description="the audio, without a key, until it expires (for <audio> tags)")


class DiffRow(BaseModel):
    stem_id: str | None
    what: str
    field: str | None
    before: Any
    after: Any
    notes_added: int
    notes_removed: int


class VersionOut(BaseModel):
    version: int
    parent: int | None
    command: str
    agents: list[str]
    summary: str = Field(description="the diff from the parent, in words")
    created_at: str
    seed: int
    kind: str = Field("edit", description="create, edit, undo, redo, goto, rollback, import or choose")
    restores: int | None = Field(None, description="the version whose content an undo, redo, goto or rollback holds again")
    candidate: int | None = Field(None, description="a variations or choose version: the candidate it plays (from 1)")
    score: float | None = Field(None, description="that candidate's score by the critic (0 to 1)")
    diff: list[DiffRow] | None = Field(None, description="the diff from the parent (GET .../versions?diff=true)")


class AgentState(BaseModel):
    name: str
    state: str = Field(description="idle or working")


class SectionOut(BaseModel):
    name: str
    start_bar: int
    bars: int


class TempoChangeOut(BaseModel):
    bar: int = Field(description="the bar it starts at, from 1")
    bpm: float


class KeyChangeOut(BaseModel):
    bar: int = Field(description="the bar it starts at, from 1")
    key: str


class AutomationPointOut(BaseModel):
    stem_id: str
    param: str = Field(description="gain_db, pan, lowpass_hz, highpass_hz or <effect>.mix")
    beat: float
    value: float
    curve: str = Field(description="linear, exp or step: how it moves to the next point")


class SessionOut(BaseModel):
    id: str
    bpm: float
    key: str
    genre: str
    time_signature: str
    bars: int
    sample_rate: int
    seed: int
    sections: list[SectionOut] = Field(default_factory=list,
                                       description="the song form, bars counted from 1; [] for a song without")
    tempo_changes: list[TempoChangeOut] = Field(default_factory=list, description="the tempo map; [] for one tempo")
    key_changes: list[KeyChangeOut] = Field(default_factory=list, description="key changes; [] for one key")
    automation: list[AutomationPointOut] = Field(default_factory=list, description="every stem's automation points")
    version: int
    created_at: str
    stems: list[StemOut]
    versions: list[VersionOut]
    agents: list[AgentState]


class SessionListItem(BaseModel):
    id: str
    version: int
    created_at: str


class NoteOut(BaseModel):
    stem_id: str
    pitch: int
    start: float = Field(description="beats")
    duration: float = Field(description="beats")
    velocity: int


class ScopeOut(BaseModel):
    first_bar: int | None = Field(None, description="counted from 1")
    last_bar: int | None = Field(None, description="inclusive; null: to the end")
    section: str | None = None


class PlanStep(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent: str
    intent: str
    target: str | None = None
    params: dict[str, Any] = {}
    scope: ScopeOut | None = Field(None, description="where in the song; null: all of it")


class CriticScores(BaseModel):
    """The critic's scores of a take, each from 0 (bad) to 1 (good); null where it does not apply."""

    likelihood: float | None = Field(None, description="the learned model's likelihood of the line (melody, bass)")
    in_key: float | None = None
    chord_tones: float | None = Field(None, description="strong-beat notes that are tones of the sounding chord")
    repetition: float | None = None
    range: float | None = None
    fit: float | None = Field(None, description="fit to the neighbouring parts")


class CandidateOut(BaseModel):
    """One take of a variations command, best first."""

    candidate: int = Field(description="its number, from 1, in the ranked order (what POST .../choose takes)")
    label: str
    seed: int = Field(description="the seed its agents ran with")
    score: float | None = Field(description="the critic's total, 0 to 1")
    chosen: bool = Field(description="whether the version plays it")
    scores: CriticScores
    note: str = Field("", description="what the critic could not score, and why")
    stems: list[str] = Field(description="the hashes of its stems (the song as this take plays it)")
    version: int = Field(description="the variations version it belongs to")
    audio_url: str = Field(description="the mix as this take plays it (WAV; with the bearer key)")
    signed_audio_url: str = Field(description="the same, signed: opens without a key until it expires")


class CommandResultOut(BaseModel):
    version: int | None = Field(description="the version the command made (a dry run: the current one)")
    message: str
    plan: list[PlanStep]
    diff: list[DiffRow]
    dry_run: bool = False
    candidates: list[CandidateOut] | None = Field(None, description=(
        "a variations command's takes, best first, with their scores and audio; null for other commands"))
    session: SessionOut | None = Field(None, description=(
        "the session just after the command (a dry run: as it is), as GET /v1/sessions/{id} gives it, "
        "so a client can redraw without asking again"))


class FileOut(BaseModel):
    name: str
    bytes: int
    url: str
    signed_url: str


class ExportOut(BaseModel):
    id: str
    session_id: str
    version: int
    format: ExportFormat
    created_at: str
    expires_at: str = Field(description="when the export and its files go (ORCHESTRIA_EXPORT_TTL_DAYS)")
    files: list[FileOut]


class ParameterOut(BaseModel):
    name: str
    type: str
    range: list[Any] | None = Field(description="[low, high] for numbers, the choices for strings")
    default: Any
    unit: str
    description: str


class AgentOut(BaseModel):
    name: str
    description: str
    capabilities: list[str] = Field(description="the intents the agent handles")
    parameters: list[ParameterOut]
    status: str = Field(description="ready, untrained, busy or error")
    backend: str = Field(description="rules, baseline or model")
    licence: str = Field(description="the licence of what the agent plays from: its checkpoint card's, or "
                                     "Apache-2.0 for rules")
    targets: dict[str, str] = Field(default_factory=dict, description=(
        "per intent, what it acts on: new (makes a stem), stem, own (one of the agent's stems, or "
        "none when there is one), remove (a stem it takes out) or session (the whole song)"))
    scoped: list[str] = Field(default_factory=list, description=(
        "the intents that can act on part of the song (a bar range or a section)"))
    state: str = Field(description="idle or working, right now")
