"""The rule parser: text -> plan, for the language people use in a studio.

One :class:`RuleParser` (a :class:`~orchestria_lab.language.plan.Planner`) reads each
clause's frame and fills the slots of the first rule that fits: history, session-wide
changes (tempo, key, length, meter, genre), new parts, effects, removing and muting,
levels and panning, instruments, part settings (regenerate, octave, density, swing,
feel, fills, drum voices, style) and sound adjectives.

>>> from orchestria_lab.state import Meta, State
>>> from orchestria_lab.language.plan import PlanContext, validate_plan
>>> ctx = PlanContext(State(Meta(bpm=90, key="Cm", genre="lo-fi", seed=7)))
>>> [a.describe() for a in RuleParser().plan("Add warm piano chords with reverb", ctx)]
['harmony.add(chords, instrument=piano, role=chords)', 'sound.shape(chords, adjective=warm)', 'effects.add(chords, effect=reverb)']
>>> [a.describe() for a in RuleParser().plan("bump it to 128 and set it in F# minor", ctx)]
['arrange.tempo(bpm=128)', 'arrange.key(key=F#m)']
"""

from __future__ import annotations

import re

from orchestria_lab.agents.base import Action
from orchestria_lab.agents.context import GENERATOR_FOR_ROLE
from orchestria_lab.errors import CommandNotUnderstood, InvalidValue
from orchestria_lab.language import chord_text, form_text, limits, negation, polarity, scopes, takes
from orchestria_lab.language.frames import Frame, frames
from orchestria_lab.language.plan import PlanContext, validate_plan
from orchestria_lab.language.rules import Planning
from orchestria_lab.language.slots import label, matches
from orchestria_lab.language.suggest import suggest
from orchestria_lab.language.targets import INSTRUMENT_ROLE, Unclear
from orchestria_lab.language.tokens import MAX_TEXT, tag
from orchestria_lab.music.scope import Scope


