"""Clauses and their slots: what each part of a command asks for, before it meets the session.

A command is split into clauses at "and", "then", commas; a clause without a verb takes
the previous one's ("mute the drums and the bass"; "add chords and a beat"), and a
clause of only stem names joins the previous one ("everything except the bass and the
drums"). Each clause becomes a :class:`Frame`: its verbs, the stems it names
(:class:`Mention`, with their adjectives, styles and effects) and its other slots.

>>> f = frames("Add warm piano chords with reverb and a dusty drum beat")
>>> [(m.role, m.instrument, m.adjectives, m.effects) for fr in f for m in fr.mentions]
[('chords', 'piano', [('warm', 1, 1.0)], ['reverb']), ('drums', None, [('dusty', 1, 1.0)], [])]
>>> [fr.verb for fr in f]
['add', 'add']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestria_lab.language import polarity
from orchestria_lab.language.tokens import Token, tag

AMOUNTS = {"small": 0.5, "large": 2.0, "full": 2.0}
#: Verbs that say what someone wants rather than what to do ("I want the drums quieter").
WISHES = ("i want", "need", "we need", "i need", "get", "give", "gimme", "i'd like", "id like", "want", "wanna",
          "can we have", "could we have", "can i have", "could i have", "may i have", "can i get", "could i get",
          "can we get", "could we get", "let's have", "lets have")
_BARE = polarity.BARE_VERBS
_COPULA = ("is", "are", "was", "sounds", "sound", "seems", "feels", "getting", "kinda", "kind of")
#: Words that tie a part to the kick drum ("lock the bass to the kick").
_LOCK = ("lock", "locked", "locks", "follow", "follows", "sync", "synced", "tie", "tied")
#: Verbs that with "back" mean less of it, not bringing it back ("pull the strings back").
_PULL = ("pull", "dial", "ease", "knock", "push", "sit")
#: Verbs that said of a part after another verb describe how it should hit ("make the drums slap").
_PREDICATE = ("slap", "knock", "bang", "hit", "thump", "punch", "smack")
#: Nouns after "that <adjective>" that make "that" a determiner ("give the piano that lofi vibe").
_QUALITY = ("vibe", "vibes", "sound", "feel", "feeling", "touch", "quality", "character", "tone", "flavor",
            "flavour", "thing", "energy", "texture")
#: Styles that name a drum part when they stand as the noun ("add a breakbeat", "some jazzy brushes").
_DRUM_NOUNS = ("breakbeat", "breakbeats", "break", "breaks", "brushes", "backbeat", "amen", "boom bap", "boombap",
               "boom-bap", "four on the floor", "4 on the floor", "four-on-the-floor", "one drop")
#: Tokens that can stand for a stem in a noun phrase.
_HEADS = ("role", "instrument", "family", "voice", "ref", "melstyle")
_MODIFIERS = ("det", "adj", "style", "fresh", "amount")
#: Verbs strong enough to lead a clause; set/make/turn only shape what the slots say.
_STRONG = ("add", "drench", "remove", "strip", "kill", "drop", "cut", "mute", "unmute", "solo",
           "unsolo", "balance", "listen", "louder", "quieter", "pan", "place", "replace", "regenerate", "transpose",
           "speedup", "slowdown", "double", "halve", "extend", "shorten", "keep", "reset")


@dataclass
class Mention:
    """A stem named in a clause: by role, instrument, family, drum voice or reference."""

    pos: int
    role: str | None = None
    instrument: str | None = None
    family: str | None = None
    voice: str | None = None
    ref: str | None = None            # it / all / rest
    name: str | None = None           # a stem id written out ("chords-2")
    definite: bool = False
    indefinite: bool = False
    fresh: bool = False
    excepted: bool = False            # named after "except"
    compared: bool = False            # named after "than", "compared to": a reference, not a target
    own: bool = False                 # "my melody": the user's own part first (one they imported)
    fitted: str = ""                  # what another part fits, and how it was said: "follows", "fits" (a bass that
                                      # follows my chords, drums that fit my bass) or a place ("chords under my melody")
    adjectives: list[tuple[str, int, float]] = field(default_factory=list)
    styles: list[tuple[str, str]] = field(default_factory=list)   # (genre, part style)
    effects: list[str] = field(default_factory=list)              # "with reverb"
    played_on: bool = False           # the instrument came after "on": "the melody on bells"

    @property
    def is_stem(self) -> bool:
        return bool(self.role or self.instrument or self.family or self.ref or self.name)


@dataclass
class Frame:
    """One clause: its verbs, stem mentions and slots."""

    tokens: list[Token]
    verbs: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    inherited: bool = False
    attached: int = 0                  # effects bound to a new stem ("chords with reverb")

    @property
    def scopes(self) -> list[int]:
        """Indexes of the time scopes the clause names (see :mod:`~orchestria_lab.language.scopes`)."""
        return [t.value for t in self.tokens if t.kind == "scope"]

    @property
    def verb(self) -> str | None:
        strong = [v for v in self.verbs if v in _STRONG]
        wishes = [t for t in self.tokens if t.kind == "verb" and t.text in WISHES]
        if len(strong) > 1 and strong[0] == "add" and wishes:
            strong = strong[1:]  # "I want the drums quieter": the wish is not the action
        verb = strong[0] if strong else (self.verbs[0] if self.verbs else None)
        if verb == "listen" and any(m.indefinite and m.is_stem for m in self.mentions):
            return "add"  # "I wanna hear a pad under the chords"
        if verb == "drop" and any(m.indefinite and (m.role or m.instrument) for m in self.mentions) and not (
                self.has("interval") or self.has("number")):
            return "add"  # "drop a trap beat", not "drop the drums"
        if self.has("back") and any(t.kind == "verb" and t.text in _PULL for t in self.tokens) and verb in ("turn", None):
            return "quieter"  # "pull the strings back a bit", "dial the reverb back"
        if self.has("back") and verb in ("turn", "add", "place", "set", None):
            return "unmute"  # "bring the hats back", "put the drums back in"
        if self.has("off") and verb in ("take", "add"):
            return "remove"  # "take the reverb off", "get the drums out"
        if self.has("off") and not any(self.has(k) for k in ("swing", "humanize", "density", "adj", "feel", "fill", "dir", "effect")):
            return "mute" if verb in ("turn", "set", "place", None) else verb  # "drums off", not "straighten out"
        if wishes and self.has("neg") and verb == "add":
            return "remove"  # "I don't want the drums"
        if verb == "replace" and self.tokens and self.tokens[-1].kind == "dir" and self.tokens[-1].value == "up":
            return "regenerate"  # "change the chords up", "switch the drums up"
        return verb

    def has(self, kind: str, value: object = None) -> bool:
        return any(t.kind == kind and (value is None or t.value == value) for t in self.tokens)

    def values(self, kind: str) -> list:
        return [t.value for t in self.tokens if t.kind == kind]

    def first(self, kind: str, default: object = None) -> object:
        vals = self.values(kind)
        return vals[0] if vals else default

    @property
    def flipped(self) -> bool:
        """Whether the clause asks for less of what its words name: "too loud", "not so fast", "the
        chords sound dull" (:func:`~orchestria_lab.language.polarity.away`, the one rule)."""
        return polarity.away(self)

    def said_of(self, kind: str) -> bool:
        """Whether a word of ``kind`` is said of a part ("the drums feel stiff"), not asked for."""
        asked = [t for t in self.tokens if t.kind == "verb" and t.text not in ("sound", "sounds")]
        for i, t in enumerate(self.tokens):
            if t.kind == kind and not asked:
                j = i - 1
                while j >= 0 and self.tokens[j].kind == "amount":
                    j -= 1
                if j >= 0 and (self.tokens[j].text in _COPULA or self.tokens[j].text in ("feel", "feels")):
                    return True
        return False

    @property
    def amount(self) -> float:
        """1 by default, 0.5 for "a bit", 2 for "a lot"."""
        vals = [AMOUNTS[v] for v in self.values("amount") if v in AMOUNTS]
        return vals[0] if vals else 1.0

    @property
    def stems(self) -> list[Mention]:
        return [m for m in self.mentions if m.is_stem and not m.excepted and not m.compared and not m.fitted]

    @property
    def fitted(self) -> list[Mention]:
        """Parts named as what another is made to fit: "chords under my melody", "drums that fit my bass"."""
        return [m for m in self.mentions if m.is_stem and m.fitted]

    @property
    def compared(self) -> list[Mention]:
        """Parts named as a reference: "louder than the drums", "the chords drown out the melody"."""
        return [m for m in self.mentions if m.is_stem and m.compared]

    @property
    def excepted(self) -> list[Mention]:
        return [m for m in self.mentions if m.is_stem and m.excepted]

    @property
    def predicate_adjectives(self) -> list[tuple[str, int, float]]:
        """Adjectives not bound to a new stem: "make the piano warmer", "too bright"."""
        out = [a for m in self.mentions if not m.is_stem for a in m.adjectives]
        out += [a for m in self.mentions if m.is_stem and m.definite for a in m.adjectives]
        return out

    def describe(self) -> list[str]:
        """What was understood, in words (for CommandNotUnderstood)."""
        seen = []
        for t in self.tokens:
            if t.kind in ("word", "filler", "det", "prep", "sep", "scope", "progression"):
                continue
            label = {"verb": "the action", "role": "a part", "instrument": "an instrument",
                     "effect": "an effect", "adj": "a sound", "number": "a number", "key": "a key",
                     "style": "a style", "voice": "a drum voice"}.get(t.kind, t.kind)
            seen.append(f"{t.text!r} ({label})")
        return seen


