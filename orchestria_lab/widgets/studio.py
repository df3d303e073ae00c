"""The Studio: one ipywidgets panel to direct a session from a notebook.

``Studio(session)`` works with a local :class:`~orchestria_lab.session.Session` and with a
``RemoteSession`` from :mod:`orchestria_lab.client`: it only uses the verbs and tables they
share (``command``, ``stems``, ``versions``, ``diff``, ``rollback``, ``export``, ``render``,
``render_stem``, ``meta``, ``version``, ``id``). It holds

- a command box (Enter runs it) with Run and Plan (dry run) buttons;
- the agents' live status while a command runs, driven by the conductor's events, then the
  plan that ran and its message, or what was not understood and what to try instead;
- the stems, each with a player, mute and solo toggles and gain and pan sliders. Every change
  is a command, so it makes exactly one version, like anything typed in the box;
- the version history with the diff of the selected version and a button that restores it;
- A/B listening between two versions, and the candidates of the latest variations ("give me 4
  variations of the melody"), each with its score, a player and a button that chooses it;
- export buttons with a download link per file written, and a piano roll of the current version.

Once opened, the mix player follows the session: after each command it holds the new version's
mix. Every action (a command, a control, an export, a restore, A/B) first clears the error
box a previous one left.

Every part is a public attribute, so a test (or a curious user) can drive it:

>>> import os, tempfile
>>> from orchestria_lab import Session
>>> from orchestria_lab.session.store import SQLiteStore
>>> session = Session.create(bpm=90, key="Cm", genre="lo-fi", seed=7,
...                          store=SQLiteStore(os.path.join(tempfile.mkdtemp(), "doc.db")))
>>> studio = Studio(session)
>>> studio.command_box.placeholder
'Tell the orchestra what you want, e.g. "add warm piano chords with reverb"  (Enter runs it)'
>>> studio.history.options[0][1], studio.stem_rows
(0, {})
"""

from __future__ import annotations

import functools
import html
import inspect
from pathlib import Path
from typing import Any

import ipywidgets as w

from orchestria_lab.agents.base import Action
from orchestria_lab.errors import CommandNotUnderstood, OrchestriaError
from orchestria_lab.session.conductor import NothingToChange
from orchestria_lab.widgets import downloads, plots
from orchestria_lab.widgets.display import (
    STUDIO_CSS,
    _one_line,
    agents_html,
    as_dict,
    diff_html,
    effects_label,
    event_note,
    result_html,
    summary,
    version_label,
    wav_bytes,
)

EXPORT_FORMATS = ("wav", "flac", "mp3", "midi")
_EXTENSIONS = {"wav": "wav", "flac": "flac", "mp3": "mp3", "midi": "mid"}
_TABS = ("Stems", "Piano roll", "History", "A/B", "Export")


def _action(method: Any) -> Any:
    """Mark a Studio method as an action a person takes: it starts by clearing the last error."""

    @functools.wraps(method)
    def clear_error_then(self: Studio, *args: Any, **kw: Any) -> Any:
        self._clear_error()
        return method(self, *args, **kw)

    return clear_error_then


