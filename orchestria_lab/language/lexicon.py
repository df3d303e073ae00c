"""The words people use in a studio, and what each means to the orchestra.

Each line reads ``kind value: phrase | phrase ...``. Phrases are matched longest first,
so "tape saturation" is the tape effect while "saturation" alone is distortion, and
"bass line" is a part while "bass guitar" is an instrument. Adjectives carry a sign
("thin" is less deep, "dull" less bright).

>>> lookup(("throw",))
('verb', 'add')
>>> lookup(("rhodes",)), lookup(("verb",)), lookup(("hats",))
(('instrument', 'electric_piano'), ('effect', 'reverb'), ('voice', 'hats'))
"""

from __future__ import annotations

from functools import lru_cache

from orchestria_lab.audio.effects import EFFECT_SPECS
from orchestria_lab.language.kinds import Kind
from orchestria_lab.music.genres import GENRES, LOOKALIKES
from orchestria_lab.music.vocabulary import INSTRUMENT_RECORDS, ROLE_RECORDS

_TABLE = """
cannot vocals: vocal | vocals | vox | singer | singers | singing | sing | sings | sung | lyrics | lyric | to rap | rap on | rap over | raps | rapping | rapper | vocal chops | vocal chop | vocal harmony | vocal harmonies | vocalist | a cappella | acapella | topline vocal | spoken word
verb sidechain: sidechain | side chain | side-chain | sidechained | sidechaining | side chained | duck under | ducked under | ducking under | pump with the kick | pumping with the kick
cannot samples: sample | sampled | sampling | samples from | flip a sample | chop a sample
verb add: set up | setup | can we have | could we have | can i have | could i have | may i have | can i get | could i get | can we get | could we get | color | colour | add | adds | adding | added | give | put | throw | bring in | layer | insert | include | create | generate | write | compose | start with | need | lay down | drop in | sprinkle | slap | stick | toss | chuck | introduce | add in | build | get | gimme | let's have | lets have | i'd like | id like | i want | we need | i need | where's | wheres | want | wanna
verb make: make | makes | making | sound | sounds
verb turn: turn | bring | push | pull | knock | nudge | nudge it | sit | dial | ease
verb drench: drench | soak | drown | bathe | smother
verb remove: roll off | roll back | shave off | scoop out | notch out | wipe | wipe out | wipe it | clear out | has to go | have to go | needs to go | need to go | gotta go | can go | must go | got to go | removing | deleting | remove | removes | delete | lose | get rid of | take out | take off | ditch | scrap | trash | nuke | erase | clear | eliminate | no more | cut out | pull out | rip out | bin
verb strip: strip | strip it back | strip back | strip down | strip it down | pare back
verb kill: kill
verb drop: drop
verb cut: cut
verb mute: muting | mute | mutes | muted | silence | shut | turn off | switch off | shut off | shut up | hush
verb unmute: unmuting | unmute | un-mute | unmuted | turn on | switch on | turn back on | put back | back in | bring back | restore
verb solo: soloing | solo | soloed | isolate
verb listen: hear | listen | listen to | hear only | listen only
verb unsolo: unsolo | un-solo | unsoloed
verb balance: balance | rebalance | re-balance | balanced | auto-mix | automix | auto mix | auto-level | auto level | gain stage | gain-stage | level out | even out | fix the levels | fix the balance
verb louder: louder | can't hear | cant hear | cannot hear | hardly hear | can hardly hear | can barely hear | hear more | hear more of | hear it more | hear them more | hear it better | hear more of the | buried | drowned out | inaudible | hard to hear | barely hear | turn up | boost | crank | crank up | pump up | bring up | push up | amplify | raise the volume | more volume | turn it up | loud | loudest
verb quieter: tuck | tuck in | tuck it in | tuck away | tuck them in | overpowering | overpowers | overbearing | dominating | too dominant | too prominent | sticks out | sticking out | in your face | quieter | turn down | softer | bring down | pull back | pull down | back off | tame | duck | less volume | lower the volume | quiet | quietly | quieten | quieter please | soften
verb pan: pan | panned | panning
verb place: place | position | move | shift | put it
verb replace: replace | play | played by | swap | swap out | switch | change | exchange | substitute | turn into | convert | use | play on | played on | instead | play it on
verb regenerate: regenerate | regen | reroll | re-roll | remake | rewrite | redo | reshuffle | refresh | vary | try again | try another | another take | mix up | switch up | change up | rework | redesign | variation
verb refit: follow | follows | following | refit | re-fit | fit to | fit | fits | fitting | lock to | conform to | go with | goes with | to go with | match | matches | matching
verb harmonize: harmonize | harmonise | harmonizes | harmonises | harmonized | harmonised | harmonizing | harmonising | reharmonize | reharmonise | re-harmonize | re-harmonise | harmonize it | harmonise it
verb continue: continue | continues | continued | continuing | carry on | carry on with | keep going with | go on with | take further
verb transpose: transpose | transposed | pitch | pitch up | pitch down | modulate | voice | revoice | re-voice
verb speedup: speed up | speed it up | faster | fast | quick | quicker | accelerate | pick up the pace | push the tempo | hurry | rushed | rushing | hurried | frantic
verb slowdown: slow | slow down | slow it down | slower | decelerate | chill out the tempo | dragging | drags | sluggish | plodding | draggy | lethargic
verb double: double | twice | doubled
verb halve: halve | half | halved
verb extend: extend | lengthen | longer | expand
verb shorten: shorten | shorter | trim | truncate
verb set: set | make it | go to | bump | bump it | take it | put it at | adjust | tweak
verb reset: reset | zero
verb keep: keep | leave | only keep | just keep | keep only | leave only | leave just
verb take: take | taking | took
off off: off | out | away
dry dry: dry | drier | dryer | dry it up | dry up | dry it out | less wet | bone dry | drier sound
fxall all: effects | all effects | all the effects | effect chain | the effects | fx chain | plugins | processing | every effect
melstyle hook: hook | hooks | catchy | catchier | more catchy | earworm | catchy hook | hookier | memorable | more memorable
history undo: ctrl z | cmd z | command z | control z | better before | it was better | was better | liked it better | the way it was | how it was | as it was | like it was before | undo | undo that | undo it | take that back | take it back | scratch that | revert that | undo the last | go back one | step back | oops | never mind | nevermind | go back | revert | undo last | back one | previous version | the previous version | the last version | last version | the version before | revert it | revert the last change | undo the last change | go back a step
history redo: redo | redo that | undo the undo | bring that back | put that back
history goto: go back to | back to | revert to | roll back to | rollback to | return to | restore | jump to | load | reset to | revert back to | go to
history before: before | before i added | before we added | before adding | before you added | prior to | from before
history start: where we started | where we began | where it started | how it started | the original | original | the original version | the first version | first version | the very first version | the very beginning | the beginning | beginning | the start | square one | start over | start again | start from scratch | from scratch | scratch that whole thing | the empty session | the blank session | blank slate | a blank slate | clean slate | a clean slate
meta tempo: tempo | bpm | speed | pace | beats per minute
meta key: key | key signature | tonality | tonal center | tonic
meta bars: bars | bar | measures | measure | loop length
meta length: length | long | duration
meta timesig: time signature | time sig | meter | metre | signature | time feel
meta genre: genre | style | vibe | flavor | flavour | type of music | sound like
meta version: version | v | ver
meta volume: in the mix | in the overall mix | within the mix | volume | level | levels | gain | loudness | vol
meta sound: sound settings | timbre | patch | tone settings
meta notes: notes | pattern | part | line | rhythm | groove pattern
{parts}
family keys: keys | keyboard | keyboards | ivories
{effects}
fxparam decay: decay | tail | reverb time
fxparam size: size | room size
fxparam predelay: predelay | pre-delay | pre delay
fxparam damping: damping | damp
fxparam mix: mix | wet | wetness | dry/wet | amount | send
fxparam time: time | delay time | rate of repeats | echo time
fxparam feedback: feedback | repeats | regen
fxparam cutoff: cutoff | cut-off | cut off | frequency | freq
fxparam resonance: resonance | res | q
fxparam drive: gain staging
fxparam threshold: threshold
fxparam ratio: ratio
fxparam attack: attack
fxparam release: release
fxparam bits: bits | bit depth
fxparam ceiling: ceiling
adj warm+: warm up | warm it up | warm | warmer | warmth | warmest | cozy | cosy | analog | analogue | vintage warmth
adj bright+: brighten | brighten up | bright | brighter | brightness | brightest | sparkly | shiny | shinier | sparkle | present | presence | harsh | harsher | harshness | piercing | shrill | shrillness | tinny | brittle | fizzy | sizzle | sizzly | top end | the top end | treble | highs | the highs | high end | the high end | edge | bite | icy
adj bright-: dull | duller | dulled | dullness | muffled | muffly | closed off | lifeless | flat sounding | veiled | blanketed
adj dark+: darken | darken up | dark | darker | darkness | darkest | moody | moodier | murky
adj soft+: soft | gentle | gentler | delicate
adj punchy+: harder | hit hard | slap | slaps | bang | bangs | knock harder | thwack | energetic | energy | more energy | hype | intense | driving | punchy | punchier | punch | punchiest | hard-hitting | hit harder | snappy | snappier | snap | knock | knocking | thump | thumping | slap harder
adj airy+: airy | airier | air | breathy | breathier | open | airiness
adj lush+: thicken | thicken up | lush | lusher | rich | richer | full | fuller | thick | thicker | dreamy | dreamier | dreamy-er | lushness
adj crisp+: sharp | sharper | clean up | clean it up | crisp | crisper | crispy | clear | clearer | clean | cleaner | defined | clarity | tighter highs
adj crisp-: muddy | muddier | mud | boxy
adj deep+: fatten | fatten up | beef up | deep | deeper | depth | fat | fatter | phat | heavy | heavier | boomy | boominess | boom | subby | weighty | weight | bassy | beefy | beefier | chunky | chunkier | body | bottom | bottom end | the bottom end | lows | low-end | woolly | wooly | tubby | rumble | rumbly
adj deep-: thin | thinner | thin sounding | weak | weaker | anemic | anaemic | hollow
adj dusty+: dusty | dustier | grimy | vintage | old | older | old school | worn | gritty old
adj lo-fi+: lo-fi | lofi | lo fi | low-fi | low fi | lo-fi-er | degraded
adj mellow+: mellow | mellower | smooth | smoother | chill | chiller | relaxed | laid back | laid-back | laidback | softer tone
adj gritty+: growl | growly | growling | snarl | snarly | gritty | grittier | grit | dirty | dirtier | rough | rougher | edgy | edgier | aggressive | raw | rawer | nasty | crunchy | crunchier
adj wide+: wide | wider | width | stereo | spacious | big | bigger | huge | bigger sounding | broad
adj wide-: narrow | narrower | mono
adj tight+: tighten up | tighten it up | tight | tighter | tighten | controlled
style hip-hop/boom_bap: boom-bap | 90s
style house/four_on_the_floor: four on the floor | 4 on the floor | four-on-the-floor | 4-on-the-floor | four to the floor
style rock/rock: backbeat | rock and roll
style drum-and-bass/breakbeat: breakbeats | break | breaks | amen
style jazz/jazz: jazzy | swing beat | brushes | brushed | brush | brushed snare
style funk/funk: funky | disco funk
style latin/latin: clave
style lo-fi/lofi: chillhop | lofi hip hop | lo-fi hip hop | study beats
style pop/pop: poppy
style cinematic/cinematic: filmic | trailer
style jazz/walking: walking | walk
voice hats: hats | hat | hi-hats | hi-hat | hihats | hihat | hi hats | hi hat | hh | closed hats | closed hat | high hats | high hat
voice open_hat: open hats | open hat | open hi-hat | open hihat
voice kick: kick | kicks | kick drum | bass drum | bd | kik
voice snare: snare | snares | snare drum | sd
voice clap: clap | claps | handclap | handclaps | hand claps
voice rim: rim | rimshot | rim shot | rimshots | sidestick | side stick | rims
voice ride: ride | ride cymbal
voice crash: crash | crashes | crash cymbal
voice toms: toms | tom | tom toms | tom fills
voice cymbals: cymbals | cymbal
dir up: forward | more forward | to the front | up front | upfront | front and center | in front | up | higher | high | upward | upwards | raise | raised | above | sharper
dir down: dwn | in the back | to the back | further back | in the background | into the background | back in the mix | down | lower | low | downward | downwards | below | deeper pitch | flatter
dir left: left | leftward | left side
dir right: right | rightward | right side
dir center: recenter | re-center | center | centre | middle | centered | centred | mono center
amount small: a bit | a little | a touch | slightly | a tad | a smidge | a hair | subtly | somewhat | bit | little | touch | tad | just a bit | a little bit | kinda | kind of | gently | lightly | a notch | a hint of | hint of | a dash of | dash of
amount large: a lot | lots | lots of | much | way | really | very | super | heavily | tons of | a ton | massively | hugely | loads | loads of | seriously | drastically | totally | a lot of | so much | plenty of | heaps of | crazy | insanely | extremely | hard
amount full: fully | completely | all the way | entirely | max | maximum | hard
more more: more | extra | additional | increase | increased | further | even more | plus
less less: less | fewer | reduce | reduced | decrease | decreased | not so much | minus | lower amount | ease off | ease up on | back off on
protect touch: don't touch | do not touch | dont touch | don't mess with | dont mess with | do not mess with | hands off | no changes to
protect as_is: untouched | as is | as it is | as they are | where it is | where they are | the way it is | the way they are | like it is | like they are | unchanged
protect fine: fine | fine as is | perfect | perfect as is | good as is | ok as is | okay as is | good as it is | is good | are good | sounds good | sound good
compare than: than | compared to | compared with | relative to | versus | vs | next to | over everything | over everything else | over the rest | over the mix | in the mix
masks louder: drowning out | drowning | drown out | drowns out | drowns | burying | buries | bury | masking | masks | covering up | swamping | swamps | overpowering | overpowers | eating | eats | is eating | stepping on | steps on | fighting | fighting with | clashing with
purpose so: so it | so that | so they | so that it | so that they | so the | so it's | so its | so it can | so we can | so i can
toward modal: could be | should be | needs to be | need to be | has to be | have to be | ought to be | could sound | should sound | needs to sound | could get | should get | wants to be | could do with | could stand to be | would be better
extensions -: 7ths | 9ths | 11ths | 13ths | sevenths | ninths | elevenths | thirteenths | 7th chords | 9th chords | seventh chords | ninth chords | extended chords | extended harmony | extensions | extended voicings | jazz voicings | jazzy voicings | maj7s | maj7 chords | minor 7ths | major 7ths
too too: too | overly | too much | excessively | a bit much | a little much | way too much | swimming in | soaked in | soaking in | drowning in | awash in | awash with | bathed in | too much of
back back: back | back in
neg neg: no | not | without | don't | dont | do not | never | nothing | isn't | isnt | aren't | arent | doesn't | doesnt | wasn't | wasnt | ain't | aint | not quite | shouldn't | shouldnt | should not | mustn't | must not | needn't
enough enough: enough | enuf | nearly enough
ref it: it | that | this | them | those | these | they | that one | this one | the same | the last one | what you just added | what you added | the one we just added | the one you just added | the one i just added | what we just added | what i just added | the last thing i added | the last thing we added | the thing we just added | the thing you just made | the one you just made | the last part | the latest one | they're | theyre | they are | it is
ref all: it all | them all | all of them | everything | all | all of it | all stems | the whole thing | the mix | the track | the song | the beat and everything | every stem | all parts | everything else | every part | the whole track | the tune | all the stems | the full mix | the entire track | whole thing | tutti
ref rest: the rest | the others | others | other stems | rest | everything else | all the others | other parts | all other
except except: except | except for | but | apart from | other than | besides | aside from | excluding | save for | minus the | not the
only only: only | just | solely | nothing but | exclusively | alone | on its own | by itself | by themselves
density up: ghost notes | ghost note | ghosts | busier | busy | denser | dense | more notes | more complex | complex | fill it out | more active | livelier | lively | more going on | intricate | fuller pattern | more hits | extra hits | more fills
density down: simpler | simple | sparser | sparse | fewer notes | less busy | minimal | minimalist | thin out | calmer | less notes | stripped | cleaner pattern | simplify | empty | emptier | bare | barren
swing more: sloppy | bounce | bouncy | bouncier | bouncing | loosen | loosen up | loosen it up | looser | loose | sloppier | swing | swung | shuffle | shuffled | groove more | swingier | swingy | more swing | lazier | lazy | drunk | drunken | behind the beat
swing straight: stiff | stiffer | mechanical | stiff sounding | straight | straighten | rigid | robotic | dead straight | unswung
humanize more: humanize | humanise | humanized | humanised | humanizing | humanising | more human | human | human feel | feel played | feels played | sound played | played by hand | by hand | like a live drummer | like a live player | like a live band | like a real drummer | like a real player | a live drummer | live drummer | live player | live feel | feel live | more live | more organic | organic
humanize off: quantize | quantise | quantized | quantised | quantizing | quantising | back on the grid | on the grid | snap to the grid | snap to grid | back to the grid | to the grid | on grid
feel half: half time | half-time | halftime | half time feel | half-time feel
feel double: double time | double-time | doubletime | double time feel | double-time feel | twice as busy
feel normal: normal time | full time | regular time | back to normal time
fill on: fill | fills | drum fill | drum fills | fill in | fill-in | turnaround | build up
pattern sustain: sustained | sustain | long notes | held notes | whole notes | held chords | hold the chords | long chords | legato | ringing out | ring out | hold | hold them | hold it | held | let them ring | let it ring
pattern stabs: stabby | staccato | short chords | short notes | choppy | chopped up | stabbier
pattern halves: half notes | on the half notes
pattern quarters: quarter notes | on every beat | every beat | on each beat | four to the bar
pattern eighths: eighth notes | eighths | 8ths | driving eighths | pumping eighths | pumping
pattern offbeat: offbeat | off-beat | offbeats | off-beats | on the offbeat | on the offbeats | off the beat | upbeats | on the upbeat | on the upbeats
pattern skank: skank | skanking | upstrokes | upstroke
pattern charleston: charleston | charleston rhythm
pattern kick: lock to the kick | locked to the kick | locked with the kick | follow the kick | follows the kick | lock in with the kick | with the kick
voicing open: open voicing | open voicings | spread voicing | spread voicings | spread out the chords | wide voicings | wider voicings | spread out
voicing close: close voicing | close voicings | closed voicing | closed voicings | tight voicings | close harmony
voicing shell: shell voicing | shell voicings | shells
voicing power: power chord | power chords
timesig 3/4: waltz | waltz time | three four | 3 4
timesig 4/4: common time | four four | 4 4
timesig 6/8: six eight | 6 8 | compound time
mode major: major | maj | ionian | happy | happier | brighter key
mode minor: minor | min | aeolian | sad | sadder | moody key
mode dorian: dorian
mode phrygian: phrygian
mode lydian: lydian
mode mixolydian: mixolydian | mixo
mode locrian: locrian
mode harmonic minor: harmonic minor
sep and: and | then | and then | also | as well as | after that | afterwards | , | ; | . | & | plus also | plus | plus a | plus an
det own: my | our | mine
det def: the | your | his | her | their
det indef: a | an | some | any | one more | a couple of | a couple
fresh new: new | different | fresh | another | alternative | alternate | other | fresher
prep with: with | w | featuring | plus some | along with | using | that has | having
prep on: on | onto | to | for | in | into | over | at | across | under | beneath | underneath | through | from | of | by | as
filler -: u | ur | thx | ty | tbh | rly | abt | thing | things | think | thinking | quite | mind | playing | plays | doing | please | pls | plz | can | could | would | you | we | i | me | my | our | let's | lets | let | us | maybe | kind | sort | of | now | then | just a | like | really just | yo | hey | ok | okay | so | go | ahead | actually | also | thanks | thank | little | bit | more of | is | are | be | it's | its | its' | that's | there | here | should | will | want | wanna | gonna | try | something | stuff | sound | sounds | sounding | feel | feels | vibe | vibes | to be | get | got | have | has | or | ah | um | uh | hmm | alright | cool | nice | great | awesome | sweet | yeah | yes | please do | do | does | did | what | how | about | into it | song | track | loop | whole | some more | bits | tune it | couple | section | already | nothing else | and nothing else | nothing more | only that
""".strip()

