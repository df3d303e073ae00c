"""Humanising a part ("humanize the drums", "make the bass feel like a live player") and taking it back
to the grid ("quantize the drums").

Every test drives a session by commands and measures the notes against the grid, in milliseconds at
the session's tempo (``ms = beats * 60000 / bpm``). Notes that existed before humanising are matched to
the notes after by pitch and nearest start; what is left over after matching is new (ghost notes).

The grid a note sat on before humanising is :func:`grid_position` of its start: the rock groove already
carries a few ms of generator jitter around the straight grid, and swung parts are written exactly on
their swung grid.
"""

from __future__ import annotations

import statistics

import pytest

from orchestria_lab.errors import CommandNotUnderstood
from orchestria_lab.music.vocabulary import GM_DRUMS
from orchestria_lab.session import Session
from orchestria_lab.session.store import SQLiteStore
from orchestria_lab.state import Note

try:  # the refusal of a command that would change nothing, wherever it lives
    from orchestria_lab.errors import NothingToChange  # type: ignore[attr-defined]
except ImportError:  # today: the conductor's, a CommandNotUnderstood
    from orchestria_lab.session.conductor import NothingToChange

BPM = 100
SETUP = ("add a rock drum beat", "add piano chords", "add a bass line")
KICK, CLOSED_HAT = GM_DRUMS["kick"], GM_DRUMS["closed_hat"]
SNARES = frozenset({GM_DRUMS["rim"], GM_DRUMS["snare"], GM_DRUMS["snare_2"]})  # 37, 38, 40
GHOST_VELOCITY = 60
BACKBEAT_VELOCITY = 80
MAX_OFFSET_MS = 30.0
#: How far (ms) a humanised note may sit from the note it was and still be taken for it.
MATCH_MS = 45.0
#: How close (beats) a note start must be to a grid position to count as on it.
ON_GRID = 1e-3


# helpers -------------------------------------------------------------------------------------
def make_session(*, genre: str = "rock", seed: int = 3, bars: int = 8, bpm: float = BPM,
                 setup: tuple[str, ...] = SETUP) -> Session:
    s = Session.create(bpm=bpm, key="C", genre=genre, bars=bars, seed=seed, store=SQLiteStore(":memory:"))
    for text in setup:
        s.command(text)
    return s


def ms(beats: float, bpm: float) -> float:
    return beats * 60000.0 / bpm


def grid_position(start: float) -> float:
    """The grid position a note written at ``start`` sits on: the nearest 32nd when the start lies within
    0.02 beat of one (a straight part, with at most the generator's few ms of jitter), else ``start``
    itself (a swung position: the generators write swung notes exactly on the swung grid)."""
    q = round(start * 8) / 8
    return q if abs(start - q) <= 0.02 else start


def nearest_sixteenth(start: float) -> float:
    return round(start * 4) / 4


def match(before, after, *, bpm: float):
    """Pair each note of ``before`` with the note of ``after`` of the same pitch nearest its start (within
    :data:`MATCH_MS`), closest pairs first. Returns ``(pairs, new, lost)``: the ``(before, after)`` pairs,
    the notes of ``after`` left over (new notes: ghost notes) and the notes of ``before`` left over."""
    tol = MATCH_MS * bpm / 60000.0
    pairs, new, lost = [], [], []
    for pitch in sorted({n.pitch for n in before} | {n.pitch for n in after}):
        b = [n for n in before if n.pitch == pitch]
        a = [n for n in after if n.pitch == pitch]
        candidates = sorted((abs(y.start - x.start), i, j) for i, x in enumerate(b) for j, y in enumerate(a)
                            if abs(y.start - x.start) <= tol)
        used_b, used_a = set(), set()
        for _, i, j in candidates:
            if i not in used_b and j not in used_a:
                used_b.add(i)
                used_a.add(j)
                pairs.append((b[i], a[j]))
        lost += [x for i, x in enumerate(b) if i not in used_b]
        new += [y for j, y in enumerate(a) if j not in used_a]
    return pairs, new, lost


def offsets_ms(pairs, *, bpm: float) -> list[float]:
    """Signed offset (ms) of each humanised note from the grid position its note sat on before."""
    return [ms(a.start - grid_position(b.start), bpm) for b, a in pairs]


def moves_ms(pairs, *, bpm: float) -> list[float]:
    """Signed move (ms) of each note from where it was before the command."""
    return [ms(a.start - b.start, bpm) for b, a in pairs]