class RuleParser:
    """The built-in planner: a lexicon, a clause splitter and slot-filling rules."""

    def plan(self, text: str, context: PlanContext) -> list[Action]:
        if not isinstance(text, str):
            raise CommandNotUnderstood(repr(text)[:80], reason="a command is a piece of text", suggestions=suggest(""))
        if not text.strip():
            raise CommandNotUnderstood(text, reason="the command is empty; say what you would like to hear",
                                       suggestions=suggest(""))
        if len(text) > MAX_TEXT:
            raise CommandNotUnderstood(text[:80] + "...", reason=f"a command is at most {MAX_TEXT} characters",
                                       suggestions=suggest(text[:200]))
        if _is_question(text):
            raise CommandNotUnderstood(text, reason="that reads as a question, and I carry out changes to the music",
                                       suggestions=suggest(text))
        if (pick := takes.choice(text)) is not None:  # "take the second one": a candidate of the variations
            return [Action("takes", "choose", params={"candidate": pick})]
        if renamed := scopes.rename(text):  # "rename the bridge to breakdown"
            return _checked(text, [Action("arrange", "rename_section", params={"name": renamed[0], "to": renamed[1]})],
                            context)
        try:  # the song's form: "arrange it as intro, verse, chorus", "add a 4 bar intro", "repeat the chorus"
            form = form_text.read(text, context.state)
        except InvalidValue as exc:
            raise CommandNotUnderstood(text, reason=exc.message, suggestions=suggest(text)) from None
        except Unclear as exc:
            raise CommandNotUnderstood(text, reason=exc.reason, suggestions=exc.suggestions or suggest(text)) from None
        if form is not None:
            return _checked(text, form, context)
        try:  # chords written out ("play Am F C G") are taken out first: their letters are no keys
            written, progressions = chord_text.find(text, beats_per_bar=context.state.meta.beats_per_bar)
        except InvalidValue as exc:
            raise CommandNotUnderstood(text, reason=f"{exc.message} (in '{text}')",
                                       suggestions=["play Am F C G", "play ii V I, two bars each"]) from None
        scoped, refs = scopes.find(written, known=[s.name for s in context.state.meta.sections])
        clauses = frames(scoped)
        if (count := takes.wanted(clauses)) is not None:  # "give me 4 variations of the melody"
            return _variations(text, count, clauses, context, _scopes(text, refs, clauses, context))
        limit = limits.check(clauses)  # understood, and not something the orchestra does yet
        if any(r.defines for r in refs) and not limit:  # "make bars 9 to 16 the chorus"
            return _checked(text, _definitions(text, refs, clauses, context), context)
        where = _scopes(text, refs, clauses, context)  # a section the song lacks is said first
        if limit:
            raise CommandNotUnderstood(text, reason=limit[0], understood=_understood(clauses),
                                       suggestions=limit[1] or suggest(text))
        try:
            history = _history(clauses, context)
        except Unclear as exc:
            raise CommandNotUnderstood(text, reason=exc.reason, understood=_understood(clauses),
                                       suggestions=exc.suggestions) from None
        if history is not None:
            return [history]
        planning = Planning(context, scopes=where, progressions=progressions)
        protecting = [negation.protects(frame) for frame in clauses]
        for frame, protects in zip(clauses, protecting, strict=True):  # it holds for the whole command
            if protects:
                planning.protect(frame)
        unclear: list[str] = []
        complained: list[Action] = []  # what the last clause made, when it only said how a part is
        for frame, protects in zip(clauses, protecting, strict=True):
            try:
                if protects:
                    continue
                if negation.refrains(frame):
                    planning.refrain(frame)
                    continue
                start = len(planning.actions)
                if not planning.clause(frame) and not planning.withheld:
                    unclear.append(_what(frame))
                made = planning.actions[start:]
                if complained and _same_moves(complained, made):  # "too high, bring it down an octave": once
                    planning.actions = [a for a in planning.actions if not any(a is c for c in complained)]
                complained = made if polarity.describes(frame) else []
            except Unclear as exc:
                raise CommandNotUnderstood(text, reason=exc.reason, understood=_understood(clauses),
                                           suggestions=exc.suggestions or suggest(text)) from None
        if not planning.actions:
            reason = unclear[0] if unclear else "I found nothing to do in it"
            if planning.withheld or planning.protected:
                left = ", ".join(sorted(planning.protected)) or "those parts"
                reason = f"you asked me to leave {left} as it is, and that is all this command would change"
            raise CommandNotUnderstood(text, reason=reason, understood=_understood(clauses), suggestions=suggest(text))
        if unclear and any(u.startswith("I don't know") for u in unclear):
            raise CommandNotUnderstood(text, reason=unclear[0], understood=_understood(clauses), suggestions=suggest(text))
        if where and not any(a.scope for a in planning.actions) and not planning.placed:
            raise CommandNotUnderstood(text, reason=f"I could not tell what should happen in {where[0].describe()}",
                                       understood=_understood(clauses), suggestions=suggest(text))
        try:  # a value out of range ("3 bpm") is understood, and refused with its valid range
            return validate_plan(planning.actions, context.state)
        except InvalidValue as exc:
            scoped_action = next((a for a in planning.actions if a.scope and str(exc.details.get("field", "")).endswith("scope")), None)
            reason = exc.message if scoped_action is None else (
                f"{scoped_action.describe()} cannot be limited to {scoped_action.scope.describe()} yet, and I will not "
                "change the whole song instead; leave out the bars to change all of it")
            raise CommandNotUnderstood(text, reason=reason, understood=_understood(clauses),
                                       suggestions=suggest(text)) from None


def _variations(text: str, count: int, clauses: list[Frame], context: PlanContext, where: list[Scope]) -> list[Action]:
    """``takes.variations(count)`` and the regenerate actions of the parts the command names (or the
    part last touched): each take is another seed of the same regenerate."""
    if not takes.MIN_TAKES <= count <= takes.MAX_TAKES:
        raise CommandNotUnderstood(text, reason=f"a variations command makes from {takes.MIN_TAKES} to "
                                   f"{takes.MAX_TAKES} takes to choose from" + (f", not {count}" if count >= 0 else ""),
                                   understood=_understood(clauses), suggestions=["give me 4 variations of the melody"])
    planning = Planning(context, scopes=where)
    named = [f for f in clauses if f.stems] or clauses[:1]
    try:
        ids = [i for f in named for i in planning.targets(f, default="touched")]
    except Unclear as exc:
        raise CommandNotUnderstood(text, reason=exc.reason, understood=_understood(clauses),
                                   suggestions=exc.suggestions or suggest(text)) from None
    made = [i for i in dict.fromkeys(ids) if planning.index.get(i).agent in GENERATOR_FOR_ROLE.values()]
    if not made:
        have = ", ".join(f"{e.stem_id} ({e.agent})" for e in planning.index.entries) or "none yet"
        raise CommandNotUnderstood(text, reason="variations are new takes of a part the agents write (chords, "
                                   f"melody, bass, drums); name one of those (stems: {have})",
                                   understood=_understood(clauses), suggestions=["give me 4 variations of the melody"])
    scope = where[0] if where else None
    plan = [Action("takes", "variations", params={"count": count}),
            *(Action(planning.index.get(i).agent, "regenerate", i, scope=scope) for i in made)]
    try:
        return validate_plan(plan, context.state)
    except InvalidValue as exc:
        raise CommandNotUnderstood(text, reason=exc.message, understood=_understood(clauses),
                                   suggestions=suggest(text)) from None


