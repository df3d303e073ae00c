"""Commands about the song's form, read before the clause grammar: a layout of sections ("arrange
it as intro, verse, chorus, verse, chorus, outro"), a new section ("add a 4 bar intro", "add a
bridge after the second chorus"), a repeat ("repeat the chorus"), and bars inserted or moved
("insert 4 bars after bar 8", "move bars 5 to 8 to the end").

Each is a pattern over the words, built from the section names of
:data:`~orchestria_lab.language.scopes.SECTIONS` and the phrases below; :func:`read` gives the
arrange actions, or None when the command is about something else.

>>> from orchestria_lab.state import Meta, State
>>> state = State(Meta(bpm=90, key="Cm", genre="lo-fi", bars=16))
>>> [a.describe() for a in read("arrange it as intro, verse, chorus, verse, chorus, outro", state)]
["arrange.form(sections=('intro', 'verse', 'chorus', 'verse', 'chorus', 'outro'))"]
>>> [a.describe() for a in read("add a 4 bar intro", state)]
['arrange.insert_section(bars=4, name=intro)']
>>> read("make the verse and the chorus louder", state) is None
True
"""

from __future__ import annotations

import re

from orchestria_lab.agents.base import Action
from orchestria_lab.errors import InvalidValue
from orchestria_lab.language.lexicon import NUMBER_WORDS
from orchestria_lab.language.scopes import SECTIONS
from orchestria_lab.music.form import find_section
from orchestria_lab.state import State

_SPELLING = {spelling: name for name, spellings in SECTIONS.items() for spelling in spellings}
_NAME = "|".join(sorted((re.escape(s) for s in _SPELLING), key=len, reverse=True))
_NUM = r"\d+|" + "|".join(sorted((w for w in NUMBER_WORDS if w.isalpha()), key=len, reverse=True))
#: A section in a layout, with an optional length before or after it ("a 4 bar intro", "chorus (8)").
_ITEM = (rf"(?:(?P<n>{_NUM})[ -]bars?\s+)?(?P<name>{_NAME})(?:\s*\((?P<m>\d+)(?:\s*bars?)?\)|\s+of\s+(?P<k>{_NUM})\s+bars"
         rf"|\s*:\s*(?P<c>\d+)(?:\s*bars?)?)?")
_JOIN = r"(?:\s*(?:,|->|→|-|/|\+|\band then\b|\bthen\b|\band\b|\bthen a\b)\s*|\s+)(?:(?:a|an|the|another)\s+)?"
#: Words before a run of section names that make it a layout, not a list of parts to change.
_LAYOUT_CUES = ("as", "arrange", "arranged", "arrangement", "structure", "form", "with", "it", "song", "into",
                "like", "layout", "lay", "out", ":", "is")
_ADDING = r"(?:add|insert|put in|put|give it|give me|tack on|throw in|stick in|include|write|append|prepend)"
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
            "last": -1, "final": -1}
_ORD = "|".join(_ORDINAL)
_WHERE = (rf"(?:(?P<rel>after|before)\s+(?:the\s+)?(?:(?P<ord>{_ORD})\s+)?(?P<ref>{_NAME})"
          rf"|(?P<end>at the end|to the end|at the start|at the beginning|at the front|to the start)"
          rf"|(?P<barrel>after|before)\s+bar\s+(?P<bar>\d+))")
#: Verbs that put a new section in; "start with" and "end with" say where.
_START = r"(?:start|open|begin|kick\s+off)\s+(?:it\s+|the\s+song\s+|the\s+track\s+)?with"
_END = r"(?:end|finish|close|wrap\s+up)\s+(?:it\s+|the\s+song\s+|the\s+track\s+)?with"
_VERB = rf"(?P<verb>{_START}|{_END}|{_ADDING}|give\s+(?:it|the\s+song|the\s+track|me))"
#: The parts a section word may carry ("a drum intro"), and the role each means.
PART_WORDS = {"drum": "drums", "drums": "drums", "beat": "drums", "piano": "chords", "keys": "chords",
              "chords": "chords", "bass": "bass", "pad": "pad", "melody": "melody"}
_PART = "|".join(PART_WORDS)
_AGAIN = ("another", "one more", "a second", "a third", "a fourth")
_ITEM_NEW = (rf"(?:(?P<det>an?|another|one\s+more|a\s+second|a\s+third|a\s+fourth|the)\s+)?(?:new\s+)?"
             rf"(?:(?P<n>{_NUM})[ -]bars?\s+)?(?:(?P<part>{_PART})\s+)?(?P<name>{_NAME})(?:\s+(?:section|part))?"
             rf"(?:\s+of\s+(?P<k>{_NUM})\s+bars)?")