def median_abs(values) -> float:
    return statistics.median(abs(v) for v in values)


def mean(values) -> float:
    values = list(values)
    assert values, "nothing to average"
    return statistics.fmean(values)


def notes_of(s: Session, stem_id: str) -> tuple[Note, ...]:
    return s.state.stem(stem_id).notes


def is_ghost(note: Note) -> bool:
    return note.pitch in SNARES and note.velocity < GHOST_VELOCITY


def position_in_bar(start: float, beats_per_bar: float) -> float:
    return round(start % beats_per_bar, 4)


def velocities_by_position(pairs, beats_per_bar: float) -> dict[str, list[int]]:
    """The humanised velocities of ``pairs`` grouped by where the note sat before: ``downbeat`` (beat 1
    of a bar), ``strong`` (the meter's strong beats, 1 and 3 in 4/4), ``on`` (any whole beat) and
    ``off`` (anything between the beats)."""
    groups: dict[str, list[int]] = {"downbeat": [], "strong": [], "on": [], "off": []}
    for b, a in pairs:
        pos = position_in_bar(grid_position(b.start), beats_per_bar)
        if abs(pos - round(pos)) < 1e-6:
            groups["on"].append(a.velocity)
            if pos == 0:
                groups["downbeat"].append(a.velocity)
            if pos in (0.0, beats_per_bar / 2):
                groups["strong"].append(a.velocity)
        else:
            groups["off"].append(a.velocity)
    return groups


def humanised(s: Session, text: str, stem_id: str):
    """Run ``text`` and return ``(before, after, pairs, new, lost)`` for ``stem_id``."""
    before = notes_of(s, stem_id)
    s.command(text)
    after = notes_of(s, stem_id)
    return (before, after, *match(before, after, bpm=s.bpm))


def describe(values, digits: int = 1) -> str:
    values = list(values)
    if not values:
        return "[]"
    return (f"n={len(values)} median|x|={median_abs(values):.{digits}f} max|x|={max(abs(v) for v in values):.{digits}f} "
            f"mean={statistics.fmean(values):.{digits}f}")


# 1. timing ---------------------------------------------------------------------------------
def test_humanised_drums_sit_a_few_milliseconds_off_the_grid():
    """Median |offset| from the grid 2-20 ms, none over 30 ms, not one shift for all; every note kept."""
    s = make_session()
    before, after, pairs, new, lost = humanised(s, "humanize the drums", "drums")
    assert not lost, f"humanising lost {len(lost)} of {len(before)} drum notes, e.g. {lost[:4]}"
    offsets = offsets_ms(pairs, bpm=s.bpm) + [ms(n.start - nearest_sixteenth(n.start), s.bpm) for n in new]
    med, worst, spread = median_abs(offsets), max(abs(o) for o in offsets), statistics.pstdev(offsets)
    assert 2.0 <= med <= 20.0, f"median |offset| from the grid is {med:.2f} ms, expected 2-20 ms ({describe(offsets)})"
    assert worst <= MAX_OFFSET_MS, f"a drum note sits {worst:.2f} ms off its grid position (at most 30 ms)"
    assert spread > 1.0, f"offsets are all alike (std {spread:.2f} ms): a humaniser moves each note its own way"
    moved = moves_ms(pairs, bpm=s.bpm)
    assert median_abs(moved) >= 1.0, (f"the command hardly moved the notes from where they were "
                                      f"({describe(moved, 2)}): the offsets are the generator's own")


def test_off_beats_and_ghost_notes_drift_more_than_notes_on_the_beat():
    """Offsets are larger on off-beats and on ghost notes than on the beat (pooled over three seeds)."""
    on, off, ghosts = [], [], []
    for seed in (3, 4, 5):
        s = make_session(seed=seed)
        _, _, pairs, new, _ = humanised(s, "humanize the drums", "drums")
        for (b, _), o in zip(pairs, offsets_ms(pairs, bpm=s.bpm), strict=True):
            g = grid_position(b.start)
            (on if abs(g - round(g)) < 1e-6 else off).append(abs(o))
        ghosts += [abs(ms(n.start - nearest_sixteenth(n.start), s.bpm)) for n in new if is_ghost(n)]
    assert ghosts, "humanising the drums added no ghost notes (quiet snares, velocity < 60)"
    assert mean(off) > mean(on), (f"off-beat notes drift {mean(off):.2f} ms on average, on-beat notes {mean(on):.2f} ms: "
                                  f"off-beats should drift more (n={len(off)} off, {len(on)} on)")
    assert mean(ghosts) > mean(on), (f"ghost notes drift {mean(ghosts):.2f} ms on average, on-beat notes "
                                     f"{mean(on):.2f} ms: ghost notes should drift more (n={len(ghosts)} ghosts)")