def frames(text: str) -> list[Frame]:
    """The clauses of ``text`` as frames (see the module docstring)."""
    clauses: list[list[Token]] = [[]]
    tokens = _purpose(polarity.masking(polarity.taking_away(_low_end(list(tag(text))))))
    for i, t in enumerate(tokens):  # "lock the bass to the kick": a bass pattern, not the kick drum
        if t.kind == "voice" and t.value == "kick" and any(u.text in _LOCK for u in tokens[:i]):
            tokens[i] = Token("pattern", "kick", t.text, t.pos)
    joined_by: list[str] = [""]
    for t in tokens:
        contrast = t.kind == "except" and t.text == "but" and not (
            clauses[-1] and clauses[-1][-1].kind in ("ref", "only"))  # "louder but the bass quieter"
        if t.kind == "sep" or contrast:
            if clauses[-1]:
                clauses.append([])
                joined_by.append(t.text)
        else:
            clauses[-1].append(t)
    for k in range(len(clauses) - 1, 0, -1):  # "make the drums and the piano louder": one clause, two parts
        if joined_by[k] in ("and", "&") and _bare_action(clauses[k - 1]) and _parts_then_content(clauses[k]):
            clauses[k - 1] += clauses.pop(k)
            joined_by.pop(k)
    conjoined = {id(c[0]) for c, by in zip(clauses, joined_by, strict=True) if c and by in ("and", "&")}
    clauses = _scopes_join(clauses)
    out: list[Frame] = []
    for tokens in (c for c in clauses if c):
        frame = _frame(tokens)
        if out and not frame.verbs and all(t.kind in ("extensions", "det", "filler") for t in tokens):
            out[-1].tokens += tokens  # "chords with 7ths and 9ths": a detail of the chords
            continue
        if out and not frame.verbs and _only_stems(tokens):
            prev = out[-1]
            for m in frame.mentions:
                m.excepted = m.excepted or (bool(prev.excepted) and not prev.has("only"))
                m.pos += len(prev.tokens)  # positions index the joined clause
            prev.tokens += tokens
            prev.mentions += frame.mentions
            continue
        described = (out and id(tokens[0]) in conjoined and not frame.verbs and _only_qualities(tokens)
                     and polarity.complaint(out[-1]))
        if described:
            prev = out[-1].tokens  # "the keys are too quiet and kind of dull": dull, too
            subject = [t for t in prev[:polarity.quality_index(prev)] if t.kind not in ("too", "neg", "amount", "enough")]
            frame = _frame(subject + tokens)
        elif out and not frame.verbs and not _self_standing(frame) and out[-1].verbs:
            frame.verbs = list(out[-1].verbs)
            frame.inherited = True
        if out and frame.stems and not _has_content(frame) and (frame.has("more") or frame.has("less")):
            frame.tokens += [t for t in out[-1].tokens if t.kind in ("effect", "fxparam")]  # "... but less on the bass"
        out.append(frame)
    for first, second in zip(out, out[1:], strict=False):
        if first.has("effect") and not first.stems and second.inherited and second.stems and second.has("effect"):
            first.mentions += second.stems  # "add reverb and delay to the chords"
    return out


