"""Pictures of a session: piano roll, waveform, spectrogram, levels and version timeline (matplotlib).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (a
:class:`PlotFigure`, which displays itself as a PNG), so it works headless, in scripts and in
notebooks. Reach them from a session as ``session.plot.piano_roll()``.

>>> from orchestria_lab.state import Meta, Note, State, Stem
>>> st = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
...            (Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 2, 100)]),))
>>> fig = piano_roll(st)
>>> [ax.get_title() for ax in fig.axes][:1]
['Piano roll — 90 bpm, Cm, 4/4, 8 bars']
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from orchestria_lab.music.theory import pitch_name
from orchestria_lab.music.vocabulary import GM_DRUMS
from orchestria_lab.state import State

_DRUM_NAMES = {number: name for name, number in GM_DRUMS.items()}
_ROLE_COLORS = {
    "drums": "#6c757d", "percussion": "#adb5bd", "bass": "#d62828", "chords": "#1d70b8",
    "melody": "#f77f00", "pad": "#7b2cbf", "lead": "#e85d75", "arp": "#2a9d8f", "fx": "#8d6e63",
}


class PlotFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in Jupyter, pyplot or not.

    Figures made without pyplot have no display hook until the inline backend is loaded;
    this one carries its own, so ``session.plot.piano_roll()`` draws as the last line of a cell.
    """

    def _repr_png_(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


_EXTRA_COLORS = ("#2b9348", "#ff006e", "#3a86ff", "#8338ec", "#fb5607", "#118ab2", "#9c6644", "#588157")


def _state_of(obj: Any, version: int | None = None) -> State:
    if isinstance(obj, State):
        return obj
    if version is not None:
        return obj.state_at(version) if hasattr(obj, "state_at") else _state_of(obj.at(version))
    if hasattr(obj, "state"):
        return obj.state
    return state_from_tables(obj.meta, obj.stems, obj.notes, automation=getattr(obj, "automation", None))


def state_from_tables(meta: dict[str, Any], stems: pd.DataFrame, notes: pd.DataFrame,
                      automation: pd.DataFrame | None = None) -> State:
    """Rebuild a State from a session's ``meta``, ``stems`` and ``notes`` tables.

    What a remote session offers is tables, not a State; this lets every picture draw it.

    >>> from orchestria_lab.state import Meta, Note, Stem
    >>> st = State(Meta(bpm=90, key="Cm", genre="lo-fi"),
    ...            (Stem("bass", role="bass", instrument="sub_bass", notes=[Note(36, 0, 2, 100)]),))
    >>> state_from_tables(st.meta.to_dict(), st.stems_table(), st.notes_table()) == st
    True
    """
    from orchestria_lab.state import Meta, Stem

    by_stem: dict[str, list[Any]] = {}
    for row in notes.itertuples(index=False):
        by_stem.setdefault(row.stem_id, []).append((row.pitch, row.start, row.duration, row.velocity))
    lanes: dict[str, list[Any]] = {}
    for row in (automation.itertuples(index=False) if automation is not None else ()):
        lanes.setdefault(row.stem_id, []).append((row.param, row.beat, row.value, row.curve))
    fields = ("stem_id", "name", "role", "instrument", "agent", "effects", "gain_db", "pan", "muted", "solo")
    built = []
    for record in stems.to_dict("records"):
        d = {k: record[k] for k in fields if k in record}
        d["notes"] = by_stem.get(record["stem_id"], [])
        d["automation"] = lanes.get(record["stem_id"], [])
        built.append(Stem.from_dict(d))
    known = {k: meta[k] for k in ("bpm", "key", "genre", "time_signature", "bars", "sample_rate", "seed", "sections",
                                  "tempo_changes", "key_changes") if k in meta}
    return State(Meta(**known), tuple(built))


def stem_colors(state: State) -> dict[str, str]:
    """One colour per stem: its role's colour for the first stem of a role, a distinct one after.

    >>> from orchestria_lab.state import Meta, Stem
    >>> st = State(Meta(bpm=90, key="C", genre="pop"), (Stem("a", role="bass", instrument="sub_bass"),
    ...            Stem("b", role="bass", instrument="bass_guitar")))
    >>> stem_colors(st)
    {'a': '#d62828', 'b': '#2b9348'}
    """
    taken: set[str] = set()
    colors = {}
    for stem in state.stems:
        color = _ROLE_COLORS.get(stem.role, "black")
        if color in taken:  # past the spare palette, colours repeat rather than run out
            color = next((c for c in _EXTRA_COLORS if c not in taken), color)
        taken.add(color)
        colors[stem.stem_id] = color
    return colors


def piano_roll(obj: Any, *, version: int | None = None, figsize: tuple[float, float] = (11, 5)) -> Figure:
    """Notes of every stem over time (beats), one colour per stem; drums in a lane of their own.

    ``obj`` is a State, a Session, a version view or anything with ``meta``, ``stems`` and
    ``notes`` tables (a remote session). Muted stems are drawn faint.
    """
    state = _state_of(obj, version)
    colors = stem_colors(state)
    pitched = [s for s in state.stems if not s.is_drums and s.notes]
    drums = [s for s in state.stems if s.is_drums and s.notes]
    fig = PlotFigure(figsize=figsize, layout="constrained")
    rows = [3, 1] if drums and pitched else [1]
    axes = fig.subplots(len(rows), 1, sharex=True, height_ratios=rows, squeeze=False)[:, 0]
    meta = state.meta
    handles = []
    if pitched:
        ax = axes[0]
        for stem in pitched:
            color = colors[stem.stem_id]
            alpha = 0.35 if stem.muted else 0.9
            for n in stem.notes:
                ax.add_patch(_rect(n.start, n.pitch - 0.4, n.duration, 0.8, color, alpha * (0.5 + n.velocity / 254)))
            handles.append(Patch(color=color, label=_legend_label(stem)))
        lo = min(n.pitch for s in pitched for n in s.notes)
        hi = max(n.pitch for s in pitched for n in s.notes)
        ax.set_ylim(lo - 2, hi + 2)
        ticks = [p for p in range(lo - 2, hi + 3) if p % 12 == 0]
        ax.set_yticks(ticks, [pitch_name(p) for p in ticks])
        ax.set_ylabel("pitch")
    if drums:
        ax = axes[-1]
        voices = sorted({n.pitch for s in drums for n in s.notes})
        lane = {p: i for i, p in enumerate(voices)}
        for stem in drums:
            color = colors[stem.stem_id]
            for n in stem.notes:
                ax.add_patch(_rect(n.start, lane[n.pitch] - 0.35, min(n.duration, 0.2), 0.7, color,
                                   (0.4 if stem.muted else 1.0) * (0.4 + n.velocity / 254)))
            handles.append(Patch(color=color, label=_legend_label(stem)))
        ax.set_ylim(-0.7, len(voices) - 0.3)
        ax.set_yticks(range(len(voices)), [_DRUM_NAMES.get(p, str(p)) for p in voices])
    for ax in axes:
        ax.set_xlim(0, meta.total_beats)
        for bar in range(meta.bars + 1):
            ax.axvline(bar * meta.beats_per_bar, color="0.85", lw=0.8, zorder=0)
        for i, section in enumerate(meta.sections):  # the song form: one band per section
            start = (section.start_bar - 1) * meta.beats_per_bar
            ax.axvspan(start, start + section.bars * meta.beats_per_bar, color=_BANDS[i % len(_BANDS)],
                       alpha=0.35, lw=0, zorder=-1)
    for section in meta.sections:
        axes[0].text((section.start_bar - 1) * meta.beats_per_bar + 0.2, 1.0, section.name,
                     transform=axes[0].get_xaxis_transform(), va="bottom", fontsize=8, color="0.3")
    axes[-1].set_xlabel("beats")
    axes[0].set_title(f"Piano roll — {meta.bpm} bpm, {meta.key}, {meta.time_signature}, {meta.bars} bars",
                      pad=14 if meta.sections else 6)  # room for the section names
    if handles:
        axes[0].legend(handles=handles, loc="upper right", fontsize=8)
    return fig


#: Fills of alternating section bands (light, so notes stay readable over them).
_BANDS = ("#dbe7f5", "#f5e6d3")

#: How each kind of automation lane is drawn: its axis label, and whether the axis is logarithmic.
_LANE_AXES = {"gain_db": ("gain (dB)", False), "pan": ("pan (L -1 .. R 1)", False),
              "cutoff": ("filter cutoff (Hz)", True), "mix": ("effect mix", False)}


def _lane_axis(param: str) -> str:
    return "cutoff" if param.endswith("_hz") else "mix" if param.endswith(".mix") else param


def timeline(obj: Any, *, version: int | None = None, figsize: tuple[float, float] = (11, 5)) -> Figure:
    """The song over its bars: sections as bands, the tempo (with its changes) and key changes on top,
    and one panel per kind of automation (gain, pan, filter cutoff, effect mix), a line per lane.

    >>> from orchestria_lab.state import Meta, Stem
    >>> pad = Stem("pad", role="pad", instrument="pad", automation=[("gain_db", 0, -60), ("gain_db", 16, 0)])
    >>> fig = timeline(State(Meta(bpm=90, key="Cm", genre="lo-fi", tempo_changes=[{"bar": 5, "bpm": 70}]), (pad,)))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['bpm', 'gain (dB)']
    """
    from orchestria_lab.music.automation import envelope, lanes

    state = _state_of(obj, version)
    meta, colors = state.meta, stem_colors(state)
    kinds = list(dict.fromkeys(_lane_axis(p.param) for s in state.stems for p in s.automation))
    fig = PlotFigure(figsize=figsize, layout="constrained")
    axes = fig.subplots(1 + len(kinds), 1, sharex=True, squeeze=False,
                        height_ratios=[1] + [2] * len(kinds))[:, 0]
    bar_beats = meta.beats_per_bar
    x = np.linspace(0, meta.total_beats, max(2, meta.bars * 32))
    top = axes[0]
    bars = np.arange(1, meta.bars + 1)
    top.step((bars - 1) * bar_beats, [meta.tempo_at(int(b)) for b in bars], where="post", color="0.2")
    top.set_ylabel("bpm")
    for c in meta.key_changes:
        top.text((c.bar - 1) * bar_beats, 1.0, f" {c.key}", transform=top.get_xaxis_transform(), fontsize=8,
                 color="#7b2cbf", va="top")
    for row, kind in enumerate(kinds, start=1):
        ax = axes[row]
        label, log = _LANE_AXES[kind]
        for stem in state.stems:
            for param, lane in lanes(stem.automation).items():
                if _lane_axis(param) == kind:
                    ax.plot(x, envelope(lane, times=x), color=colors[stem.stem_id], lw=1.6,
                            label=f"{stem.stem_id} {param}")
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
        ax.legend(loc="upper right", fontsize=7)
    for ax in axes:
        ax.set_xlim(0, meta.total_beats)
        for i, section in enumerate(meta.sections):
            start = (section.start_bar - 1) * bar_beats
            ax.axvspan(start, start + section.bars * bar_beats, color=_BANDS[i % len(_BANDS)], alpha=0.5, lw=0, zorder=-1)
    for section in meta.sections:
        top.text((section.start_bar - 1) * bar_beats + 0.2, 1.02, section.name, transform=top.get_xaxis_transform(),
                 va="bottom", fontsize=8, color="0.3")
    axes[-1].set_xlabel("beats")
    axes[0].set_title(f"Timeline — {meta.bars} bars, {meta.duration_s:.1f} s", pad=14 if meta.sections else 6)
    return fig


def _legend_label(stem: Any) -> str:
    return f"{stem.name} ({stem.instrument}{', muted' if stem.muted else ''})"


def _rect(x: float, y: float, w: float, h: float, color: str, alpha: float) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=color, edgecolor="white", linewidth=0.6, alpha=min(alpha, 1.0))


