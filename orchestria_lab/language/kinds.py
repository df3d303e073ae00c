"""The kinds of token the grammar knows, one Enum: a lexicon line or a rule that names another
kind fails at import, not by matching nothing.

A :class:`Kind` is a ``StrEnum``, so it reads and prints as its name (``Kind.VERB == "verb"``)
and the lexicon's table keeps its plain ``kind value: phrases`` lines.

>>> Kind("adj") is Kind.ADJ, Kind.ADJ == "adj", [Kind.ADJ]
(True, True, ['adj'])
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a token is (its value's meaning depends on the kind; see ``lexicon.py``)."""

    def __repr__(self) -> str:  # in tables and doctests a kind reads as its name
        return repr(self.value)

    # parts and their words
    ROLE = "role"                # a part: chords, drums, the melody
    INSTRUMENT = "instrument"    # piano, 808, strings
    FAMILY = "family"            # keys, synths
    VOICE = "voice"              # a drum voice: kick, hats
    MELSTYLE = "melstyle"        # a kind of melody: hook, arpeggio
    REF = "ref"                  # it, everything, the rest
    STYLE = "style"              # a genre or groove word (value: genre, extra: groove)
    # what to do
    VERB = "verb"
    HISTORY = "history"          # undo, redo, go back
    # sound, level, time and feel
    ADJ = "adj"                  # a sound word with its sign (bright+, dull = bright-)
    EFFECT = "effect"
    FXPARAM = "fxparam"          # an effect's parameter: feedback, decay
    FXALL = "fxall"              # all the effects
    DRY = "dry"
    DENSITY = "density"
    SWING = "swing"
    HUMANIZE = "humanize"        # played by hand, or back on the grid
    FEEL = "feel"                # half time, double time
    FILL = "fill"
    PATTERN = "pattern"          # sustained, offbeat
    VOICING = "voicing"
    EXTENSIONS = "extensions"    # 7ths and 9ths
    MODE = "mode"                # minor, dorian
    KEY = "key"
    TIMESIG = "timesig"
    NUMBER = "number"            # value: (amount, unit)
    INTERVAL = "interval"        # value: semitones
    NOTEVALUE = "notevalue"      # quarter notes
    VERSION = "version"          # v3
    SCOPE = "scope"              # a placeholder for a time scope (scopes.py)
    PROGRESSION = "progression"  # a placeholder for chords written out (chord_text.py)
    META = "meta"                # tempo, key, genre, volume ...
    DIR = "dir"                  # up, down, left, right
    # direction and relation
    MORE = "more"
    LESS = "less"
    TOO = "too"
    ENOUGH = "enough"
    NEG = "neg"
    TOWARD = "toward"            # could be, should be
    BACK = "back"
    OFF = "off"
    ONLY = "only"
    EXCEPT = "except"
    COMPARE = "compare"          # than, compared to
    MASKS = "masks"              # drowning out, burying
    PROTECT = "protect"          # don't touch, as is, fine
    PURPOSE = "purpose"          # so it cuts through
    CANNOT = "cannot"            # what the orchestra cannot make (lexicon.CANNOT)
    # glue
    AMOUNT = "amount"            # a bit, a lot
    DET = "det"
    PREP = "prep"
    FRESH = "fresh"              # new, different
    SEP = "sep"                  # and, then, commas
    FILLER = "filler"
    WORD = "word"                # a word the lexicon does not know