#: Phrase (tuple of words) -> (kind, value)
LEXICON: dict[tuple[str, ...], tuple[str, str]] = {}
#: Adjective phrase -> sign (+1 or -1), the value in LEXICON is the canonical adjective
ADJ_SIGN: dict[tuple[str, ...], int] = {}
#: Style phrase -> drum style override (the LEXICON value is the genre)
STYLE_DRUMS: dict[tuple[str, ...], str] = {}
MAX_PHRASE = 1


def _load() -> None:
    global MAX_PHRASE
    for line in _TABLE.splitlines():
        head, _, phrases = line.partition(":")
        kind, _, value = head.strip().partition(" ")
        if kind not in Kind.__members__.values():
            raise ValueError(f"lexicon line {line[:40]!r}: kind {kind!r} is not one of {', '.join(Kind)}")
        for phrase in phrases.split("|"):
            words = tuple(phrase.strip().split())
            if not words or words in LEXICON:
                continue  # the first listing of a phrase wins
            sign = 1
            if kind == "adj":
                sign = -1 if value.endswith("-") else 1
                val = value.rstrip("+-")
            elif kind == "style":
                val, _, drums = value.partition("/")
                STYLE_DRUMS[words] = drums
            else:
                val = value
            LEXICON[words] = (kind, val)
            if kind == "adj":
                ADJ_SIGN[words] = sign
            MAX_PHRASE = max(MAX_PHRASE, len(words))