def _purpose(tokens: list[Token]) -> list[Token]:
    """ "more bite so it cuts through": what a clause is for is its reason, not another request; it
    is dropped up to the clause's end (a time scope in it stays)."""
    out: list[Token] = []
    dropping = False
    for t in tokens:
        if t.kind == "purpose":
            dropping = True
        elif t.kind == "sep":
            dropping = False
        if not dropping or t.kind == "scope":
            out.append(t)
    return out


#: Phrases for the bass part that, said of another part, mean its low frequencies.
_LOW_END = ("low end", "bottom end", "the low end", "low-end")


def _low_end(tokens: list[Token]) -> list[Token]:
    """ "more low end in the kick": the kick's low end (a sound), not the bass part; "turn the
    low end up" alone is the bass."""
    other = any(t.kind in ("role", "instrument", "family", "voice") and t.text not in _LOW_END and not (
        t.kind == "role" and t.value == "bass") for t in tokens)
    if not other:
        return tokens
    return [Token("adj", "deep", t.text, t.pos) if t.kind == "role" and t.text in _LOW_END else t for t in tokens]


def _scopes_join(clauses: list[list[Token]]) -> list[list[Token]]:
    """A clause that only says when ("in the second verse, mute the bass") belongs to the next
    clause, or to the one before when it comes last ("mute the bass, just for bar 9")."""
    out: list[list[Token]] = []
    carry: list[Token] = []
    for tokens in (c for c in clauses if c):
        if any(t.kind == "scope" for t in tokens) and all(t.kind in ("scope", "prep", "filler", "det") for t in tokens):
            carry += tokens
            continue
        out.append(carry + tokens)
        carry = []
    if carry:
        if out:
            out[-1] += carry
        else:
            out.append(carry)
    return out


