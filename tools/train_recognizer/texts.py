"""Random texts for training lines, so that the recogniser learns letters, not our name lists:
Vietnamese syllables built from onsets, rhymes and tones (every one a well-formed syllable),
serial-like alphanumerics, numbers, dates and plates in the cards' writings, and mixtures."""

from __future__ import annotations

import random
import string
import unicodedata

from services.domain.vietnamese import is_syllable

_ONSETS = ("", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p",
           "ph", "qu", "r", "s", "t", "th", "tr", "v", "x")
_RHYMES = ("a", "ai", "am", "an", "ang", "anh", "ao", "au", "ay", "ac", "ach", "ap", "at", "ăm", "ăn", "ăng", "ăc",
           "ăt", "âm", "ân", "âng", "âu", "ây", "âc", "ât", "e", "em", "en", "eng", "eo", "ec", "et", "ê", "êm", "ên",
           "ênh", "êu", "êch", "êt", "i", "ia", "im", "in", "inh", "iu", "ich", "it", "iêm", "iên", "iêng", "iêu",
           "iêt", "o", "oi", "om", "on", "ong", "oc", "ot", "oa", "oai", "oan", "oang", "oanh", "oat", "oe", "ô",
           "ôi", "ôm", "ôn", "ông", "ôc", "ôt", "ơ", "ơi", "ơm", "ơn", "ơt", "u", "ui", "um", "un", "ung", "uc", "ut",
           "ua", "uân", "uôi", "uôn", "uông", "uôc", "uy", "uyên", "uyêt", "uynh", "ư", "ưa", "ưi", "ưng", "ưu", "ưc",
           "ươi", "ươn", "ương", "ươc", "ươt", "y", "yên", "yêu")
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_MARKED = "ăâêôơư"


def _place_tone(base: str, tone: str) -> str:
    """Put the tone mark where print puts it: on the marked vowel (ơ in ươ), else on the last
    vowel before a final consonant, else on the first of two final vowels."""
    if not tone:
        return base
    vowels = [i for i, ch in enumerate(base) if ch in "aăâeêioôơuưy"]
    if base.startswith(("qu", "gi")) and len(vowels) > 1:
        vowels = vowels[1:]
    if not vowels:
        return base
    marked = [i for i in vowels if base[i] in _MARKED]
    if marked:
        at = marked[-1]
    elif vowels[-1] < len(base) - 1 or len(vowels) == 1:
        at = vowels[-1]
    else:
        at = vowels[-2]
    return unicodedata.normalize("NFC", base[:at + 1] + tone + base[at + 1:])


def syllable(rng: random.Random) -> str:
    while True:
        base = rng.choice(_ONSETS) + rng.choice(_RHYMES)
        tone = rng.choice(_TONES)
        if base.endswith(("p", "t", "c", "ch")):
            tone = rng.choice(("\u0301", "\u0323"))
        word = _place_tone(base, tone)
        if is_syllable(word):
            return word


def _case(rng: random.Random, words: list[str]) -> list[str]:
    style = rng.random()
    if style < 0.45:
        return [w.upper() for w in words]
    if style < 0.75:
        return [w[:1].upper() + w[1:] for w in words]
    return words


def vietnamese(rng: random.Random) -> str:
    words = _case(rng, [syllable(rng) for _ in range(rng.randint(1, 7))])
    if len(words) > 3 and rng.random() < 0.3:
        words[rng.randrange(1, len(words) - 1)] += ","
    return " ".join(words)


def serial(rng: random.Random) -> str:
    alphabet = string.ascii_uppercase + string.digits * 2
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 17)))
    if rng.random() < 0.3:
        cut = rng.randrange(2, max(3, len(text) - 2))
        text = text[:cut] + "-" + text[cut:]
    return text


def number(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.25:
        return f"{rng.randint(1, 31):0{rng.choice((1, 2))}d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2035)}"
    if kind < 0.45:
        n = rng.randint(1, 99999)
        return f"{n:,}".replace(",", ".") if rng.random() < 0.6 else str(n)
    if kind < 0.6:
        return f"{rng.randint(1, 9)},{rng.randint(0, 99):02d} m"
    if kind < 0.8:
        letters = "ABCDEFGHKLMNPSTUVXYZ"
        series = rng.choice(letters) + (rng.choice(letters + string.digits) if rng.random() < 0.5 else "")
        tail = (f"{rng.randint(0, 999):03d}.{rng.randint(0, 99):02d}" if rng.random() < 0.7
                else f"{rng.randint(0, 9999):04d}")
        return f"{rng.randint(10, 99)}{series}-{tail}"
    return "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 12)))


def latin(rng: random.Random) -> str:
    """English-gloss-like words: any Latin letters, brackets, apostrophes."""
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 9)))
             for _ in range(rng.randint(1, 4))]
    words = _case(rng, words)
    text = " ".join(words)
    if rng.random() < 0.3:
        text = f"{text}'s" if rng.random() < 0.5 else f"{text} N°"
    return f"({text})" if rng.random() < 0.5 else text


def mixed(rng: random.Random) -> str:
    parts = [rng.choice((vietnamese, number, serial))(rng) for _ in range(rng.randint(2, 3))]
    separator = rng.choice((" ", ", ", ": ", " - "))
    return separator.join(parts)


GENERATORS = ((vietnamese, 0.42), (serial, 0.16), (number, 0.17), (mixed, 0.15), (latin, 0.10))


def random_text(rng: random.Random) -> str:
    generator = rng.choices([g for g, _ in GENERATORS], weights=[w for _, w in GENERATORS])[0]
    return generator(rng)
