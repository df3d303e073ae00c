"""Rich display of a session in Jupyter: a summary line, the stems table and a player.

A :class:`~orchestria_lab.session.Session` (or a version view, or a remote session) that is
the last expression of a cell shows itself through :func:`mimebundle`. The player is an HTML5
``<audio>`` element holding the mix as base64 WAV; it is only rendered when the piece is short
enough (:data:`MAX_PLAYER_SECONDS`) for that to stay cheap, and a failed render becomes a note,
never a broken cell.

>>> import numpy as np
>>> data = wav_bytes(np.zeros((2, 100), dtype=np.float32), sr=8000)
>>> data[:4], data[8:12], len(data)
(b'RIFF', b'WAVE', 444)
"""

from __future__ import annotations

import base64
import html
import io
import wave
from typing import Any

import numpy as np
import pandas as pd

#: Longest piece (seconds) that gets an inline player; longer ones say how to export instead.
MAX_PLAYER_SECONDS = 120.0

#: The stems columns a person reads; hashes and raw effect dicts stay in ``session.stems``.
STEM_DISPLAY_COLUMNS = ("stem_id", "name", "role", "instrument", "agent", "effects", "gain_db", "pan",
                        "muted", "solo")

_CSS = """<style>
.orchestria-summary{font-family:var(--jp-ui-font-family,sans-serif);margin:0 0 .4em}
.orchestria-summary b{font-size:1.05em}
.orchestria-summary .orchestria-meta{color:var(--jp-ui-font-color2,#555)}
.orchestria-note{color:var(--jp-ui-font-color2,#666);font-style:italic;margin:.3em 0}
</style>"""


def wav_bytes(audio: np.ndarray, *, sr: int) -> bytes:
    """``audio`` (float, shape ``(channels, samples)`` or ``(samples,)``) as 16-bit PCM WAV bytes.

    Samples are clipped to [-1, 1]; nothing touches the disk.
    """
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(pcm.shape[0])
        out.setsampwidth(2)
        out.setframerate(int(sr))
        out.writeframes(pcm.T.tobytes())
    return buffer.getvalue()


def audio_html(audio: np.ndarray, *, sr: int) -> str:
    """An HTML5 ``<audio controls>`` element playing ``audio`` (shape ``(channels, samples)``)."""
    encoded = base64.b64encode(wav_bytes(audio, sr=sr)).decode("ascii")
    return (f'<audio class="orchestria-player" controls preload="none" '
            f'src="data:audio/wav;base64,{encoded}"></audio>')


def duration_s(meta: dict[str, Any]) -> float:
    """Length in seconds of a session described by ``meta`` (bars x beats per bar x seconds per beat).

    >>> duration_s({"bpm": 120, "time_signature": "4/4", "bars": 8})
    16.0
    """
    from orchestria_lab.music.theory import beats_per_bar

    return float(meta["bars"]) * beats_per_bar(meta["time_signature"]) * 60.0 / float(meta["bpm"])


def summary(session: Any) -> str:
    """One line: id, version, tempo, key, genre, metre, length and number of stems.

    >>> from types import SimpleNamespace
    >>> s = SimpleNamespace(id="ses_0123456789abcdef", version=3, stems=pd.DataFrame({"stem_id": ["a"]}),
    ...     meta={"bpm": 90, "key": "Cm", "genre": "lo-fi", "time_signature": "4/4", "bars": 8})
    >>> summary(s)
    'Session ses_0123456789abcdef · v3 · 90 bpm · Cm · lo-fi · 4/4 · 8 bars (21.3 s) · 1 stem'
    """
    meta = session.meta
    n = len(session.stems)
    return (f"Session {session.id} · v{session.version} · {meta['bpm']} bpm · {meta['key']} · "
            f"{meta['genre']} · {meta['time_signature']} · {meta['bars']} bars ({duration_s(meta):.1f} s) · "
            f"{n} stem{'' if n == 1 else 's'}")


def stems_frame(stems: pd.DataFrame) -> pd.DataFrame:
    """The stems table as a person reads it: effect chains as ``reverb → delay``, no hashes.

    >>> df = pd.DataFrame([{"stem_id": "keys", "name": "keys", "role": "chords", "instrument": "piano",
    ...     "agent": "harmony", "effects": [{"type": "reverb", "params": {}}], "gain_db": 0.0,
    ...     "pan": 0.0, "muted": False, "solo": False}])
    >>> stems_frame(df)[["stem_id", "effects"]].to_dict("records")
    [{'stem_id': 'keys', 'effects': 'reverb'}]
    """
    shown = stems.reindex(columns=list(STEM_DISPLAY_COLUMNS)).copy()
    shown["effects"] = [effects_label(e) for e in shown["effects"]]
    return shown


def effects_label(effects: Any) -> str:
    """``[{"type": "reverb"}, {"type": "delay"}]`` -> ``'reverb → delay'``; none -> ``'—'``."""
    if effects is None or (isinstance(effects, float) and np.isnan(effects)) or len(effects) == 0:
        return "—"
    return " → ".join(e["type"] if isinstance(e, dict) else str(e) for e in effects)


def player_html(session: Any) -> str:
    """The mix player, or a note saying why there is none (no stems, too long, render failed)."""
    if len(session.stems) == 0:
        return ('<p class="orchestria-note">No stems yet: try '
                '<code>session.command("Add warm piano chords with reverb")</code>.</p>')
    seconds = duration_s(session.meta)
    if seconds > MAX_PLAYER_SECONDS:
        return (f'<p class="orchestria-note">{seconds:.0f} s is too long for an inline player '
                f'(limit {MAX_PLAYER_SECONDS:.0f} s): listen to <code>session.export("out/mix.wav")</code>.</p>')
    try:
        audio = session.render()
    except Exception as exc:  # a display hook must never break the cell that shows the session
        return f'<p class="orchestria-note">No player: rendering failed ({html.escape(_one_line(exc))}).</p>'
    return audio_html(audio, sr=int(session.meta["sample_rate"]))