_WHERE_NEW = _WHERE.replace("(?P<rel>after|before)", "(?P<rel>after|before|between)")
_INSERT = re.compile(rf"^\s*(?:please\s+)?{_VERB}\s+(?P<items>.+?)(?:\s+{_WHERE_NEW}(?:\s+and\s+the\s+(?:{_NAME}))?)?"
                     rf"(?:\s*,?\s+(?:with|where|that\s+has|featuring)\s+(?P<with>[^.!]+))?\s*[.!]?\s*$")
_SPLIT = re.compile(rf"\s*,?\s+and\s+(?=(?:(?:an?|another|one\s+more|a\s+second|the)\s+)?(?:new\s+)?"
                    rf"(?:(?:{_NUM})[ -]bars?\s+)?(?:(?:{_PART})\s+)?(?:{_NAME})\b)")
_REPEAT = re.compile(rf"^\s*(?:please\s+)?(?:repeat|play|double)\s+the\s+(?:(?P<ord>{_ORD})\s+)?(?P<name>{_NAME})"
                     rf"(?:\s+(?:again|twice|once more))?\s*[.!]?\s*$")
_INSERT_BARS = re.compile(rf"^\s*(?:please\s+)?(?:insert|add|put in)\s+(?P<n>{_NUM})\s+(?:more\s+|extra\s+|new\s+)?"
                          rf"bars?\s+{_WHERE}\s*[.!]?\s*$")
_MOVE = re.compile(rf"^\s*(?:please\s+)?(?:move|put|shift)\s+bars?\s+(?P<a>\d+)\s*(?:-|to|through|and|–)\s*(?P<b>\d+)"
                   rf"\s+(?:to\s+)?{_WHERE.replace('(?P<end>at the end', '(?P<end>the end|the start|at the end')}"
                   rf"\s*[.!]?\s*$")
_SWAP = re.compile(rf"^\s*(?:please\s+)?(?:swap|switch|flip|exchange)\s+(?:round\s+|around\s+)?the\s+(?:(?P<o1>{_ORD})\s+)?"
                   rf"(?P<a>{_NAME})\s+(?:and|with)\s+the\s+(?:(?P<o2>{_ORD})\s+)?(?P<b>{_NAME})(?:\s+around|\s+round)?"
                   rf"\s*[.!]?\s*$")
_LENGTH = re.compile(rf"\b(?:about|around|roughly|approximately)?\s*(?P<n>\d+(?:\.\d+)?|{_NUM}|a|half a)\s+"
                     rf"(?P<unit>minutes?|mins?|seconds?|secs?|bars?)\b(?:\s+and a half)?")


def read(text: str, state: State) -> list[Action] | None:
    """The arrange actions a form command asks for, or None when ``text`` is not one."""
    low = re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()
    for reader in (_insert_bars, _move, _swap, _insert, _repeat, _layout):
        actions = reader(low, state)
        if actions is not None:
            return actions
    return None


def _number(word: str | None) -> int:
    if not word:
        return 0
    value = float(word) if word[0].isdigit() else float(NUMBER_WORDS[word])
    if not value.is_integer() or value < 1:
        raise InvalidValue("bars", word, "a whole number of bars from 1")
    return int(value)


def _position(m: re.Match, state: State, *, default: int) -> int:
    """The bar a ``_WHERE`` match puts new bars before."""
    meta = state.meta
    if m.groupdict().get("ref"):
        found = find_section(meta.sections, _SPELLING[m.group("ref")], ordinal=_ORDINAL.get(m.group("ord") or "", 0))
        return found.last_bar + 1 if m.group("rel") in ("after", "between") else found.start_bar
    if m.groupdict().get("end"):
        return 0 if "end" in m.group("end") else 1  # 0: the end, when the action runs
    if m.groupdict().get("bar"):
        bar = int(m.group("bar"))
        if not 1 <= bar <= meta.bars:
            raise InvalidValue("bar", bar, f"a bar of the song (1 to {meta.bars})")
        return bar + 1 if m.group("barrel") == "after" else bar
    return default


def _insert(text: str, state: State) -> list[Action] | None:
    """ "add a 4 bar intro", "start with a 2 bar drum intro", "end it with an outro with just the piano",
    "add another chorus at the end", "add a 4 bar intro and a 4 bar outro", "put a breakdown between the
    verse and the chorus"."""
    m = _INSERT.match(text)
    if not m:
        return None
    items = [re.fullmatch(_ITEM_NEW, part.strip()) for part in _SPLIT.split(m.group("items"))]
    if not items or any(i is None for i in items) or not items[0].group("det"):
        return None
    verb = m.group("verb")
    only = _roles(m.group("with") or "")
    again_all = (items[0].group("det") or "").replace("  ", " ") in _AGAIN
    out = []
    for k, item in enumerate(items):
        name = _SPELLING[item.group("name")]
        params: dict = {"name": name}
        if bars := _number(item.group("n") or item.group("k")):
            params["bars"] = bars
        roles = [PART_WORDS[item.group("part")]] if item.group("part") else only
        if roles:
            params["roles"] = roles
        det = re.sub(r"\s+", " ", item.group("det") or "")
        if (det in _AGAIN or (again_all and not det)) and any(
                re.sub(r" \d+$", "", s.name) == name for s in state.meta.sections):
            params["again"] = True  # "another chorus": the chorus again, note for note
        if re.match(_START, verb):
            params["to_bar"] = 1
        elif re.match(_END, verb):
            params["to_bar"] = 0
        elif k == 0 and (m.group("rel") or m.group("end") or m.group("bar")):
            params["to_bar"] = _position(m, state, default=0)
        out.append(Action("arrange", "insert_section", params=params))
    return out