class StemRow(w.HBox):
    """One stem's controls: name, mute and solo toggles, gain and pan sliders, a player."""

    def __init__(self, stem: dict[str, Any]) -> None:
        self.stem_id = str(stem["stem_id"])
        self.label = w.HTML(layout=w.Layout(width="260px"))
        self.mute = w.ToggleButton(description="M", tooltip="mute", layout=w.Layout(width="36px"))
        self.solo = w.ToggleButton(description="S", tooltip="solo", layout=w.Layout(width="36px"))
        narrow = {"description_width": "initial"}
        self.gain = w.FloatSlider(min=-40.0, max=12.0, step=0.5, description="gain dB", continuous_update=False,
                                  readout_format=".1f", style=narrow, layout=w.Layout(width="260px"))
        self.pan = w.FloatSlider(min=-1.0, max=1.0, step=0.05, description="pan", continuous_update=False,
                                 readout_format="+.2f", style=narrow, layout=w.Layout(width="230px"))
        self.listen = w.Button(description="listen", icon="headphones", layout=w.Layout(width="90px"),
                               tooltip="render this stem and show a player")
        self.player = w.Audio(format="wav", autoplay=False, layout=w.Layout(display="none", width="240px"))
        super().__init__([self.label, self.mute, self.solo, self.gain, self.pan, self.listen, self.player],
                         layout=w.Layout(align_items="center"))
        self.add_class("orchestria-stem")
        self.show(stem)

    def show(self, stem: dict[str, Any]) -> None:
        """Set every control to ``stem``'s values (callers hold the Studio's sync guard)."""
        self.label.value = (f"<b>{html.escape(str(stem['name']))}</b> <small>{html.escape(str(stem['role']))} · "
                            f"{html.escape(str(stem['instrument']))} · {html.escape(effects_label(stem['effects']))}</small>")
        self.mute.value, self.solo.value = bool(stem["muted"]), bool(stem["solo"])
        self.gain.value, self.pan.value = float(stem["gain_db"]), float(stem["pan"])


class TakeRow(w.HBox):
    """One candidate of a variations command: its label and scores, a player, a button that chooses it."""

    METRICS = ("likelihood", "in_key", "chord_tones", "repetition", "range", "fit")

    def __init__(self, take: dict[str, Any], version: int, *, playing: int | None) -> None:
        self.candidate, self.version = int(take["candidate"]), version
        score = take.get("score")
        scores = ", ".join(f"{m.replace('_', ' ')} {take[m]:.2f}" for m in self.METRICS
                           if isinstance(take.get(m), float) and take[m] == take[m])
        now = " · <i>playing now</i>" if playing == self.candidate else ""
        self.label = w.HTML(f"<b>{self.candidate}. {html.escape(str(take['label']))}</b> · score "
                            f"{'n/a' if score is None or score != score else f'{score:.3f}'}{now}<br>"
                            f'<span class="orchestria-note">{html.escape(scores)}'
                            f"{(' · ' + html.escape(str(take['note']))) if take.get('note') else ''}</span>",
                            layout=w.Layout(width="520px"))
        self.listen = w.Button(description="listen", icon="headphones", layout=w.Layout(width="100px"))
        self.choose = w.Button(description="choose", icon="check", layout=w.Layout(width="100px"),
                               button_style="success", disabled=playing == self.candidate,
                               tooltip=f"make candidate {self.candidate} the new version")
        self.player = w.Audio(format="wav", autoplay=False, layout=w.Layout(display="none"))
        super().__init__([self.label, self.listen, self.choose, self.player])
        self.add_class("orchestria-take")