# 2. velocity ---------------------------------------------------------------------------------
def pooled_voice_std(pairs, side: int) -> float:
    """The velocity spread within each drum voice, pooled over the voices (``side`` 0: before, 1: after)."""
    by_pitch: dict[int, list[int]] = {}
    for pair in pairs:
        by_pitch.setdefault(pair[0].pitch, []).append(pair[side].velocity)
    squares = sum(statistics.pvariance(v) * len(v) for v in by_pitch.values())
    return (squares / sum(len(v) for v in by_pitch.values())) ** 0.5


def test_humanising_spreads_the_velocities_of_each_drum_voice_within_midi_range():
    """Each note gets its own velocity: most change, the spread within each voice grows, every voice with
    a few notes takes several velocities, and all stay in 1..127."""
    s = make_session()
    before, after, pairs, _, _ = humanised(s, "humanize the drums", "drums")
    velocities = [n.velocity for n in after]
    assert all(isinstance(v, int) and 1 <= v <= 127 for v in velocities), \
        f"velocities out of 1..127: {sorted(set(v for v in velocities if not 1 <= v <= 127))}"
    changed = sum(b.velocity != a.velocity for b, a in pairs)
    assert changed >= 0.25 * len(pairs), (f"only {changed} of {len(pairs)} drum notes changed velocity: "
                                          "humanising gives each note its own velocity")
    was, now = pooled_voice_std(pairs, 0), pooled_voice_std(pairs, 1)
    assert now > was, f"the velocity spread within each drum voice fell from {was:.2f} to {now:.2f}: it should grow"
    for pitch in sorted({b.pitch for b, _ in pairs}):
        played = sorted({a.velocity for b, a in pairs if b.pitch == pitch})
        count = sum(b.pitch == pitch for b, _ in pairs)
        if count >= 8:
            assert len(played) >= 3, f"drum pitch {pitch}: {count} notes take only the velocities {played}"
    bpb = s.state.meta.beats_per_bar
    same_place: dict[tuple[int, float], list[int]] = {}  # one voice at one place in the bar
    for b, a in pairs:
        same_place.setdefault((b.pitch, position_in_bar(grid_position(b.start), bpb)), []).append(a.velocity - b.velocity)
    groups = [g for g in same_place.values() if len(g) >= 4]
    spread = (sum(statistics.pvariance(g) * len(g) for g in groups) / sum(len(g) for g in groups)) ** 0.5
    assert spread >= 2.0, (f"the velocity change is all but fixed for each voice and place in the bar (pooled std "
                           f"{spread:.2f} over {len(groups)} places): accents alone, no variation from note to note")


# 3. accents ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "stem_id", "pitches"), [
    ("humanize the drums", "drums", {CLOSED_HAT}),
    ("humanize the piano", "chords", None),
])
def test_accents_follow_the_meter(text, stem_id, pitches):
    """After humanising, the notes on beat 1 are at least as loud on average as the off-beats and the
    notes on the beat (and on the strong beats) louder than off it; and humanising itself accents that
    way: the velocity it adds (or takes) on the beat is more than off it."""
    s = make_session()
    _, _, pairs, _, _ = humanised(s, text, stem_id)
    pairs = [(b, a) for b, a in pairs if pitches is None or b.pitch in pitches]
    bpb = s.state.meta.beats_per_bar
    groups = velocities_by_position(pairs, bpb)
    sizes = {k: len(v) for k, v in groups.items()}
    assert groups["downbeat"] and groups["off"], f"{stem_id}: need notes on beat 1 and off the beat, have {sizes}"
    means = {k: round(mean(v), 2) for k, v in groups.items()}
    assert means["downbeat"] >= means["off"], f"{stem_id}: beat 1 is not louder than the off-beats: {means} ({sizes})"
    assert means["on"] > means["off"], f"{stem_id}: on-beat notes are not louder than off-beat ones: {means} ({sizes})"
    assert means["strong"] > means["off"], f"{stem_id}: strong beats are not louder than off-beats: {means} ({sizes})"
    change = velocities_by_position([(b, a._replace(velocity=a.velocity - b.velocity)) for b, a in pairs], bpb)
    added = {k: round(mean(v), 2) for k, v in change.items()}
    assert added["downbeat"] >= added["off"] and added["on"] > added["off"], (
        f"{stem_id}: humanising should accent the beat: mean velocity change by place {added} ({sizes})")