def waveform(audio: np.ndarray, *, sr: int, figsize: tuple[float, float] = (11, 3)) -> Figure:
    """Left and right channels of ``audio`` (shape ``(channels, samples)``) against seconds."""
    audio = np.atleast_2d(audio)
    fig = PlotFigure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    t = np.arange(audio.shape[1]) / sr
    step = max(1, audio.shape[1] // 20_000)  # plotting every sample of minutes of audio helps nobody
    for ch, label in zip(audio, ("left", "right"), strict=False):
        ax.plot(t[::step], ch[::step], lw=0.5, label=label, alpha=0.8)
    ax.set(xlabel="seconds", ylabel="amplitude", ylim=(-1.05, 1.05), title="Waveform")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def spectrogram(audio: np.ndarray, *, sr: int, n_fft: int = 2048, figsize: tuple[float, float] = (11, 4),
                title: str = "Spectrogram") -> Figure:
    """Log-frequency spectrogram (dB) of the mono sum of ``audio``."""
    from scipy.signal import stft

    mono = np.atleast_2d(audio).mean(axis=0)
    f, t, z = stft(mono, fs=sr, nperseg=n_fft, noverlap=n_fft * 3 // 4)
    db = 20 * np.log10(np.abs(z) + 1e-9)
    fig = PlotFigure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    mesh = ax.pcolormesh(t, f[1:], db[1:], shading="auto", cmap="magma", vmin=db.max() - 90, vmax=db.max())
    ax.set(yscale="log", ylim=(30, sr / 2), xlabel="seconds", ylabel="Hz", title=title)
    fig.colorbar(mesh, ax=ax, label="dB")
    return fig


def spectra(audios: Mapping[str, np.ndarray], *, sr: int, n_fft: int = 4096,
            figsize: tuple[float, float] = (11, 3.5)) -> Figure:
    """Average spectra (Welch, dB) of several takes on one log-frequency axis, to compare them.

    ``audios`` maps a label to audio of shape ``(channels, samples)``; each is summed to mono.
    What a word like "brighter" did shows as one curve above another in the treble.

    >>> sr = 8000
    >>> t = np.arange(sr) / sr
    >>> fig = spectra({"low": np.sin(2 * np.pi * 200 * t)[None], "high": np.sin(2 * np.pi * 2000 * t)[None]}, sr=sr)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['low', 'high']
    """
    from scipy.signal import welch

    fig = PlotFigure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    top = -np.inf
    for label, audio in audios.items():
        f, power = welch(np.atleast_2d(audio).mean(axis=0), fs=sr, nperseg=n_fft)
        db = 10 * np.log10(power[1:] + 1e-20)
        top = max(top, float(db.max()))
        ax.plot(f[1:], db, lw=1.2, label=label)
    ax.set(xscale="log", xlim=(30, sr / 2), xlabel="Hz", ylabel="power (dB)", title="Average spectrum")
    if np.isfinite(top):
        ax.set_ylim(top - 90, top + 5)  # the last 90 dB: what a listener could hear
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="lower left", fontsize=8)
    return fig


def levels(session: Any, *, n_fft: int = 4096, figsize: tuple[float, float] = (12, 4)) -> Figure:
    """The balance of a mix at a glance: each stem's loudness before the master against where its
    role should sit (``music/levels.py``), and the mastered mix's spectrum against a pink-noise slope
    (-3 dB per octave, the tilt a balanced record roughly follows), titled with its loudness and
    true peak.

    >>> from orchestria_lab.session import Session, SQLiteStore
    >>> s = Session.create(bpm=120, key="C", genre="pop", bars=1, sample_rate=8000, store=SQLiteStore(":memory:"))
    >>> _ = s.command("add a drum beat"); _ = s.command("add a bass line")
    >>> fig = levels(s)
    >>> fig.axes[0].get_title(), fig.axes[1].get_title().startswith("Mix -14"), "dBTP" in fig.axes[1].get_title()
    ('Stems before the master', True, True)
    """
    from scipy.signal import welch

    from orchestria_lab.audio.dynamics import integrated_loudness, true_peak
    from orchestria_lab.audio.levels import target_lufs

    state = _state_of(session)
    table = session.stems
    sr = state.meta.sample_rate
    mix = session.render()
    fig = PlotFigure(figsize=figsize, layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.4))
    colors = stem_colors(state)
    y = np.arange(len(table))
    measured = table["loudness_lufs"].fillna(-70.0)
    floor = float(min(measured.min(), *(target_lufs(state, s) for s in state.stems), -30.0)) - 8.0 if len(table) else -60.0
    for i, row in enumerate(table.itertuples()):
        aim = target_lufs(state, state.stem(row.stem_id))
        left.barh(i, measured.iloc[i] - floor, left=floor, color=colors[row.stem_id], alpha=0.85)
        left.plot([aim + row.gain_db], [i], "k|", markersize=16, mew=2)
    left.set(yticks=y, yticklabels=[f"{r.stem_id} ({r.role})" for r in table.itertuples()],
             xlabel="LUFS (bar: measured; | its role's target plus the user's gain)",
             title="Stems before the master")
    left.invert_yaxis()
    left.grid(True, axis="x", alpha=0.3)
    f, power = welch(np.atleast_2d(mix).mean(axis=0), fs=sr, nperseg=min(n_fft, mix.shape[1]))
    db = 10 * np.log10(power[1:] + 1e-20)
    right.plot(f[1:], db, lw=1.2, color="#1d70b8", label="mix")
    at_1k = float(np.interp(1000.0, f[1:], db)) if sr > 2000 else float(db.mean())
    right.plot(f[1:], at_1k - 10 * np.log10(f[1:] / 1000.0), "--", color="#888", lw=1, label="pink (-3 dB/oct)")
    right.set(xscale="log", xlim=(30, sr / 2), xlabel="Hz", ylabel="power (dB)",
              title=f"Mix {integrated_loudness(mix, sr):.1f} LUFS, true peak "
                    f"{20 * np.log10(max(true_peak(mix, sr), 1e-9)):.1f} dBTP")
    right.set_ylim(float(db.max()) - 80, float(db.max()) + 6)
    right.grid(True, which="both", alpha=0.25)
    right.legend(loc="lower left", fontsize=8)
    return fig