def _genre_lines() -> str:
    """``style`` lines for every genre and lookalike of :mod:`orchestria_lab.music.genres`: its
    name and aliases (hyphens also as spaces) name it, with the groove it plays."""
    lines = []
    for g in GENRES.values():
        names = dict.fromkeys(n for a in (g.name, *g.aliases) for n in (a, a.replace("-", " ")))
        lines.append(f"style {g.name}/{g.traits.drums}: " + " | ".join(names))
    for name, traits in LOOKALIKES.items():
        lines.append(f"style {name}/{traits.drums}: {name} | {name.replace(' ', '-')}")
    return "\n".join(lines)


def _effect_lines() -> str:
    """``effect`` lines for every effect of :data:`~orchestria_lab.audio.effects.EFFECT_SPECS`,
    from the words its record declares."""
    return "\n".join(f"effect {name}: " + " | ".join(spec.words) for name, spec in EFFECT_SPECS.items())


def _part_lines() -> str:
    """``role`` and ``instrument`` lines from the records of :mod:`orchestria_lab.music.vocabulary`."""
    return "\n".join([*(f"role {r.name}: " + " | ".join(r.words) for r in ROLE_RECORDS.values()),
                      *(f"instrument {i.name}: " + " | ".join(i.words) for i in INSTRUMENT_RECORDS.values())])