# 4. ghost notes --------------------------------------------------------------------------------
def test_humanised_drums_gain_ghost_notes_under_a_loud_backbeat():
    s = make_session()
    before, after, pairs, new, _ = humanised(s, "humanize the drums", "drums")
    ghosts = [n for n in new if is_ghost(n)]
    assert ghosts, (f"no new quiet snare (37/38/40, velocity < {GHOST_VELOCITY}) after humanising; "
                    f"new notes: {new[:8]}")
    bpb = s.state.meta.beats_per_bar
    backbeats = [a for b, a in pairs if b.pitch in SNARES and position_in_bar(grid_position(b.start), bpb) in (1.0, 3.0)]
    assert backbeats, "the rock beat has no backbeat snares to compare with"
    quiet = [a for a in backbeats if a.velocity <= BACKBEAT_VELOCITY]
    assert not quiet, (f"backbeat snares should stay above {BACKBEAT_VELOCITY}: {len(quiet)} of {len(backbeats)} "
                       f"did not, e.g. {quiet[:4]}")
    assert max(g.velocity for g in ghosts) < min(a.velocity for a in backbeats)
    snare_places = {round(grid_position(b.start), 4) for b, _ in pairs if b.pitch in SNARES}
    doubled = [g for g in ghosts if round(nearest_sixteenth(g.start), 4) in snare_places]
    assert not doubled, f"ghost notes should fall between the snare hits, not on them: {doubled[:4]}"


# 5. hats ---------------------------------------------------------------------------------------
def test_humanised_hats_play_a_velocity_pattern_louder_on_the_beat():
    """The closed hats are not one velocity: at least three, changed by humanising, on-beat hats louder."""
    s = make_session()
    _, _, pairs, _, _ = humanised(s, "humanize the drums", "drums")
    hats = [(b, a) for b, a in pairs if b.pitch == CLOSED_HAT]
    assert len(hats) >= 16, f"the rock beat has only {len(hats)} closed hats"
    distinct = sorted({a.velocity for _, a in hats})
    assert len(distinct) >= 3, f"closed hats take {len(distinct)} velocities {distinct}; at least 3 expected"
    changed = sum(b.velocity != a.velocity for b, a in hats)
    assert changed >= 0.25 * len(hats), f"humanising changed the velocity of only {changed} of {len(hats)} hats"
    groups = velocities_by_position(hats, s.state.meta.beats_per_bar)
    assert groups["on"] and groups["off"], f"need hats on and off the beat: {({k: len(v) for k, v in groups.items()})}"
    assert mean(groups["on"]) > mean(groups["off"]), (f"on-beat hats average {mean(groups['on']):.2f}, off-beat hats "
                                                      f"{mean(groups['off']):.2f}: on-beat should be louder")


# 6. seeded ------------------------------------------------------------------------------------
def _song_notes(s: Session):
    return [(stem.stem_id, stem.notes) for stem in s.state.stems]


def test_humanising_is_seeded_and_reproducible():
    """The same seed and commands give the same notes; another seed humanises the same beat differently."""
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("other", 4)):
        s = make_session(seed=seed)
        before = notes_of(s, "drums")
        s.command("humanize the drums")
        runs[name] = (s, before)
    (a, a_before), (b, _), (c, c_before) = runs["a"], runs["b"], runs["other"]
    assert _song_notes(a) == _song_notes(b), "two sessions with the same seed and commands came out different"

    def moves(s, before):  # how far humanising moved the note at each (pitch, grid position)
        pairs, _, _ = match(before, notes_of(s, "drums"), bpm=s.bpm)
        return {(x.pitch, round(grid_position(x.start), 4)): ms(y.start - x.start, s.bpm) for x, y in pairs}

    ma, mc = moves(a, a_before), moves(c, c_before)
    common = sorted(set(ma) & set(mc))
    assert len(common) >= 20, f"the two seeds' beats share only {len(common)} note places"
    differ = sum(abs(ma[k] - mc[k]) > 0.5 for k in common)
    assert differ >= 0.25 * len(common), (f"seeds 3 and 4 moved {len(common) - differ} of {len(common)} shared notes "
                                          f"alike (within 0.5 ms): the offsets should follow the seed")