def mimebundle(session: Any) -> dict[str, str]:
    """``text/plain`` (the repr) and ``text/html`` (summary, stems table, player) for ``session``."""
    parts = [_CSS, '<div class="orchestria-session">',
             f'<p class="orchestria-summary">{_summary_html(session)}</p>']
    if len(session.stems):
        parts.append(stems_frame(session.stems).to_html(index=False, classes="orchestria-stems", border=0))
    parts.append(player_html(session))
    parts.append("</div>")
    return {"text/plain": repr(session), "text/html": "\n".join(parts)}


def _summary_html(session: Any) -> str:
    head, _, rest = summary(session).partition(" · ")
    return f'<b>{html.escape(head)}</b> <span class="orchestria-meta">· {html.escape(rest)}</span>'


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


# pieces of the Studio ---------------------------------------------------------------------
AGENT_STATE_COLORS = {"idle": "#e9ecef", "queued": "#fff3bf", "working": "#ffd43b", "done": "#b2f2bb", "error": "#ffc9c9"}
STUDIO_CSS = "<style>" + "".join(
    f".orchestria-agent-{state}{{background:{color}}}" for state, color in AGENT_STATE_COLORS.items()) + """
.orchestria-header{font-weight:600;font-size:1.05em;margin:2px 0}
.orchestria-agent{display:inline-block;padding:1px 8px;margin:2px 4px 2px 0;border-radius:10px;font-size:.85em;color:#212529}
.orchestria-agent-working{font-weight:700}
.orchestria-status-note{margin-left:6px;color:#495057;font-style:italic;font-size:.9em}
.orchestria-message{margin:4px 0;padding:4px 8px;border-left:3px solid #1d70b8}
.orchestria-error{margin:4px 0;padding:4px 8px;border-left:3px solid #d62828;background:#fff5f5;color:#212529}
.orchestria-note{color:#666;font-style:italic;margin:4px 0}
.orchestria-plan,.orchestria-diff{border-collapse:collapse;margin-top:4px;font-size:.9em}
.orchestria-plan td,.orchestria-plan th,.orchestria-diff td,.orchestria-diff th{padding:1px 8px;text-align:left;border-bottom:1px solid #dee2e6}
</style>"""


def as_dict(obj: Any) -> dict[str, Any]:
    """An Action, an Event (local or streamed) or a dict, as a dict."""
    if isinstance(obj, dict):
        return obj
    if callable(getattr(obj, "to_dict", None)):
        return obj.to_dict()
    return dict(getattr(obj, "__dict__", {}))


def agents_html(states: dict[str, str], note: str = "") -> str:
    """One chip per agent, coloured by its state (idle, queued, working, done, error), then ``note``."""
    chips = "".join(f'<span class="orchestria-agent orchestria-agent-{state}" title="{state}">'
                    f"{html.escape(name)}</span>" for name, state in states.items())
    tail = f'<span class="orchestria-status-note">{html.escape(note)}</span>' if note else ""
    return f'<div class="orchestria-agents">{chips}{tail}</div>'


def event_note(kind: str, data: dict[str, Any]) -> str:
    """A few words about a conductor event, for the status line.

    >>> event_note("agent_started", {"agent": "drums"}), event_note("plan", {})
    ('drums is working …', '')
    """
    if kind == "agent_started":
        return f"{data.get('agent', '')} is working …"
    if kind == "version_created":
        return f"version {data.get('version', '')} created"
    if kind == "error":
        return f"error: {data.get('message', '')}"
    return ""


def result_html(result: Any, *, dry_run: bool) -> str:
    """A command's result (local or remote): the version or "dry run", its message, its plan."""
    plan = [as_dict(a) for a in (_field(result, "plan") or ())]
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(a.get(k)))}</td>" for k in ("agent", "intent", "target", "params"))
        + "</tr>" for a in plan)
    table = (f'<table class="orchestria-plan"><tr><th>agent</th><th>intent</th><th>target</th><th>params</th></tr>'
             f"{rows}</table>") if plan else ""
    head = "Plan (dry run, nothing changed)" if dry_run else f"Version {_field(result, 'version')}"
    message = html.escape(str(_field(result, "message", "") or ""))
    return f'<div class="orchestria-message"><b>{head}</b> — {message}{table}</div>'


def version_label(record: dict[str, Any], *, limit: int = 110) -> str:
    """``v3 · add drums — added drums (...)``; under 60 characters, without the summary.

    >>> version_label({"version": 2, "command": "add drums", "summary": "added drums"}, limit=40)
    'v2 · add drums'
    """
    text = f"v{record['version']} · {record['command']}" + (f" — {record['summary']}" if limit > 60 else "")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def diff_html(diff: pd.DataFrame, caption: str) -> str:
    """A diff table under ``caption`` (empty cells for missing values), or "Nothing changed"."""
    if diff.empty:
        return f'<p class="orchestria-note">Nothing changed ({html.escape(caption)}).</p>'
    shown = diff.drop(columns=[c for c in ("notes_added", "notes_removed") if c in diff and not diff[c].any()])
    shown = shown.astype(object).where(shown.notna(), "")
    return (f"<b>{html.escape(caption[0].upper() + caption[1:])}</b>"
            + shown.to_html(index=False, classes="orchestria-diff", border=0, na_rep=""))


def _field(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