class Studio(w.VBox):
    """A panel to direct ``session``: commands, live agents, stems, history, A/B, export, piano roll.

    ``out_dir`` is where the export buttons write (default ``out/<session id>``). Files up to
    ``data_link_max_bytes`` (default :data:`~orchestria_lab.widgets.downloads.DATA_LINK_MAX_BYTES`)
    are linked as data; larger ones through the Jupyter server (see :mod:`~orchestria_lab.widgets.downloads`).
    """

    def __init__(self, session: Any, *, out_dir: str | Path | None = None) -> None:
        self.session = session
        self.last_result: Any = None
        self.last_error: BaseException | None = None
        self.data_link_max_bytes = downloads.DATA_LINK_MAX_BYTES
        self._syncing = False
        self._error_shown = False  # the result area holds an error box, which the next action clears
        self._mix_version: int | None = None  # the version the mix player holds; None while it is hidden
        self._agent_states: dict[str, str] = dict.fromkeys(_agent_names(session), "idle")

        self.header = w.HTML(layout=w.Layout(margin="0 0 4px 0"))
        self.command_box = w.Text(
            placeholder='Tell the orchestra what you want, e.g. "add warm piano chords with reverb"  (Enter runs it)',
            layout=w.Layout(flex="1 1 auto", width="auto"))
        self.command_box.add_class("orchestria-command")
        self.command_box.on_msg(self._on_command_box_message)
        self.run_button = w.Button(description="Run", button_style="primary", icon="play",
                                   tooltip="run the command: the agents make a new version", layout=w.Layout(width="90px"))
        self.run_button.add_class("orchestria-run")
        self.plan_button = w.Button(description="Plan", icon="list", tooltip="dry run: show the plan, change nothing",
                                    layout=w.Layout(width="90px"))
        self.run_button.on_click(self._guard(lambda _b: self.run()))
        self.plan_button.on_click(self._guard(lambda _b: self.run(dry_run=True)))
        self.status = w.HTML()
        self.status.add_class("orchestria-status")
        self.result = w.HTML()
        self.suggestions = w.HBox()

        self.mix_button = w.Button(description="listen to the mix", icon="headphones", layout=w.Layout(width="180px"))
        self.mix_button.on_click(self._guard(lambda _b: self.listen_to_mix()))
        self.mix_player = w.Audio(format="wav", autoplay=False, layout=w.Layout(display="none"))
        self.mix_player.add_class("orchestria-mix-player")
        self.stem_rows: dict[str, StemRow] = {}
        self.stems_box = w.VBox()
        #: your own parts: a MIDI file's tracks become stems (session.import_midi)
        self.upload = w.FileUpload(accept=".mid,.midi", multiple=True, description="import MIDI",
                                   tooltip="add a MIDI file's tracks as stems, each role guessed")
        self.upload.observe(self._guard(lambda c: c["new"] and self.import_files(c["new"])), "value")

        self.roll = w.Image(format="png", layout=w.Layout(max_width="100%", display="none"))  # shown once drawn
        #: the song's timeline under the roll: sections, tempo and key changes, automation lanes
        self.timeline = w.Image(format="png", layout=w.Layout(max_width="100%", display="none"))
        self._roll_version: int | None = None

        self.history = w.Select(rows=9, layout=w.Layout(width="100%"))
        self.history.observe(self._guard(lambda _c: self._syncing or self._show_history_diff()), "value")
        self.history_diff = w.HTML()
        self.rollback_button = w.Button(description="restore this version", icon="undo", layout=w.Layout(width="220px"),
                                        tooltip="append a new version equal to the selected one")
        self.rollback_button.on_click(self._guard(lambda _b: self.rollback(self.history.value)))

        picker = {"style": {"description_width": "initial"}, "layout": w.Layout(width="340px")}
        self.ab_a, self.ab_b = w.Dropdown(description="A", **picker), w.Dropdown(description="B", **picker)
        self.ab_button = w.Button(description="load A and B", icon="headphones", layout=w.Layout(width="auto"))
        self.ab_button.on_click(self._guard(lambda _b: self.load_ab()))
        self.player_a = w.Audio(format="wav", autoplay=False, layout=w.Layout(display="none"))
        self.player_b = w.Audio(format="wav", autoplay=False, layout=w.Layout(display="none"))
        self.label_a, self.label_b, self.ab_diff = w.HTML(), w.HTML(), w.HTML()
        #: the candidates of the latest variations, best first: one TakeRow each (its score, player, choose button)
        self.take_rows: list[TakeRow] = []
        self.takes_box = w.VBox()
        self.takes_box.add_class("orchestria-takes")
        self._takes_of: tuple[int, int] | None = None  # (variations version, head) the rows were drawn for

        self.out_dir = w.Text(value=str(out_dir or Path("out") / str(session.id)), description="folder",
                              style={"description_width": "initial"}, layout=w.Layout(width="420px"))
        self.export_version = w.Dropdown(description="version", **picker)
        self.export_buttons = {fmt: w.Button(description=fmt.upper(), icon="download") for fmt in EXPORT_FORMATS}
        self.export_buttons["stems"] = w.Button(description="stems (WAV)", icon="download")
        for name, button in self.export_buttons.items():
            button.add_class(f"orchestria-export-{name}")
            button.on_click(self._guard(lambda _b, name=name: self.export(name)))
        self.export_log = w.HTML()
        self.export_log.add_class("orchestria-export-log")

        self.tabs = w.Tab(children=[
            w.VBox([w.HBox([self.mix_button, self.mix_player, self.upload]), self.stems_box]),
            w.VBox([self.roll, self.timeline]),
            w.VBox([self.history, self.rollback_button, self.history_diff]),
            w.VBox([w.HBox([self.ab_a, self.ab_b, self.ab_button]),
                    w.HBox([w.VBox([self.label_a, self.player_a]), w.VBox([self.label_b, self.player_b])]),
                    self.ab_diff, self.takes_box]),
            w.VBox([w.HBox([self.out_dir, self.export_version]), w.HBox(list(self.export_buttons.values())),
                    self.export_log]),
        ], titles=_TABS)
        self.tabs.observe(self._guard(lambda _c: self._draw_roll_if_shown()), "selected_index")
        super().__init__([w.HTML(STUDIO_CSS + downloads.DOWNLOADS_CSS), self.header,
                          w.HBox([self.command_box, self.run_button, self.plan_button]),
                          self.status, self.result, self.suggestions, self.tabs])
        self.add_class("orchestria-studio")
        self.refresh()

    # commands ---------------------------------------------------------------------------
    @_action
    def run(self, text: str | None = None, *, dry_run: bool = False) -> Any:
        """Run ``text`` (default: the command box) on the session and show what happened.

        Returns the command's result, or ``None`` when nothing ran (empty box, not understood,
        refused); the reason is shown in the panel and kept in ``last_error``.
        """
        return self._run(self.command_box.value if text is None else text, dry_run=dry_run)

    def _run(self, text: str, *, dry_run: bool = False, actions: list[Action] | None = None) -> Any:
        text = text.strip()
        if not text:
            self._show_error_text("Type what you want first, e.g. “add a boom bap drum beat”.")
            return None
        self._set_busy(True, text)
        try:
            result = self._call_command(text, dry_run=dry_run, actions=actions)
        except NothingToChange as exc:  # understood, but already so: a note, not an error
            self.last_error = exc
            self.result.value = f'<div class="orchestria-message">{html.escape(exc.message)}</div>'
            return None
        except CommandNotUnderstood as exc:
            self._show_not_understood(exc)
            return None
        except OrchestriaError as exc:
            self.last_error = exc
            self._show_error_text(exc.message)
            return None
        finally:
            self._set_busy(False)
        self.last_result = result
        if not dry_run and actions is None:
            self.command_box.value = ""
        self.result.value = result_html(result, dry_run=dry_run)
        self._redraw()  # the session holds its new version already: no request to re-read it
        return result

    @_action
    def import_files(self, files: Any) -> Any:
        """Add each uploaded MIDI file (``FileUpload`` values: ``name`` and ``content``) as stems, one
        version each; what was guessed is shown, and a bad file's reason (no version is made)."""
        record = None
        for upload in files:
            try:
                record = self.session.import_midi(bytes(upload["content"]), filename=str(upload["name"]))
            except OrchestriaError as exc:
                self.last_error = exc
                self._show_error_text(exc.message)
                return None
            said = getattr(record, "summary", None) or getattr(record, "message", "")
            self.result.value = f'<div class="orchestria-message">{html.escape(str(said))}</div>'
        self._redraw()
        return record

    def _call_command(self, text: str, *, dry_run: bool, actions: list[Action] | None) -> Any:
        command = self.session.command
        kw: dict[str, Any] = {"dry_run": dry_run}
        if _accepts(command, "on_event"):
            kw["on_event"] = self._on_event
        if actions is not None and _accepts(command, "planner"):
            kw["planner"] = FixedPlan(actions)  # the exact stem, whatever its name; the words stay readable
        return command(text, **kw)

    def _on_command_box_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("event") == "submit":  # the browser sends this when Enter is pressed
            self._guard(lambda _x: self.run())(None)

    def _on_event(self, event: Any) -> None:
        kind, data = _event_parts(event)
        agent = data.get("agent")
        if kind == "plan":
            for step in data.get("plan") or data.get("actions") or ():
                name = as_dict(step).get("agent")
                if name:
                    self._agent_states[str(name)] = "queued"
        elif kind == "agent_started" and agent:
            self._agent_states[str(agent)] = "working"
        elif kind == "agent_finished" and agent:
            self._agent_states[str(agent)] = "done"
        elif kind == "error" and agent:
            self._agent_states[str(agent)] = "error"
        self._draw_status(note=event_note(kind, data))

    def _set_busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.run_button, self.plan_button, self.command_box):
            widget.disabled = busy
        if busy:
            self._agent_states = dict.fromkeys(self._agent_states, "idle")
            self.result.value = ""
            self._draw_status(note=f"working on “{text}” …")
        else:
            # who took part stays marked (done or error) until the next command
            self._agent_states = {k: v if v in ("done", "error") else "idle" for k, v in self._agent_states.items()}
            self._draw_status()

    # mix controls -----------------------------------------------------------------------
    @_action
    def _on_mix_change(self, stem_id: str, field: str, value: Any) -> None:
        if self._run(mix_command(stem_id, field, value), actions=[mix_action(stem_id, field, value)]) is None:
            self._redraw()  # put the control back where the session says it is

    # history, A/B, export ----------------------------------------------------------------
    @_action
    def rollback(self, version: int | None) -> None:
        """Append a new version equal to ``version`` and show it."""
        if version is None:
            self._show_error_text("Select a version in the list first.")
            return
        self.session.rollback(int(version))
        self.result.value = (f'<div class="orchestria-message">Restored version {int(version)} '
                             f"as version {self.session.version}.</div>")
        self._redraw()

    @_action
    def load_ab(self) -> None:
        """Render versions A and B into the two players and show what differs between them."""
        a, b = self.ab_a.value, self.ab_b.value
        self._load_player(self.player_a, a)
        self._load_player(self.player_b, b)
        self.label_a.value, self.label_b.value = f"<b>A</b> · version {a}", f"<b>B</b> · version {b}"
        self.ab_diff.value = diff_html(self.session.diff(a, b), f"from version {a} to version {b}")

    @_action
    def choose(self, candidate: int) -> Any:
        """Make candidate ``candidate`` (from 1, best first) of the latest variations the new version."""
        try:
            result = self.session.choose(int(candidate))
        except NothingToChange as exc:
            self.result.value = f'<div class="orchestria-message">{html.escape(exc.message)}</div>'
            return None
        except OrchestriaError as exc:
            self.last_error = exc
            self._show_error_text(exc.message)
            return None
        self.last_result = result
        self.result.value = result_html(result, dry_run=False)
        self._redraw()
        return result

    @_action
    def listen_to_take(self, row: TakeRow) -> None:
        """Load candidate ``row``'s mix into its player."""
        row.player.value = self._take_wav(row.candidate, row.version)
        row.player.layout.display = None

    def _take_wav(self, candidate: int, version: int) -> bytes:
        if callable(getattr(self.session, "render_candidate", None)):
            audio = self.session.render_candidate(candidate, version=version)
            return wav_bytes(audio, sr=int(self.session.meta["sample_rate"]))
        url = self.session.candidates(version).loc[candidate - 1, "audio_url"]  # a remote session's: the server renders
        return self.session.client.request("GET", url).content

    def _draw_takes(self) -> None:
        """The candidates of the latest variations (the head's, or those the head chose from)."""
        versions = self.session.versions
        made = versions[versions["candidate"].notna() & (versions["kind"] != "choose")]
        if made.empty:
            self.take_rows, self._takes_of = [], None
            self.takes_box.children = [w.HTML('<p class="orchestria-note">No variations yet: say “give me 4 '
                                              'variations of the melody” to hear takes side by side here.</p>')]
            return
        head = versions.iloc[-1]
        version = int(made["version"].iloc[-1])  # after an edit since, its takes are still there to choose from
        if self._takes_of == (version, self.session.version):
            return
        playing = int(head["candidate"]) if head["kind"] == "choose" or int(head["version"]) == version else None
        table = self.session.candidates(version)
        self.take_rows = [TakeRow(row, version, playing=playing) for row in table.to_dict("records")]
        for row in self.take_rows:
            row.listen.on_click(self._guard(lambda _b, row=row: self.listen_to_take(row)))
            row.choose.on_click(self._guard(lambda _b, row=row: self.choose(row.candidate)))
        self.takes_box.children = [w.HTML(f"<b>Candidates of version {version}</b>, best first "
                                          "(the critic's score, 0 to 1)"), *self.take_rows]
        self._takes_of = (version, self.session.version)

    @_action
    def export(self, what: str) -> list[Path]:
        """Export the selected version: a format of :data:`EXPORT_FORMATS`, or ``"stems"`` (WAV).

        The log under the buttons gets a download link per file: the signed URL of each file a
        remote session exported (its ``last_export``), else a link to the file written here.
        """
        version = self.export_version.value
        stem = f"{self.session.id}_v{version}"
        folder = Path(self.out_dir.value)
        self.export_log.value = ""  # no links to the previous export while this one is written
        if what == "stems":
            paths = self.session.export(folder / f"{stem}_stems", stems=True, version=version, format="wav")
        else:
            paths = self.session.export(folder / f"{stem}.{_EXTENSIONS[what]}", version=version, format=what)
        signed = getattr(self.session, "last_export", None)  # a RemoteSession's: name, url, path per file
        if signed:
            links = [downloads.remote_link(f) for f in signed]
        else:
            server = downloads.jupyter_server()
            links = [downloads.local_link(p, server=server, max_data_bytes=self.data_link_max_bytes) for p in paths]
        self.export_log.value = downloads.export_links_html(links, version)
        return [Path(p) for p in paths]

    @_action
    def listen_to_mix(self) -> None:
        """Show the mix player with the current version's mix; from now on it follows each command."""
        self._load_mix()

    def _load_mix(self) -> None:
        self._load_player(self.mix_player, None)
        self._mix_version = self.session.version

    def _load_player(self, player: w.Audio, version: int | None) -> None:
        audio = self.session.render() if version is None else self.session.render(version=version)
        player.value = wav_bytes(audio, sr=int(self.session.meta["sample_rate"]))
        player.layout.display = None

    def _follow_with_mix_player(self) -> None:
        """Reload an open mix player when the session moved on; a failed render closes it, saying why."""
        if self._mix_version is None or self._mix_version == self.session.version:
            return
        try:
            self._load_mix()
        except Exception as exc:  # the command itself succeeded: keep its result, add why there is no player
            self._mix_version, self.mix_player.layout.display = None, "none"
            self.last_error = exc
            self.result.value += self._error_box(f"No mix player for version {self.session.version}: "
                                                 f"{_one_line(exc)}")
            self._error_shown = True

    @_action
    def _load_stem_player(self, row: StemRow) -> None:
        row.player.value = wav_bytes(self.session.render_stem(row.stem_id), sr=int(self.session.meta["sample_rate"]))
        row.player.layout.display = None

    # drawing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the session again (another writer may have moved it on) and redraw everything."""
        if callable(getattr(self.session, "refresh", None)):
            self.session.refresh()
        self._redraw()

    def _redraw(self) -> None:
        """Redraw everything from the session as it holds itself: after the Studio's own
        command, import or rollback it is already current, so a remote one asks nothing more."""
        self._draw_stems()
        self._draw_versions()
        self._draw_takes()
        self._draw_status()
        self._follow_with_mix_player()
        self._draw_roll_if_shown()
        # last, so that a header showing version n means the whole panel shows version n
        self.header.value = f'<div class="orchestria-header">{html.escape(summary(self.session))}</div>'

    def _draw_stems(self) -> None:
        stems = self.session.stems.to_dict("records")
        self._syncing = True
        try:
            rows = {}
            for stem in stems:
                row = self.stem_rows.get(str(stem["stem_id"]))
                if row is None:
                    row = self._new_row(stem)
                else:
                    row.show(stem)
                    row.player.layout.display = "none"  # its audio may be stale now
                rows[row.stem_id] = row
        finally:
            self._syncing = False
        self.stem_rows = rows
        self.stems_box.children = list(rows.values()) or [w.HTML(
            '<p class="orchestria-note">No stems yet: type a command above, e.g. '
            "“add warm piano chords with reverb”.</p>")]

    def _new_row(self, stem: dict[str, Any]) -> StemRow:
        row = StemRow(stem)
        sid = row.stem_id
        for field, control in (("muted", row.mute), ("solo", row.solo), ("gain_db", row.gain), ("pan", row.pan)):
            # a change the Studio makes itself (showing the session's values) is no action
            control.observe(self._guard(lambda c, field=field: self._syncing
                                        or self._on_mix_change(sid, field, c["new"])), "value")
        row.listen.on_click(self._guard(lambda _b: self._load_stem_player(row)))
        return row

    def _draw_versions(self) -> None:
        versions = self.session.versions
        records = versions.to_dict("records")[::-1]
        options = [(version_label(r), int(r["version"])) for r in records]
        short = [(version_label(r, limit=40), int(r["version"])) for r in records]
        current = self.session.version
        self._syncing = True
        try:
            self.history.options = options
            self.history.value = current
            for dropdown in (self.ab_a, self.ab_b, self.export_version):
                dropdown.options = short
            self.ab_a.value = max(current - 1, 0)
            self.ab_b.value = current
            self.export_version.value = current
        finally:
            self._syncing = False
        self._show_history_diff()

    def _show_history_diff(self) -> None:
        version = self.history.value
        if version is None or version == 0:
            self.history_diff.value = '<p class="orchestria-note">Version 0 is the empty session.</p>'
            return
        self.history_diff.value = diff_html(self.session.diff(version - 1, version),
                                             f"what version {version} changed")

    def _draw_status(self, note: str = "") -> None:
        self.status.value = agents_html(self._agent_states, note)

    def _draw_roll_if_shown(self) -> None:
        if self.tabs.selected_index != _TABS.index("Piano roll") or self._roll_version == self.session.version:
            return
        import io

        buffer = io.BytesIO()
        plots.piano_roll(self.session, figsize=(11, 4.5)).savefig(buffer, format="png", dpi=90)
        self.roll.value = buffer.getvalue()
        self.roll.layout.display = None
        buffer = io.BytesIO()
        plots.timeline(self.session, figsize=(11, 3.5)).savefig(buffer, format="png", dpi=90)
        self.timeline.value = buffer.getvalue()
        self.timeline.layout.display = None
        self._roll_version = self.session.version

    def _show_not_understood(self, exc: CommandNotUnderstood) -> None:
        self.last_error = exc
        self._error_shown = True
        understood = "".join(f"<li>{html.escape(u)}</li>" for u in exc.understood)
        self.result.value = (
            f'<div class="orchestria-error"><b>Not understood:</b> {html.escape(exc.details.get("reason", exc.message))}'
            + (f"<br>I understood:<ul>{understood}</ul>" if understood else "")
            + ("<br>Try one of these (click to put it in the box):" if exc.suggestions else "") + "</div>")
        buttons = []
        for text in exc.suggestions:
            button = w.Button(description=text, tooltip=text, layout=w.Layout(width="auto"))
            button.add_class("orchestria-suggestion")
            button.on_click(lambda _b, text=text: setattr(self.command_box, "value", text))
            buttons.append(button)
        self.suggestions.children = buttons

    def _show_error_text(self, message: str) -> None:
        self.result.value = self._error_box(message)
        self._error_shown = True

    @staticmethod
    def _error_box(message: str) -> str:
        return f'<div class="orchestria-error">{html.escape(message)}</div>'

    def _clear_error(self) -> None:
        """What every action does first: the previous action's error box (and suggestions) go."""
        self.last_error = None
        if self._error_shown:
            self.result.value = ""
            self.suggestions.children = ()
            self._error_shown = False

    def _guard(self, callback: Any) -> Any:
        """Wrap a widget callback: an error is shown in the panel (and kept), never a traceback."""

        def guarded(arg: Any) -> None:
            try:
                callback(arg)
            except Exception as exc:  # a callback's traceback would land in a log nobody reads
                self.last_error = exc
                self._show_error_text(_one_line(exc))

        return guarded


