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
     ("dnb", "drum-and-bass"), ("jaz", "jazz"), ("neo soul", "rnb"), ("synthwave pop", "pop")],
)
def test_free_text_genres_map_to_the_nearest_style(text, genre):
    assert normalize_genre(text) == genre


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