_CONTENT = ("verb", "dir", "adj", "effect", "number", "pattern", "voicing", "swing", "humanize", "density", "more", "less",
            "interval", "style", "feel")


def _bare_action(tokens: list[Token]) -> bool:
    """A verb and the parts it acts on, and nothing else ("make the drums")."""
    return (bool(tokens) and tokens[0].kind == "verb" and sum(t.kind == "verb" for t in tokens) == 1
            and any(t.kind in ("role", "instrument", "family", "voice") for t in tokens)
            and all(t.kind in ("verb", "det", "role", "instrument", "family", "voice", "filler") for t in tokens))


def _parts_then_content(tokens: list[Token]) -> bool:
    """Parts first, then what should happen to them ("the piano louder", "bass to the center")."""
    lead = [t for t in tokens if t.kind not in ("det", "filler")]
    return bool(lead) and lead[0].kind in ("role", "instrument", "family", "voice") and any(
        t.kind in _CONTENT for t in lead[1:])


def _has_content(frame: Frame) -> bool:
    return any(frame.has(k) for k in ("effect", "adj", "meta", "swing", "humanize", "density", "voice", "fxparam", "pattern", "voicing"))


def _only_stems(tokens: list[Token]) -> bool:
    heads = [t for t in tokens if t.kind in _HEADS]
    return bool(heads) and all(t.kind in (*_HEADS, "det", "filler", "word", "prep", "except", "only") for t in tokens)