def _roles(said: str) -> list[str]:
    """The parts a section is said to hold ("with just the piano", "with only the chords and the bass")."""
    from orchestria_lab.language.tokens import tag
    from orchestria_lab.music.vocabulary import INSTRUMENT_ROLE

    roles = []
    for t in tag(said):
        role = t.value if t.kind == "role" else INSTRUMENT_ROLE.get(t.value) if t.kind == "instrument" else None
        role = {"keys": "chords"}.get(role, role)
        if role and role not in roles:
            roles.append(role)
    return roles


def _repeat(text: str, state: State) -> list[Action] | None:
    m = _REPEAT.match(text)
    if not m or not state.meta.sections:
        return None
    found = find_section(state.meta.sections, _SPELLING[m.group("name")], ordinal=_ORDINAL.get(m.group("ord") or "", 0))
    return [Action("arrange", "repeat_section", params={"name": found.name})]


def _insert_bars(text: str, state: State) -> list[Action] | None:
    m = _INSERT_BARS.match(text)
    if not m:
        return None
    return [Action("arrange", "insert_bars", params={"bars": _number(m.group("n")),
                                                      "to_bar": _position(m, state, default=state.meta.bars + 1)})]


def _move(text: str, state: State) -> list[Action] | None:
    m = _MOVE.match(text)
    if not m:
        return None
    return [Action("arrange", "move_bars", params={"first_bar": int(m.group("a")), "last_bar": int(m.group("b")),
                                                    "to_bar": _position(m, state, default=state.meta.bars + 1)})]


def _swap(text: str, state: State) -> list[Action] | None:
    """ "swap the verse and the chorus": the earlier of two neighbouring sections moved after the later."""
    m = _SWAP.match(text)
    if not m:
        return None
    sections = state.meta.sections
    a = find_section(sections, _SPELLING[m.group("a")], ordinal=_ORDINAL.get(m.group("o1") or "", 0))
    b = find_section(sections, _SPELLING[m.group("b")], ordinal=_ORDINAL.get(m.group("o2") or "", 0))
    first, second = sorted((a, b), key=lambda s: s.start_bar)
    if second.start_bar != first.last_bar + 1:
        raise InvalidValue("sections", f"{first.describe()} and {second.describe()}",
                           "two sections next to each other (move bars to reorder others)")
    return [Action("arrange", "move_bars", params={"first_bar": first.start_bar, "last_bar": first.last_bar,
                                                    "to_bar": second.last_bar + 1})]


def _layout(text: str, state: State) -> list[Action] | None:
    """A run of two or more section names after a layout cue (three or more need none)."""
    unnamed = re.sub(r"\?P<\w+>", "?:", _ITEM)
    run = re.compile(rf"{_ITEM}(?:{_JOIN}{unnamed})+")
    for found in run.finditer(text):
        items = list(re.finditer(_ITEM, found.group(0)))
        before = text[:found.start()].split()
        cue = any(w.strip(",:") in _LAYOUT_CUES for w in before[-3:]) and (not before or before[-1] != "the")
        if len(items) < 2 or (len(items) < 3 and not cue):
            continue
        sections = []
        for item in items:
            bars = _number(item.group("n") or item.group("m") or item.group("k") or item.group("c"))
            sections.append(_SPELLING[item.group("name")] + (f":{bars}" if bars else ""))
        params: dict = {"sections": sections}
        rest = text[:found.start()] + " " + text[found.end():]
        if length := _LENGTH.search(rest):
            params["bars"] = _bars(length, state)
        return [Action("arrange", "form", params=params)]
    return None


def _bars(m: re.Match, state: State) -> int:
    """A length said with the form ("3 minutes", "64 bars"), in bars (time: whole 4-bar phrases)."""
    from orchestria_lab.language.rules import phrases

    word = m.group("n")
    amount = 0.5 if word == "half a" else 1.0 if word == "a" else float(word) if word[0].isdigit() else float(NUMBER_WORDS[word])
    if m.group(0).endswith("and a half"):
        amount += 0.5
    unit = m.group("unit")
    if unit.startswith("bar"):
        return int(amount)
    seconds = amount * (60 if unit.startswith("min") else 1)
    return phrases(seconds, state.meta)


__all__ = ["read"]
