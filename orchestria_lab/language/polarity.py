"""Direction, decided once: does a clause ask for more of what its words name, or less?

Every directional word has a pole: "bright" and "harsh" both name brightness (harsh is too
much of it), "dull" names its lack, "loud" names level, "busy" density. A clause asks
*toward* its word ("make the chords brighter", "more reverb", "not bright enough", "the pad
lacks warmth") or *away* from it ("too bright", "less harsh", "not so loud", and a
complaint: a part named, then what it is like: "the keys sound dull", "the kit is
harsh", "the bass is quiet"). The rules read :func:`away`; no word decides it alone. ("less"
is the direction itself, read with the word it modifies: "less harsh" is away from harsh,
"less drums" is the drums quieter.)

>>> from orchestria_lab.language.frames import frames
>>> [away(f) for f in frames("the keys sound dull")], [away(f) for f in frames("the kit is far too harsh")]
([True], [True])
>>> [away(f) for f in frames("make the chords brighter")], [away(f) for f in frames("the pad is not bright enough")]
([False], [False])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestria_lab.language.tokens import Token

if TYPE_CHECKING:
    from orchestria_lab.language.frames import Frame

#: Token kinds that turn a clause away from its word.
AWAY_KINDS = ("too", "neg")
#: Words that ask toward the word after them whatever else the clause says ("lacks warmth").
TOWARD_WORDS = ("lacks", "lacking", "lack", "missing", "needs more", "could use", "wants more")
#: Verbs that link a part to what it is like: with one, a clause describes (complains), it does not ask.
COPULAS = ("sound", "sounds", "seem", "seems", "feel", "feels", "get", "gets", "getting", "is", "are", "was", "sits",
           "sitting",
           "were", "be")
#: Token kinds that name how a part is: what a complaint is about.
QUALITIES = ("adj", "density", "swing")
#: Bare level and tempo words the lexicon reads as verbs ("the piano is loud").
BARE_VERBS = ("loud", "quiet", "fast", "quick", "slow", "rushed", "rushing", "hurried", "frantic", "dragging",
              "drags", "sluggish", "plodding", "draggy", "lethargic")
#: Token kinds that name a part.
HEADS = ("role", "instrument", "family", "voice", "ref", "melstyle")


def toward(frame: Frame) -> bool:
    """Whether the clause asks for more of its word despite a negation ("not loud enough", "lacks
    air", "the kick has no weight")."""
    tokens = frame.tokens
    lacking = any(t.kind == "neg" and t.text in ("no", "without") and _next_kind(tokens, i) == "adj"
                  for i, t in enumerate(tokens))
    return (frame.has("neg") and frame.has("enough")) or lacking or frame.has("toward") or any(
        t.text in TOWARD_WORDS for t in tokens)


def _next_kind(tokens: list[Token], i: int) -> str:
    j = i + 1
    while j < len(tokens) and tokens[j].kind in ("det", "amount", "filler"):
        j += 1
    return tokens[j].kind if j < len(tokens) else ""


def complaint(frame: Frame) -> bool:
    """A part named, then what it is like, with nothing asked: "the drums are harsh", "the
    chords sound dull", "the piano a bit dark" ("the piano's"). "make the drums harsh" asks."""
    tokens = frame.tokens
    quality = quality_index(tokens)
    if quality is None:
        return False
    before = tokens[:quality]
    asked = [t for t in before if t.kind == "verb" and t.text not in COPULAS]
    return not asked and any(t.kind in HEADS for t in before)


def quality_index(tokens: list[Token]) -> int | None:
    """Where the first word saying how a part is stands ("the pad is too *loud*"), if any."""
    return next((i for i, t in enumerate(tokens) if t.kind in QUALITIES or (
        t.kind == "verb" and t.text in BARE_VERBS)), None)


def describes(frame: Frame) -> bool:
    """Whether the clause only says how a part is ("the keys sound dull", "the lead sits too low"),
    asking nothing: a complaint, or "too" with no verb but a linking one."""
    if complaint(frame):
        return True
    tokens = frame.tokens
    first_verb = next((i for i, t in enumerate(tokens) if t.kind == "verb" and t.text not in COPULAS), len(tokens))
    said = any(t.kind in HEADS for t in tokens[:first_verb])  # the part comes first: a statement about it
    level = ("louder", "quieter")  # "the bass shouldn't be any louder": how it is, not what to do
    asked = [t for t in tokens if t.kind == "verb" and t.text not in COPULAS and t.text not in BARE_VERBS
             and not (said and t.value in level)]
    return (frame.has("too") or frame.has("neg")) and not asked and said


def away(frame: Frame) -> bool:
    """Whether the clause asks for less of what its word names (see the module docstring)."""
    if toward(frame):
        return False
    return any(frame.has(k) for k in AWAY_KINDS) or complaint(frame)


#: Verbs that, said of a quality, take it away ("take the edge off", "get rid of the boom", "tame
#: the highs"): of a quality, never of the part it belongs to.
TAKING_VERBS = ("remove", "strip", "kill", "cut", "take", "drop", "quieter", "turn", "lose")
#: What may stand between such a verb and the quality: "take some of the edge off".
_BETWEEN = ("det", "amount", "filler", "prep", "less")


def taking_away(tokens: list[Token]) -> list[Token]:
    """``tokens`` with a verb that takes away a quality read as "less" of it, and its "off"/"down"
    dropped: "take some of the edge off the lead" is less edge on the lead, not the lead
    removed; "cut the boom on the kick" is less boom, not the kick muted."""
    out = list(tokens)
    for i, t in enumerate(out):
        cleaning = t.kind == "adj" and t.text in _CLEANING  # "clean up the mud": less mud
        if not cleaning and (t.kind != "verb" or t.value not in TAKING_VERBS):
            continue
        j = i + 1
        while j < len(out) and out[j].kind in _BETWEEN:
            j += 1
        if j < len(out) and out[j].kind == "adj" and out[j].value in _NOUN_QUALITIES:
            out[i] = Token("less", "less", t.text, t.pos)
            out = [u for k, u in enumerate(out) if not (k > j and u.kind in ("off", "dir") and u.value in (
                "off", "down"))]
            return out
    return out


#: Sound words that are also verbs of taking away the opposite ("clean up the mud").
_CLEANING = ("clean up", "clean it up", "clear", "clean", "clean out", "clear out")
#: Qualities a producer names as things to take away (the nouns of the sound words).
_NOUN_QUALITIES = ("bright", "deep", "crisp", "gritty", "warm", "airy", "lush", "punchy", "dark")


def masking(tokens: list[Token]) -> list[Token]:
    """ "the pad is burying the keys", "it's eating the mix": the part before the word
    should be quieter, and what comes after it is the reference (a "than")."""
    out: list[Token] = []
    for t in tokens:
        if t.kind == "masks":
            out += [Token("verb", "quieter", t.text, t.pos), Token("compare", "than", t.text, t.pos)]
        else:
            out.append(t)
    return out