_TABLE = _TABLE.replace("{parts}", _part_lines()).replace("{effects}", _effect_lines()) + "\n" + _genre_lines()
_load()


@lru_cache(maxsize=4096)
def lookup(words: tuple[str, ...]) -> tuple[str, str] | None:
    """The ``(kind, value)`` of a phrase, or ``None``."""
    return LEXICON.get(words)


#: What the orchestra cannot make yet, by the "cannot" values of the table: refused by name,
#: never replaced by something it can make.
CANNOT: dict[str, str] = {
    "vocals": "vocals (singing, rap, lyrics) are not something these agents can make yet",
    "samples": "samples of recordings are not something these agents use; every part is written and synthesised",
}

#: Number words, for "sixteen bars", "one twenty", "a couple of dB".
NUMBER_WORDS: dict[str, float] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "couple": 2, "pair": 2, "few": 3, "dozen": 12, "hundred": 100,
}

#: Unit words -> canonical unit.
UNITS: dict[str, str] = {
    "bpm": "bpm", "bpms": "bpm", "db": "db", "dbs": "db", "decibel": "db", "decibels": "db",
    "%": "%", "percent": "%", "pct": "%", "semitone": "st", "semitones": "st", "st": "st",
    "semis": "st", "semi": "st", "halfstep": "st", "halfsteps": "st", "octave": "oct", "octaves": "oct",
    "oct": "oct", "bar": "bars", "bars": "bars", "measure": "bars", "measures": "bars",
    "beat": "beats", "beats": "beats", "second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
    "minute": "min", "minutes": "min", "min": "min", "mins": "min",
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms", "hz": "hz", "hertz": "hz", "khz": "khz",
    "k": "khz", "x": "x", "times": "x",
}

