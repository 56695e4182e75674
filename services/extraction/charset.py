"""The recogniser's alphabet: what a certificate prints, one class per character (NFC).

Every Vietnamese letter in both cases (precomposed), the other Latin letters (English glosses,
serial numbers), digits, and the punctuation of labels and values. Class 0 is the CTC blank.
The trained model stores the alphabet it was trained with; the engine refuses a model whose
alphabet is not this one.
"""

from __future__ import annotations

import unicodedata

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_CONSONANTS = "bcdđfghjklmnpqrstvwxz"
PUNCTUATION = " .,:;-/()'°\"&+%#*!?"


def _letters() -> str:
    lower = {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES} | set(_CONSONANTS)
    return "".join(sorted(lower | {ch.upper() for ch in lower}))


LETTERS = _letters()
DIGITS = "0123456789"
ALPHABET = LETTERS + DIGITS + PUNCTUATION
BLANK = 0
INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}  # class of each character
CLASSES = len(ALPHABET) + 1


def normalise(text: str) -> str:
    """NFC, the look-alikes print and OCR produce folded onto the alphabet, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_LOOK_ALIKES)
    return " ".join(text.split())


_LOOK_ALIKES = str.maketrans({"º": "°", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"',
                              "⁄": "/", "∕": "/", "…": "...", "\u00a0": " ", "Ð": "Đ", "ð": "đ"})


def encode(text: str) -> list[int]:
    """The classes of a normalised text; KeyError for a character outside the alphabet."""
    return [INDEX[ch] for ch in text]


def covered(text: str) -> bool:
    return all(ch in INDEX for ch in text)


def decode(classes: list[int]) -> str:
    return "".join(ALPHABET[c - 1] for c in classes if c != BLANK)