class FixedPlan:
    """A planner that returns the given actions: how a control says exactly what it means.

    A session whose ``command`` takes a ``planner`` (a local Session) runs these actions and
    records the words; one that does not (a RemoteSession) gets the words, which plan the same.
    """

    def __init__(self, actions: list[Action]) -> None:
        self.actions = list(actions)

    def plan(self, text: str, context: Any) -> list[Action]:
        return list(self.actions)


def mix_action(stem_id: str, field: str, value: Any) -> Action:
    """The mix agent's action for a control change.

    >>> mix_action("drums", "muted", True).describe(), mix_action("bass", "gain_db", -3.5).describe()
    ('mix.mute(drums)', 'mix.gain(bass, db=-3.5)')
    """
    if field in ("muted", "solo"):
        intent = ("" if value else "un") + ("mute" if field == "muted" else "solo")
        return Action("mix", intent, stem_id)
    if field == "gain_db":
        return Action("mix", "gain", stem_id, {"db": float(value)})
    if field == "pan":
        return Action("mix", "pan", stem_id, {"pan": float(value)})
    raise ValueError(f"no mix action for field {field!r}; fields: muted, solo, gain_db, pan")


def mix_command(stem: str, field: str, value: Any) -> str:
    """The command a mix control sends, in the words the parser understands.

    >>> mix_command("drums", "muted", True), mix_command("bass", "gain_db", -3.5)
    ('mute the drums', 'set the bass gain to -3.5 dB')
    >>> mix_command("keys", "pan", -0.3), mix_command("keys", "pan", 0.0)
    ('pan the keys 30% left', 'pan the keys center')
    """
    if field == "muted":
        return f"{'mute' if value else 'unmute'} the {stem}"
    if field == "solo":
        return f"{'solo' if value else 'unsolo'} the {stem}"
    if field == "gain_db":
        return f"set the {stem} gain to {float(value):.1f} dB"
    if field == "pan":
        if abs(value) < 1e-9:
            return f"pan the {stem} center"
        return f"pan the {stem} {abs(float(value)) * 100:.0f}% {'left' if value < 0 else 'right'}"
    raise ValueError(f"no mix command for field {field!r}; fields: muted, solo, gain_db, pan")


def _agent_names(session: Any) -> list[str]:
    """The session's agents: a remote session says which the server has; else the local registry."""
    remote = getattr(session, "agent_states", None)
    if isinstance(remote, dict) and remote:
        return [str(n) for n in remote]
    from orchestria_lab.agents.registry import agents_table

    return [str(n) for n in agents_table()["name"]]


def _accepts(func: Any, name: str) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in params)


def _event_parts(event: Any) -> tuple[str, dict[str, Any]]:
    """``(type, data)`` of a conductor Event, a streamed event or a plain dict."""
    d = as_dict(event)
    kind, data = str(d.get("type", "")), dict(d.get("data") or {})
    if data.get("type") == kind and isinstance(data.get("data"), dict):  # a whole event sent as the data
        data = data["data"]
    return kind, data