def _same_moves(complaint: list[Action], request: list[Action]) -> bool:
    """Whether a request does to the same parts what the complaint before it did: then the complaint
    was its reason, and only the request is carried out."""
    asked = {(a.agent, a.intent, a.target) for a in request}
    return bool(asked) and {(a.agent, a.intent, a.target) for a in complaint} <= asked


def _history(clauses: list[Frame], context: PlanContext) -> Action | None:
    """undo / redo / go back to version N, when that is all the command says."""
    tokens = [t for f in clauses for t in f.tokens]
    kinds = {t.value for t in tokens if t.kind == "history"}
    going = "goto" in kinds or any(t.kind == "history" and t.text in ("undo", "go back", "revert") for t in tokens)
    if "before" in kinds and going and (before := _before(clauses, context)):
        return before  # "go back to before the drums"
    if any(t.kind == "history" and t.text in _REGRETS for t in tokens) and not kinds & {"redo", "goto", "start"}:
        return Action("history", "undo")  # "the bass was better before"
    if any(t.kind in ("role", "instrument", "effect", "voice") for t in tokens):
        return None
    versions = [t.value for t in tokens if t.kind == "version"]
    numbers = [t.value[0] for t in tokens if t.kind == "number" and t.value[1] in ("", "x")]
    numbers += [2.0 for t in tokens if t.text == "twice"]  # "undo twice"
    undoing = any(t.kind == "history" and t.value == "undo" for t in tokens)
    if undoing and numbers and not versions and 1 <= numbers[0] <= 50 and float(numbers[0]).is_integer():
        return Action("history", "undo", params={"steps": int(numbers[0])})  # "go back two versions"
    wants_version = any(t.kind == "history" and t.value == "goto" for t in tokens) or any(
        t.kind == "meta" and t.value == "version" for t in tokens)
    if versions or (wants_version and numbers):
        number = versions[0] if versions else numbers[0]
        if float(number).is_integer() and number >= 0:
            return Action("history", "goto", params={"version": int(number)})
    if "start" in kinds and not (kinds & {"undo", "redo"} and "goto" not in kinds):
        return Action("history", "goto", params={"version": 0})  # "go back to the original": where it began
    if any(t.kind == "verb" and t.text == "redo" for t in tokens):
        kinds.add("redo")  # "redo" with no part named: history, not "regenerate"
    if ("undo" in kinds or ("before" in kinds and going)) and "redo" not in kinds:
        return Action("history", "undo")  # "undo", "go back to before"
    if "redo" in kinds:
        return Action("history", "redo")
    return None


#: Regrets about the last change, whatever part they name ("the bass was better before").
_REGRETS = ("better before", "it was better", "was better", "liked it better")

#: Words that open a question rather than a request ("what key is this in?", "how do I export?");
#: "how about more reverb" and "what if we add strings" are requests.
_QUESTION_WORDS = ("what", "whats", "what's", "how", "hows", "how's", "who", "whos", "who's", "when", "which", "whose")
_OPENERS = ("hey", "ok", "okay", "so", "um", "uh", "hmm", "and", "but", "yo", "wait", "also")


def _is_question(text: str) -> bool:
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if w not in _OPENERS]
    return bool(words) and words[0] in _QUESTION_WORDS and (len(words) < 2 or words[1] not in ("about", "if", "bout"))