def _only_qualities(tokens: list[Token]) -> bool:
    """Only words saying how something is ("a bit dark", "murky"), with no part and no verb."""
    return any(t.kind in polarity.QUALITIES for t in tokens) and all(
        t.kind in (*polarity.QUALITIES, "amount", "det", "filler", "too") for t in tokens)


def _self_standing(frame: Frame) -> bool:
    """A verbless clause that says what to do by itself ("louder", "more reverb", "120 bpm")."""
    return any(frame.has(k) for k in ("history", "speedup", "key", "timesig", "density", "swing", "humanize", "feel", "too", "more", "less",
                                      "pattern", "voicing"))


def _frame(tokens: list[Token]) -> Frame:
    frame = Frame(tokens)
    current: Mention | None = None
    pending: Mention = Mention(-1)        # modifiers waiting for a head
    excepting = comparing = False
    last_prep = None
    for i, t in enumerate(tokens):
        k = t.kind
        if k == "compare":
            comparing = True  # what follows is what the part is measured against
            continue
        if k == "verb" and t.text in _PREDICATE and frame.verbs:
            t, k = Token("adj", "punchy", t.text, t.pos), "adj"  # "make the drums slap", "need to knock harder"
        if k == "verb" and t.text in _BARE and pending.indefinite and i + 1 < len(tokens) and (
                tokens[i + 1].kind in (*_HEADS, "adj", "style")):
            continue  # "a slow jazzy melody": the word describes the part, it is not the action
        if k == "verb":
            frame.verbs.append(t.value)
            current, pending = None, Mention(-1)
            excepting = False
            continue
        if k == "except":
            excepting = True
            continue
        if k in ("prep", "effect", "number", "interval"):
            pending = Mention(-1, adjectives=pending.adjectives, styles=pending.styles)
        if k == "prep":
            last_prep = t.value
            if t.value == "with" and current is None:
                current = frame.mentions[-1] if frame.mentions else None
            continue
        if k == "effect" and last_prep == "with" and current is not None and current.is_stem and not current.definite:
            current.effects.append(t.value)
            frame.attached += 1
            continue
        if k in _MODIFIERS:
            if current is not None and current.is_stem and k in ("adj", "style") and i > current.pos + 1:
                current = None  # "make the piano warmer": the adjective is a predicate
            target = pending
            if k == "det":
                target.definite |= t.value in ("def", "own")
                target.indefinite |= t.value == "indef"
                target.own |= t.value == "own"
            elif k == "adj":
                target.adjectives.append((t.value, t.sign, _amount_before(tokens, i)))
            elif k == "style":
                target.styles.append((t.value, t.extra))
            elif k == "fresh":
                target.fresh = True
            continue
        if k == "filler" and t.text in ("loop", "loops") and pending.styles:
            t = Token("role", "drums", t.text, t.pos)  # "a boom bap loop" is a drum part
            k = "role"
        if k in _HEADS or (k == "word" and "-" in t.text and t.text.split("-")[-1].isdigit()):
            if k == "ref" and i + 1 < len(tokens) and tokens[i + 1].kind in ("role", "instrument", "family"):
                pending.definite = True  # "this piano", "that bass"
                continue
            if k == "ref" and t.text in ("it", "it's", "its") and _next_head(tokens, i):
                continue  # "it's the chords that are too loud": the chords, said with emphasis
            if k == "ref" and t.text in ("that", "which", "who") and current is not None and current.is_stem:
                continue  # "the chords that are too loud": the same chords
            if k == "ref" and t.text in ("that", "this") and i + 1 < len(tokens) and tokens[i + 1].text in _QUALITY:
                continue  # "not dark enough for this vibe": the song's feel, not a stem
            if k == "ref" and t.text in ("that", "this") and i + 2 < len(tokens) and tokens[i + 1].kind in (
                    "adj", "style") and tokens[i + 2].text in _QUALITY:
                continue  # "give the piano that lofi vibe"
            played_on = (k == "instrument" and last_prep in ("on", "with") and frame.mentions and frame.mentions[-1].is_stem
                         and frame.mentions[-1].role and not frame.mentions[-1].instrument
                         and (not frame.verbs or frame.verbs[0] in ("add", "make", "drench")))
            if played_on:  # "a melody on electric piano": the instrument of the part being made
                frame.mentions[-1].instrument = t.value
                frame.mentions[-1].played_on = True
                current = frame.mentions[-1]
                continue
            previous = next((j for j in range(i - 1, -1, -1) if tokens[j].kind != "filler"), -1)
            joinable = current is not None and current.is_stem and current.pos == previous and not current.ref and (
                (k in ("role", "melstyle") and not current.role) or (k == "instrument" and not current.instrument)
                or (k == "voice" and current.role in ("drums", None))
                or (k == "role" and tokens[current.pos].kind == "melstyle"))  # "a catchy melody": one part
            if joinable:
                m = current
            else:
                m = Mention(i, definite=pending.definite, indefinite=pending.indefinite, fresh=pending.fresh,
                            excepted=excepting, compared=comparing, adjectives=pending.adjectives,
                            styles=pending.styles, own=pending.own,
                            fitted=_fits(frame, tokens, i) if pending.definite and k != "ref" else "")
                frame.mentions.append(m)
                pending = Mention(-1)
            if k == "word":
                m.name = t.text
            elif k == "melstyle":
                m.role = m.role or "melody"
            else:
                setattr(m, k, t.value)
            m.pos = i
            current = m
            continue
        if k in ("number", "interval", "key", "timesig", "dir", "more", "less", "too", "neg"):
            current = None if k not in ("dir",) else current
    if pending.styles and "add" in frame.verbs and tokens[-1].kind == "style" and tokens[-1].text in _DRUM_NOUNS:
        pending.role, pending.pos = "drums", len(tokens) - 1  # "add a breakbeat": a drum part in that style
    if pending.adjectives or pending.styles or pending.fresh:
        frame.mentions.append(pending)
    return frame