def version_timeline(session: Any, *, figsize: tuple[float, float] = (11, 3)) -> Figure:
    """One marker per version; arcs below the line show where a rollback took its content from."""
    versions = session.versions
    fig = PlotFigure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    ax.plot(versions["version"], np.zeros(len(versions)), "o-", color="#1d70b8")
    for row in versions.itertuples():
        if not pd.isna(row.parent) and row.parent != row.version - 1:
            # the bend shrinks with the jump's length, so long jumps stay inside the axes
            rad = 0.5 / max(1, row.version - row.parent) ** 0.75
            ax.annotate("", xy=(row.version, 0), xytext=(row.parent, 0),
                        arrowprops={"arrowstyle": "->", "connectionstyle": f"arc3,rad={rad:.3f}", "color": "#d62828"})
        ax.annotate(str(row.command)[:28], (row.version, 0), rotation=35, fontsize=8,
                    xytext=(0, 8), textcoords="offset points")
    ax.set(yticks=[], xlabel="version", title="Version history", ylim=(-1, 2))
    ax.set_xticks(versions["version"].tolist())
    last = int(versions["version"].max())
    ax.set_xlim(-0.5, last + 0.5 + max(1.0, 0.15 * last))  # room for the last, slanted label
    return fig


def save(fig: Figure, path: str | Path, *, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return path


class PlotAccessor:
    """``session.plot.piano_roll()`` and friends, bound to one session or version view."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    def piano_roll(self, **kw: Any) -> Figure:
        return piano_roll(self._owner, **kw)

    def waveform(self, **kw: Any) -> Figure:
        return waveform(self._owner.render(), sr=self._owner.sample_rate, **kw)

    def spectrogram(self, **kw: Any) -> Figure:
        return spectrogram(self._owner.render(), sr=self._owner.sample_rate, **kw)

    def timeline(self, **kw: Any) -> Figure:
        """The song over its bars: sections, tempo and key changes, automation lanes."""
        return timeline(self._owner, **kw)

    def levels(self, **kw: Any) -> Figure:
        """Each stem's loudness against its role's target, and the mix's spectrum, loudness and true peak."""
        return levels(self._owner, **kw)

    def versions(self, **kw: Any) -> Figure:
        """The session's versions over time, rollbacks marked."""
        session = getattr(self._owner, "session", self._owner)
        return version_timeline(session, **kw)