def _before(clauses: list[Frame], context: PlanContext) -> Action | None:
    """The version just before the one that brought in the part named, or ``None``."""
    named = [m for f in clauses for m in f.stems if m.role or m.instrument]
    if not named:
        return None
    version = context.find_added(lambda s, m=named[0]: matches(s, m) or (
        bool(m.instrument) and not m.role and s.role == INSTRUMENT_ROLE.get(m.instrument)))
    if version is None:
        raise Unclear(f"no version in this session brought in the {label(named[0])}",
                      ["undo", "go back to version 1"])
    return Action("history", "goto", params={"version": version - 1})


def _scopes(text: str, refs: list[scopes.TimeRef], clauses: list[Frame], context: PlanContext) -> list[Scope]:
    """The command's time scopes made absolute (a section becomes its bars); a section the song
    does not have, or bars outside it, is refused."""
    meta = context.state.meta
    sections = [r for r in refs if r.kind == "section"]
    if sections and not meta.sections:
        named = sections[0].resolve(bars=meta.bars).describe()
        raise CommandNotUnderstood(
            text, reason=f"this song has no sections yet, so there is no {named.removeprefix('the ')} to change; "
                         "name some first (\"make bars 9 to 16 the chorus\") or say which bars (\"in bars 9 to 16\")",
            understood=_understood(clauses), suggestions=suggest(text))
    try:
        return [r.resolve(bars=meta.bars, sections=meta.sections).check(total=meta.bars) for r in refs]
    except InvalidValue as exc:
        raise CommandNotUnderstood(text, reason=exc.message, understood=_understood(clauses),
                                   suggestions=suggest(text)) from None


def _definitions(text: str, refs: list[scopes.TimeRef], clauses: list[Frame], context: PlanContext) -> list[Action]:
    """ "make bars 9 to 16 the chorus", "call the first 4 bars the intro": each named range becomes a
    section; a name with no bars, or anything else asked in the same command, is refused."""
    meta, out = context.state.meta, []
    asked = [t for f in clauses for t in f.tokens if t.kind not in ("scope", "det", "filler", "prep", "sep") and not (
        t.kind == "verb" and t.value in ("set", "make", "turn", "replace"))]
    named = {"call", "name", "label", "mark"}
    asked = [t for t in asked if t.text not in named]
    order = [t.value for f in clauses for t in f.tokens if t.kind == "scope"]  # the scopes in the order said
    for i, k in enumerate(order):
        ref = refs[k]
        if not ref.defines:
            continue
        bars = next((refs[j] for j in reversed(order[:i]) if not refs[j].defines and refs[j].kind != "section"), None)
        if bars is None or asked:
            raise CommandNotUnderstood(
                text, reason=f"I can name bars as a section ({ref.defines}) in a command of its own, with the bars "
                             "said; laying out a whole form comes later", understood=_understood(clauses),
                suggestions=[f"make bars 1 to {min(8, meta.bars)} the {ref.defines}"])
        try:
            first, last = bars.resolve(bars=meta.bars).check(total=meta.bars).bars(total=meta.bars)
        except InvalidValue as exc:
            raise CommandNotUnderstood(text, reason=exc.message, understood=_understood(clauses)) from None
        out.append(Action("arrange", "section", params={"name": ref.defines, "first_bar": first, "last_bar": last}))
    return out


def _checked(text: str, plan: list[Action], context: PlanContext) -> list[Action]:
    try:
        return validate_plan(plan, context.state)
    except InvalidValue as exc:
        raise CommandNotUnderstood(text, reason=exc.message) from None


def _understood(clauses: list[Frame]) -> list[str]:
    return [d for f in clauses for d in f.describe()][:8]


def _what(frame: Frame) -> str:
    unknown = [t.text for t in frame.tokens if t.kind == "word"]
    known = [t for t in frame.tokens if t.kind not in ("word", "filler", "det", "prep")]
    if unknown and not known:
        return f"I don't know the words {', '.join(repr(u) for u in unknown[:4])}"
    if unknown:
        return f"I could not tell what to do with {', '.join(repr(u) for u in unknown[:4])}"
    if frame.verb:
        return f"I understood the action ({frame.verb}) but not what it should apply to"
    return "I could not tell what to do"


def parse(text: str, state, *, last_touched: tuple[str, ...] = ()) -> list[Action]:
    """Shorthand: the plan :class:`RuleParser` makes for ``text`` on ``state``."""
    return RuleParser().plan(text, PlanContext(state, last_touched=last_touched))


__all__ = ["RuleParser", "parse", "tag"]