#: Words before a part that make it what a new part fits ("chords under my melody", "a bass to my chords").
FIT_PREPS = ("under", "beneath", "underneath", "behind", "to", "for", "over")


def _fits(frame: Frame, tokens: list[Token], i: int) -> str:
    """What makes the part named at ``i`` the one an earlier part of the clause is to fit: "follows" or
    "fits" after a refit verb ("follows"; "fits", "matches", "goes with"), or, where the clause adds a
    part, the place word before it ("under", "to", "for"); "" when it is not."""
    j = i - 1
    while j >= 0 and tokens[j].kind in ("det", "adj", "style", "filler", "amount", "fresh"):
        j -= 1
    earlier = [m for m in frame.mentions if m.is_stem and not m.compared]
    if j < 0 or not earlier:
        return ""
    if tokens[j].kind == "verb" and tokens[j].value == "refit":
        return "follows" if tokens[j].text.startswith("follow") else "fits"
    adding = bool(frame.verbs) and frame.verbs[0] == "add"
    placed = tokens[j].kind == "prep" and tokens[j].text in FIT_PREPS and adding and not any(m.definite for m in earlier)
    return tokens[j].text if placed else ""


def _next_head(tokens: list[Token], i: int) -> bool:
    """Whether a determiner and a part come next ("it's the chords")."""
    j = i + 1
    while j < len(tokens) and tokens[j].kind == "filler":
        j += 1
    return j + 1 < len(tokens) and tokens[j].kind == "det" and tokens[j + 1].kind in ("role", "instrument", "family")


def _amount_before(tokens: list[Token], i: int) -> float:
    j = i - 1
    while j >= 0 and tokens[j].kind in ("det", "filler"):
        j -= 1
    if j >= 0 and tokens[j].kind == "amount":
        return AMOUNTS.get(tokens[j].value, 1.0)
    return 1.0