# 7. amount --------------------------------------------------------------------------------------
def test_the_amount_of_humanising_is_a_parameter():
    """"a little" < plain < "a lot" in median |offset| from the grid, the same seed for all three."""
    medians, worst = {}, {}
    for text in ("humanize the drums a little", "humanize the drums", "humanize the drums a lot"):
        s = make_session(seed=3)
        _, _, pairs, new, _ = humanised(s, text, "drums")
        offsets = offsets_ms(pairs, bpm=s.bpm) + [ms(n.start - nearest_sixteenth(n.start), s.bpm) for n in new]
        medians[text], worst[text] = round(median_abs(offsets), 2), round(max(abs(o) for o in offsets), 2)
    little, plain, lot = medians.values()
    assert little < plain < lot, f"median |offset| (ms) should grow with the amount: {medians}"
    assert max(worst.values()) <= MAX_OFFSET_MS, f"even a lot stays within 30 ms of the grid: max |offset| {worst}"


# 8. quantize -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["quantize the drums", "quantise the drums", "put the drums back on the grid"])
def test_quantizing_puts_the_humanised_drums_back_on_their_grid(text):
    s = make_session()
    before = notes_of(s, "drums")
    others = {sid: s.state.stem(sid) for sid in ("chords", "bass")}
    s.command("humanize the drums")
    humanised_version = s.version
    s.command(text)
    assert s.version == humanised_version + 1, f"{text!r} made no version after humanising"
    after = notes_of(s, "drums")
    pairs, new, lost = match(before, after, bpm=s.bpm)
    assert not lost, f"{text!r} lost {len(lost)} drum notes, e.g. {lost[:4]}"
    off = [(b, a) for b, a in pairs if abs(a.start - grid_position(b.start)) > ON_GRID]
    assert not off, (f"{len(off)} of {len(pairs)} drum notes are not back on their grid position, e.g. "
                     + ", ".join(f"{a.pitch}@{a.start} (grid {grid_position(b.start)})" for b, a in off[:4]))
    stray = [n for n in new if abs(n.start - nearest_sixteenth(n.start)) > ON_GRID]
    assert not stray, f"notes added by humanising must be on the sixteenth grid after {text!r}: {stray[:4]}"
    for sid, stem in others.items():
        assert s.state.stem(sid) == stem, f"{text!r} changed the {sid}"


@pytest.mark.parametrize(("genre", "beat"), [("techno", "add a drum beat"), ("rock", "add a rock drum beat")])
def test_quantizing_a_part_never_humanised_changes_nothing_it_need_not(genre, beat):
    """On a fresh part, quantizing is refused as nothing to change, or changes nothing: every note already on
    its grid stays exactly as it was (one that the generator wrote a few ms off it may be put on it), no
    note is added or lost, and velocities stay."""
    s = make_session(genre=genre, setup=(beat, "add piano chords"))
    before, version = notes_of(s, "drums"), s.version
    try:
        s.command("quantize the drums")
    except (NothingToChange, CommandNotUnderstood) as exc:  # refused: nothing to put back on the grid
        assert s.version == version, f"the refusal ({exc}) still made a version"
        return
    after = notes_of(s, "drums")
    if after == before:
        return
    assert len(after) == len(before), f"quantizing a fresh part changed the note count {len(before)} -> {len(after)}"
    pairs, new, lost = match(before, after, bpm=s.bpm)
    assert not new and not lost, f"quantizing a fresh part added {new[:3]} / lost {lost[:3]}"
    for b, a in pairs:
        assert abs(a.start - grid_position(b.start)) <= ON_GRID, f"{b} was moved to {a.start}, off its grid"
        assert a.velocity == b.velocity, f"quantizing changed a velocity: {b} -> {a}"
        if b.start == grid_position(b.start):
            assert a == b, f"a note already on the grid was changed: {b} -> {a}"


