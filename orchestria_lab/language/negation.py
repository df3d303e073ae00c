"""What a clause forbids: parts to leave as they are, and requests said not to be carried out.

A clause that *protects* parts ("don't touch the drums", "leave the bass alone", "keep the
drums as they are", "the drums are fine", "the drums aren't too loud") makes nothing, and no
other clause of the command may change those parts: "make it all brighter but leave the
piano alone" brightens everything else. A clause that *refrains* ("don't turn the melody
down", "don't add any low end to the drums") makes nothing either; the parts it names are
still "them" for the next clause ("don't make the drums any brighter, they're already
harsh").

A negation that sets a direction is not either of these: "not so loud", "don't make it so
loud" and "the bass shouldn't be any louder" ask for less (:mod:`.polarity`), and "I don't
want the drums" removes them.

>>> from orchestria_lab.language.frames import frames
>>> [protects(f) for f in frames("don't touch the pad, just make the lead quieter")]
[True, False]
>>> [(protects(f), refrains(f)) for f in frames("don't pan the bass, pan the keys")]
[(False, True), (False, False)]
>>> [refrains(f) or protects(f) for f in frames("don't make it so loud")]
[False]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestria_lab.language.frames import WISHES

if TYPE_CHECKING:
    from orchestria_lab.language.frames import Frame

#: Negations that forbid what follows them ("don't", "never"), rather than describe ("isn't").
IMPERATIVE = ("don't", "dont", "do not", "never", "shouldn't", "shouldnt", "should not", "mustn't", "must not")
#: Verbs that mean any change at all: forbidding one protects the part ("don't change the melody").
ANY_CHANGE = ("replace", "regenerate", "reset")
#: Words that make a forbidden request a direction instead ("don't make it so loud": quieter).
_INTENSIFIERS = ("so", "that")
_SKIP = ("filler", "det", "only", "amount")


def _lead(frame: Frame) -> list:
    return [t for t in frame.tokens if t.kind not in _SKIP]


def _forbidding(frame: Frame) -> bool:
    """The clause opens with an imperative negation and a verb: "don't add", "never turn"."""
    lead = _lead(frame)
    return (len(lead) >= 2 and lead[0].kind == "neg" and lead[0].text in IMPERATIVE and lead[1].kind == "verb"
            and lead[1].text not in WISHES and not frame.has("too")
            and not any(t.text in _INTENSIFIERS for t in frame.tokens))


def protects(frame: Frame) -> bool:
    """Whether the clause asks that the parts it names stay as they are (see the module docstring)."""
    if not frame.stems:
        return False
    if frame.has("protect", "touch"):
        return True
    if _forbidding(frame) and _lead(frame)[1].value in ANY_CHANGE:
        return True  # "don't change the melody"
    asks = [t for t in frame.tokens if t.kind == "verb" and t.value not in ("keep", "make")]
    if frame.has("protect", "as_is") or any(t.kind == "only" and t.text == "alone" for t in frame.tokens):
        return frame.verb == "keep" and not asks  # "leave the bass alone", "keep the drums as they are"
    denied = any(t.kind == "neg" and t.text not in IMPERATIVE for t in frame.tokens) and frame.has("too")
    return (frame.has("protect", "fine") and not asks) or (denied and frame.verb in (None, "louder", "quieter")
                                                           and frame.tokens[0].kind != "neg")


def refrains(frame: Frame) -> bool:
    """Whether the clause asks for something not to be done ("don't turn the melody down")."""
    return _forbidding(frame) and not protects(frame)
