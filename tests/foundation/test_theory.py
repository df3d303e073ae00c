import pytest

from orchestria_lab.errors import InvalidValue
from orchestria_lab.music.genres import normalize_genre
from orchestria_lab.music.theory import beats_per_bar, parse_key, parse_time_signature, same_key


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("C", "C"), ("Cm", "Cm"), ("F#m", "F#m"), ("Bb", "Bb"), ("E flat major", "Eb"),
        ("g minor", "Gm"), ("D dorian", "D dorian"), ("c#", "C#"), ("Ab minor", "Abm"),
        ("F sharp minor", "F#m"), ("a aeolian", "Am"), ("Bbm", "Bbm"), ("e", "E"),
    ],
)
def test_keys_are_normalised(text, name):
    assert parse_key(text).name == name


@pytest.mark.parametrize("bad", ["H", "", "C minorish", "Cmm", "X#", "12"])
def test_bad_keys_say_what_is_valid(bad):
    with pytest.raises(InvalidValue, match="a key such as C, Cm, F#m"):
        parse_key(bad)


def test_scales_and_chords_are_diatonic():
    cm = parse_key("Cm")
    assert cm.scale == (0, 2, 3, 5, 7, 8, 10)
    assert cm.chord(1).symbol == "Cm"
    assert cm.chord(5).symbol == "Gm"  # natural minor v
    assert parse_key("C").chord(2, seventh=True).symbol == "Dm7"
    assert parse_key("C").chord(5, seventh=True).symbol == "G7"
    assert parse_key("F").chord(1, ninth=True).symbol == "Fmaj9"
    for degree in range(1, 8):
        assert set(cm.chord(degree, seventh=True).pitch_classes) <= set(cm.scale)


def test_enharmonic_keys_compare_equal():
    assert same_key("C#m", "Dbm") and same_key("Eb", "D#") and not same_key("Eb", "Ebm")


def test_transpose_keeps_mode():
    assert parse_key("Cm").transpose(2).name == "Dm"
    assert parse_key("A").transpose(-2).name == "G"


def test_time_signatures():
    assert parse_time_signature(" 3 / 4 ") == (3, 4)
    assert beats_per_bar("6/8") == 3.0
    for bad in ["3/5", "0/4", "4", "four/four", "33/4"]:
        with pytest.raises(InvalidValue, match="n/d"):
            parse_time_signature(bad)


@pytest.mark.parametrize(
    ("text", "genre"),
    [("lofi", "lo-fi"), ("Lo-Fi Hip Hop", "lo-fi"), ("boom bap", "hip-hop"), ("deep house", "house"),
     ("dnb", "drum-and-bass"), ("jaz", "jazz"), ("neo soul", "soul"), ("synthwave pop", "synthwave"),
     ("UK Garage", "uk-garage"), ("bossa nova", "bossa-nova"), ("afrobeat", "afrobeats"), ("dubstepp", "dubstep")],
)
def test_free_text_genres_map_to_the_nearest_style(text, genre):
    assert normalize_genre(text) == genre


def test_the_genre_table_covers_common_styles_each_with_what_it_is_made_of():
    from orchestria_lab.music.genres import GENRES, MODEL_GENRES
    from orchestria_lab.music.grooves import GROOVES
    from orchestria_lab.music.lines import BASS_STYLES
    from orchestria_lab.music.progressions import FAMILIES

    assert len(GENRES) >= 30 and set(MODEL_GENRES) <= set(GENRES)
    for name in ("dubstep", "synthwave", "drill", "afrobeats", "bossa-nova", "metal", "gospel", "ambient-techno",
                 "uk-garage"):
        assert name in GENRES
    for g in GENRES.values():  # every trait names something the agents can play
        assert g.traits.drums in GROOVES and g.traits.harmony in FAMILIES and g.base in MODEL_GENRES
        assert g.bass is None or g.bass in BASS_STYLES
        lo, hi = g.bpm
        assert 40 <= lo < hi <= 220 and 0 <= g.swing <= 1


@pytest.mark.parametrize(("text", "allowed"), [
    ("vaporwave", {"synthwave"}), ("shoegaze", {"rock", "ambient"}), ("bluegrass", {"folk", "country"}),
    ("phonk", {"trap", "drill"}), ("motown", {"soul", "funk", "rnb"}), ("grime", {"drill", "uk-garage", "dubstep"})])
def test_a_style_we_do_not_make_maps_to_the_nearest_by_its_traits_and_says_so(text, allowed):
    from orchestria_lab.music.genres import match_genre

    match = match_genre(text)
    assert match.genre in allowed
    assert text in match.note and match.genre in match.note and "nearest" in match.note
    assert match_genre("house").note == ""  # a style we make is taken as it is


def test_unknown_genre_lists_styles():
    with pytest.raises(InvalidValue, match="a style such as lo-fi"):
        normalize_genre("qqqq zzzz")


@pytest.mark.parametrize(
    ("key", "degree", "symbol"),
    [("Cm", 6, "Ab"), ("Cm", 7, "Bb"), ("Dm", 6, "Bb"), ("Em", 2, "F#dim"), ("A", 3, "C#m"),
     ("F", 4, "Bb"), ("C#m", 3, "E")],
)
def test_chords_are_spelled_like_their_key(key, degree, symbol):
    assert parse_key(key).chord(degree).symbol == symbol


def test_add9_chords_have_names():
    from orchestria_lab.music.theory import Chord

    assert Chord(0, (0, 4, 7, 14)).symbol == "Cadd9" and Chord(9, (0, 3, 7, 14)).symbol == "Amadd9"