# 9. only the named part --------------------------------------------------------------------------
def test_humanising_the_drums_touches_only_the_drums_and_keeps_the_song_length():
    s = make_session()
    state = s.state
    s.command("humanize the drums")
    new_state = s.state
    for sid in ("chords", "bass"):
        assert new_state.stem(sid) == state.stem(sid), f"humanising the drums changed the {sid}"
    meta, was = new_state.meta, state.meta
    assert (meta.bars, meta.bpm, meta.time_signature, meta.total_beats, meta.duration_s) == \
        (was.bars, was.bpm, was.time_signature, was.total_beats, was.duration_s), "humanising changed the song's length"
    total, bpb = meta.total_beats, meta.beats_per_bar
    drums = new_state.stem("drums").notes
    assert all(0 <= n.start < total for n in drums), \
        f"drum notes outside the song's {total:g} beats: {[n for n in drums if not 0 <= n.start < total][:4]}"
    pairs, _, _ = match(state.stem("drums").notes, drums, bpm=s.bpm)
    crossed = [(b, a) for b, a in pairs if int(a.start // bpb) != int(round(grid_position(b.start), 6) // bpb)
               and ms(abs(a.start - grid_position(b.start)), s.bpm) > MAX_OFFSET_MS]
    assert not crossed, f"notes moved across a bar line by more than 30 ms: {crossed[:4]}"


def test_humanising_the_piano_touches_only_the_piano_and_adds_no_notes():
    s = make_session()
    state = s.state
    before, after, pairs, new, lost = humanised(s, "humanize the piano", "chords")
    for sid in ("drums", "bass"):
        assert s.state.stem(sid) == state.stem(sid), f"humanising the piano changed the {sid}"
    assert not new and not lost, (f"humanising the piano should keep its notes, no ghost notes: "
                                  f"{len(new)} new (e.g. {new[:3]}), {len(lost)} lost (e.g. {lost[:3]})")
    assert sorted(n.pitch for n in after) == sorted(n.pitch for n in before)
    changed = sum(b.velocity != a.velocity for b, a in pairs)
    assert changed >= 0.25 * len(pairs), f"only {changed} of {len(pairs)} piano notes changed velocity"
    assert s.state.meta.bars == state.meta.bars


# 10. phrasings -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "stem_id"), [
    ("make the drums feel played", "drums"),
    ("make the drums sound like a live drummer", "drums"),
    ("humanise the drums", "drums"),
    ("humanise the bass", "bass"),
    ("make the bass feel like a live player", "bass"),
    ("humanize the piano", "chords"),
])
def test_each_phrasing_humanises_the_part_it_names(text, stem_id):
    s = make_session()
    state = s.state
    _, _, pairs, new, lost = humanised(s, text, stem_id)
    assert not lost, f"{text!r} lost {len(lost)} notes of the {stem_id}"
    offsets = offsets_ms(pairs, bpm=s.bpm)
    med, worst = median_abs(offsets), max(abs(o) for o in offsets)
    assert 2.0 <= med <= 20.0, f"{text!r}: median |offset| {med:.2f} ms on the {stem_id}, expected 2-20 ({describe(offsets)})"
    assert worst <= MAX_OFFSET_MS, f"{text!r}: a note of the {stem_id} sits {worst:.2f} ms off the grid"
    assert median_abs(moves_ms(pairs, bpm=s.bpm)) >= 1.0, f"{text!r} did not move the {stem_id}'s notes"
    on_beat = [(b, a) for b, a in pairs if abs(grid_position(b.start) - round(grid_position(b.start))) < 1e-6]
    assert median_abs(moves_ms(on_beat, bpm=s.bpm)) >= 1.0, (
        f"{text!r} left the {stem_id}'s notes on the beat where they were ({describe(moves_ms(on_beat, bpm=s.bpm), 2)}): "
        "humanising moves every note a little, it is not swing")
    for other in state.stems:
        if other.stem_id != stem_id:
            assert s.state.stem(other.stem_id) == other, f"{text!r} changed the {other.stem_id} too"


# 11. genre feel -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("laid_back", "on_top"), [("lo-fi", "rock"), ("hip-hop", "techno")])
def test_the_genre_sets_a_push_or_a_lay_back(laid_back, on_top):
    """The same commands and seed in two genres: the drums of the one that lays back come out later on
    average (mean signed offset from the grid) than those of the one that pushes or sits on the beat."""
    feel = {}
    for genre in (laid_back, on_top):
        s = make_session(genre=genre, bpm=95, setup=("add a drum beat",))
        _, _, pairs, _, _ = humanised(s, "humanize the drums", "drums")
        offsets = offsets_ms(pairs, bpm=s.bpm)
        assert len(offsets) >= 40, f"{genre}: only {len(offsets)} drum notes to measure"
        assert median_abs(offsets) >= 1.0, f"{genre}: the drums were not humanised ({describe(offsets)})"
        feel[genre] = round(mean(offsets), 2)
    assert feel[laid_back] > feel[on_top], (f"mean signed offset (ms, + is late): {feel}; {laid_back} should sit "
                                            f"behind {on_top}")