#: Intervals by name, in semitones.
INTERVALS: dict[tuple[str, ...], int] = {
    ("octave",): 12, ("octaves",): 12, ("semitone",): 1, ("half", "step"): 1, ("halfstep",): 1,
    ("half-step",): 1, ("whole", "step"): 2, ("whole", "tone"): 2, ("whole-step",): 2, ("step",): 2,
    ("tone",): 2, ("minor", "second"): 1, ("major", "second"): 2, ("minor", "third"): 3,
    ("major", "third"): 4, ("third",): 4, ("fourth",): 5, ("perfect", "fourth"): 5, ("tritone",): 6,
    ("fifth",): 7, ("perfect", "fifth"): 7, ("minor", "sixth"): 8, ("major", "sixth"): 9, ("sixth",): 9,
    ("minor", "seventh"): 10, ("seventh",): 10, ("major", "seventh"): 11, ("semitones",): 1,
    ("half", "steps"): 1, ("whole", "steps"): 2, ("steps",): 2,
}

#: Note values for delay times, in beats.
NOTE_VALUES: dict[str, float] = {
    "1/1": 4.0, "1/2": 2.0, "1/4": 1.0, "1/8": 0.5, "1/16": 0.25, "1/32": 0.125, "quarter": 1.0,
    "eighth": 0.5, "sixteenth": 0.25, "half-note": 2.0, "whole-note": 4.0, "1/8d": 0.75, "1/4d": 1.5,
    "1/8t": 1 / 3, "1/4t": 2 / 3, "dotted-eighth": 0.75, "dotted-quarter": 1.5,
}
