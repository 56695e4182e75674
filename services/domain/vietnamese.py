"""Vietnamese text: folding diacritics for fuzzy matching, and telling a real syllable from an
OCR accident.

A Vietnamese syllable is (onset)(rhyme) with one tone, and the tones are restricted after the
stop codas p, t, c, ch (only sắc or nặng). OCR errors on tone and vowel marks often produce
strings that break these rules (`NGUYẼN`, `HƯÔNG`), which is a cheap, strong doubt signal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# Tone marks as combining characters (NFD).
_TONES = {"\u0300": "huyen", "\u0301": "sac", "\u0303": "nga", "\u0309": "hoi", "\u0323": "nang"}


def fold(text: str) -> str:
    """Lower case without any diacritic and with đ as d: 'Tên chủ xe' -> 'ten chu xe'."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "d")


def fold_key(text: str) -> str:
    """`fold`, with each run of anything but letters and digits as one space: a key for loose
    matching of names ('Tp. Hồ Chí Minh' -> 'tp ho chi minh')."""
    return _NOT_ALNUM.sub(" ", fold(text)).strip()


def split_tone(syllable: str) -> tuple[str, str]:
    """('tiếng') -> ('tiêng', 'sac'): the syllable without its tone mark, and the tone."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    tone = "ngang"
    kept = []
    for ch in decomposed:
        if ch in _TONES:
            if tone != "ngang":
                return "", "invalid"  # two tone marks
            tone = _TONES[ch]
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


_ONSETS = (
    "ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)

_RHYMES = set(
    """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêt yêu
    o oc oi om on ong op ot oong ooc
    oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u uc ui um un ung up ut ua uôc uôi uôm uôn uông uôt
    uân uâng uât uây uê uêch uênh uơ uy uya uych uyn uynh uyp uyt uyu uyên uyêt
    ư ưc ưi ưm ưn ưng ưt ưu ưa ươc ươi ươm ươn ương ươp ươt ươu
    """.split()
)
# After `qu` the medial (written o or u elsewhere: hoang, tuân) is spent: quang, quân, quyên, quê.
_QU_RHYMES = {r[1:] for r in _RHYMES if r[0] in "ou" and len(r) > 1 and r[1] in "aăâeêyơ"} | {"ôc"}
# After `gi` an initial i is dropped in writing: gìn, giêng -> gi + êng (giếng), giữ.
_GI_EXTRA = {"êng", "êt", "êc", "êm", "ên", "êu", "ê"}
_STOP_CODAS = ("p", "t", "c", "ch")


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable (any case, with or without tone mark)."""
    word = unicodedata.normalize("NFC", word or "")  # combining marks are not alphabetic
    if not word or not word.isalpha():
        return False
    base, tone = split_tone(word)
    if tone == "invalid" or not base:
        return False
    for onset in _ONSETS:
        if not base.startswith(onset):
            continue
        rhyme = base[len(onset):]
        if onset == "qu":
            valid = rhyme in _QU_RHYMES
        elif onset == "gi":
            valid = rhyme in _RHYMES or rhyme in _GI_EXTRA or rhyme == ""
        else:
            valid = rhyme in _RHYMES
        if not valid:
            continue
        if rhyme.endswith(_STOP_CODAS) and tone not in ("sac", "nang"):
            continue
        if onset in ("k", "gh", "ngh") and not rhyme.startswith(("i", "e", "ê", "y")):
            continue
        return True
    return False


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def invalid_syllables(text: str, *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """The alphabetic tokens of `text` that are not Vietnamese syllables (case-insensitive),
    leaving out the tokens listed in `ignore` (folded, e.g. abbreviations)."""
    bad = []
    for token in _WORD.findall(unicodedata.normalize("NFC", text)):
        if fold(token) in ignore:
            continue
        if not is_syllable(token):
            bad.append(token)
    return bad


# Family names, which begin almost every full name: common enough to respell a first word
# that matches one without diacritics (ĐĂNG -> ĐẶNG).
SURNAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
    "Dương", "Lý", "Đào", "Đoàn", "Đinh", "Lâm", "Mai", "Trịnh", "Trương", "Lương", "Lưu", "Tô", "Tạ", "Hà",
    "Cao", "Chu", "Châu", "Quách", "Thái", "Kiều", "Từ", "Tăng", "Mạc", "Văn", "Triệu", "Vương", "Phùng",
    "Âu", "Khúc", "Khổng", "Hứa", "La", "Lạc", "Lò", "Doãn", "Nghiêm", "Tôn", "Thân", "Giang", "Quan",
    "Phí", "Ông", "Diệp", "Hàn", "Kim", "Ninh", "Tống", "Mẫn", "Bạch", "Lục", "Viên", "Khương", "Trình",
)
_SURNAME_BY_FOLD: dict[str, str] = {}
for _name in SURNAMES:
    _SURNAME_BY_FOLD.setdefault(fold(_name), _name)


def surname_spelling(word: str) -> str | None:
    """The usual spelling of a family name written without or with wrong tone marks, or None
    when the word is no family name. Several names share a folded form (Đào/Đáo do not, but
    Hồ/Hổ would): only the common one is offered, and only for an invalid or rare reading."""
    return _SURNAME_BY_FOLD.get(fold(word))
