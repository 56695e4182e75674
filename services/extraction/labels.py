"""The printed labels of a certificate and how to find them in OCR output.

Labels are matched on folded text (no diacritics, lower case), so a label read without its tone
marks, or with one letter wrong, is still found. Each label is known by its Vietnamese words and
by the English gloss printed after it; either one is enough. Labels that introduce no field of
ours (horsepower, size...) are still found: they end the value before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Optional, Sequence

from rapidfuzz import fuzz, process

from services.domain.vietnamese import fold


@dataclass(frozen=True)
class Label:
    key: str  # a seed field name, or a name for a label that only ends values
    variants: tuple[str, ...]  # folded phrases
    field: Optional[str] = None  # the seed field whose value follows
    short_ok: bool = False  # short variants only count in their row's context (the load row)


LABELS: tuple[Label, ...] = (
    Label("name", ("ten chu xe", "ho ten chu xe", "ho va ten chu xe", "chu xe", "chu so huu", "owner s full name",
                   "owner full name", "owners full name", "owner s name", "full name", "owner"), "name"),
    Label("address", ("dia chi", "dia chi thuong tru", "noi thuong tru", "address"), "address"),
    Label("engine", ("so may", "so dong co", "engine n", "engine no", "engine number", "engine n o"), "engine"),
    Label("chassis", ("so khung", "chassis n", "chassis no", "chassis number", "frame no", "so vin"), "chassis"),
    Label("brand", ("nhan hieu", "nhan hieu xe", "brand", "hieu xe", "mark"), "brand"),
    Label("model", ("so loai", "model code", "model", "kieu loai"), "model"),
    Label("type", ("loai xe", "type"), "type"),
    Label("color", ("mau son", "mau xe", "color", "colour"), "color"),
    Label("capacity", ("dung tich", "dung tich xi lanh", "capacity", "cylinder capacity"), "capacity"),
    Label("year_of_manufacture", ("nam san xuat", "nam sx", "year of manufacture", "year of manuf",
                                  "manufacture year"), "year_of_manufacture"),
    Label("engine_name", ("ten dong co", "nhan hieu dong co", "b of e", "b o e")),
    Label("horsepower", ("cong suat", "horsepower", "horse power")),
    Label("empty_weight", ("tu trong", "empty weight", "khoi luong ban than")),
    Label("dimensions", ("kich thuoc bao", "kich thuoc")),
    Label("length", ("dai", "length"), short_ok=True),
    Label("width", ("rong", "width"), short_ok=True),
    Label("height", ("cao", "height"), short_ok=True),
    Label("load", ("tai trong", "tai trong cho phep")),
    Label("sit", ("so cho ngoi", "cho ngoi", "sit", "seats", "so cho"), "sit"),
    Label("stand", ("dung", "stand", "cho dung"), "stand", short_ok=True),
    Label("lie", ("nam", "lie", "cho nam"), "lie", short_ok=True),
    Label("pay_load", ("hang hoa", "hang hoa kg", "goods", "tai trong hang hoa"), "pay_load"),
    Label("valid_until", ("dang ky xe co gia tri den ngay", "co gia tri den ngay", "co gia tri den",
                          "gia tri den ngay", "valid until")),
    Label("plate", ("bien so dang ky", "bien so xe", "bien so", "n plate", "no plate", "plate n", "plate no",
                    "number plate", "bien kiem soat"), "plate"),
    Label("first_issue_date", ("dang ky lan dau ngay", "dang ky lan dau", "ngay dang ky lan dau",
                               "date of first registration", "first registration"), "first_issue_date"),
    Label("id_card", ("so cmnd ho chieu", "so cmnd", "so cccd", "so cccd cmnd", "ho chieu", "so dinh danh",
                      "so dinh danh ca nhan", "id card no", "id card passport n", "passport")),
    Label("origin", ("nguon goc", "nguon goc xe", "origin", "xuat xu")),
    Label("issuer", ("co quan dang ky", "noi dang ky", "don vi dang ky", "co quan cap", "registered by",
                     "registered at", "registration office", "issued by"), "issued_at"),
)
BY_KEY = {label.key: label for label in LABELS}
LOAD_ROW_KEYS = ("sit", "stand", "lie", "pay_load", "load")
SIZE_ROW_KEYS = ("dimensions", "length", "width", "height")


@dataclass
class LabelHit:
    label: Label
    start: int  # first word index in the row
    end: int  # one past the last word of the label, its English gloss and colon
    score: float  # 0..1

    @property
    def key(self) -> str:
        return self.label.key


def _clean(word: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", fold(word)).strip()


@lru_cache(maxsize=1)
def _variants() -> list[tuple[Label, str, int]]:
    out = []
    for label in LABELS:
        for variant in label.variants:
            out.append((label, variant, len(variant.split())))
    return out


# Below every threshold a label is accepted at (0.82): ratios under it are not worth returning.
_NEAR = 80.0


@lru_cache(maxsize=1)
def _variant_texts() -> tuple[list[str], int]:
    """The variants' texts in the order of `_variants()`, and the most words one has."""
    variants = _variants()
    return [variant for _label, variant, _size in variants], max(size for _l, _v, size in variants)


def _scored(text: str, variant: str, ratio: float, cutoff: float) -> float:
    """How like a variant a window's text is, 0..1, from their fuzzy ratio (0-100): 1.0 for
    the same text, else the ratio when it reaches `cutoff` (0..1) and 0.0 below it."""
    if text == variant:
        return 1.0
    if len(variant) < 6:
        return 0.0  # short words must match exactly
    return ratio / 100.0 if ratio >= cutoff * 100 else 0.0


def _in_context(label: Label, *, load_row: bool, size_row: bool) -> bool:
    """Short labels ("dài", "nằm") count only in their own row (the load or the size row)."""
    return not label.short_ok or (load_row and label.key in LOAD_ROW_KEYS) or (size_row and label.key in SIZE_ROW_KEYS)


def find_labels(words: Sequence[str], *, load_row: bool = False, size_row: bool = False) -> list[LabelHit]:
    """Labels in one row of words, left to right, not overlapping."""
    folded = [_clean(w) for w in words]
    has_digit = [bool(re.search(r"\d", w)) for w in words]
    candidates: list[tuple[float, int, LabelHit]] = []
    # Each window's text once per row, not once per variant: this runs for every row of every
    # reading of a page.
    windows: dict[tuple[int, int], Optional[str]] = {}

    def window(start: int, width: int) -> Optional[str]:
        key = (start, width)
        if key not in windows:
            fits = width >= 1 and start + width <= len(words) and not any(has_digit[start:start + width])
            windows[key] = " ".join(w for w in folded[start:start + width] if w) if fits else None
        return windows[key]

    variants = _variants()
    texts, widest = _variant_texts()
    for start in range(len(words)):
        if not folded[start] or has_digit[start]:
            continue
        # Every variant against every window from here, in one call per window (rapidfuzz's
        # loop, not Python's): the fuzzy ratios, 0-100, of those that come near.
        ratios: dict[tuple[int, int], float] = {}
        for width in range(1, widest + 2):
            text = window(start, width)
            if text is None:
                continue
            for _choice, ratio, index in process.extract(text, texts, scorer=fuzz.ratio, score_cutoff=_NEAR,
                                                         limit=None):
                ratios[(index, width)] = ratio
        for index in sorted({index for index, _width in ratios}):
            label, variant, size = variants[index]
            if not _in_context(label, load_row=load_row, size_row=size_row):
                continue
            # Compare windows of about the variant's size (OCR merges and splits words); the
            # best window wins, and a window of the variant's own size wins a tie.
            best: Optional[tuple[float, int]] = None
            threshold = 0.82 if len(variant) >= 10 else 0.86
            for width in (size, size + 1, size - 1):
                ratio = ratios.get((index, width))
                if ratio is None:
                    continue
                penalty = 0.03 * abs(width - size)
                score = _scored(window(start, width) or "", variant, ratio, threshold + penalty) - penalty
                if score >= threshold and (best is None or score > best[0]):
                    best = (score, width)
            if best is not None:
                hit = LabelHit(label, start, start + best[1], min(1.0, best[0]))
                candidates.append((best[0], len(variant), hit))
    chosen: list[LabelHit] = []
    # Longer and better matches first; then keep those that do not overlap a chosen one.
    # The most evidence first: a good match of a long label ("nhãn hiệu động cơ") beats a
    # perfect match of a shorter one inside it ("nhãn hiệu"); then keep those that do not
    # overlap one already chosen.
    for _score, _length, hit in sorted(candidates, key=lambda c: (-c[0] * c[1], -c[0], c[2].start)):
        if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
            chosen.append(hit)
    chosen.sort(key=lambda h: h.start)
    # One field, one label: a gloss next to its Vietnamese label is the same label.
    merged: list[LabelHit] = []
    for hit in chosen:
        if merged and merged[-1].key == hit.key and hit.start - merged[-1].end <= 2:
            merged[-1] = LabelHit(hit.label, merged[-1].start, hit.end, max(hit.score, merged[-1].score))
        else:
            merged.append(hit)
    for i, hit in enumerate(merged):
        limit = merged[i + 1].start if i + 1 < len(merged) else len(words)
        hit.end = _skip_gloss(words, hit.end)
        # A label closed by its gloss's bracket or its colon has ended: what follows is the
        # value, however much it looks like a label's words ("(Registered at): Công an TP").
        if not re.search(r"[)\]}:]\W*$", words[hit.end - 1]):
            hit.end = _skip_garbled_gloss(folded, has_digit, hit, limit)
    return _with_colon_labels(words, folded, has_digit, merged, load_row=load_row, size_row=size_row)


# --- labels worded otherwise, ended by their colon ----------------------------------------------
# A form's label ends with a colon, whatever its wording: words before a colon that no phrase
# above matched are compared word by word, in any order, with abbreviations ("SK" for "số khung",
# "S." for "số", "DT xi lanh") and a few synonyms of the printed words allowed. The colon is the
# evidence that lets a looser match count.
_SYNONYMS = (("phuong tien", "xe"), ("so huu", "xe"), ("can cuoc", "cccd"), ("hang", "hieu"),
             ("kieu", "loai"), ("xuat xuong", "san xuat"), ("sx", "san xuat"))
_COLON_THRESHOLD = 0.75
_COLON_WINDOW = 5
# Words too common to name a label by themselves.
_COMMON_WORDS = frozenset({"so", "xe", "ngay", "nam", "cua", "n", "no", "of", "s", "the", "va", "ho", "ten"})


def _ends_with_colon(words: Sequence[str], index: int) -> bool:
    text = words[index].rstrip()
    return text.endswith((":", ";")) and len(text.strip(":; ")) > 0 or \
        (index + 1 < len(words) and words[index + 1].strip() in (":", ";"))


class _Token(NamedTuple):
    text: str  # folded
    dotted: bool  # written shortened with a dot ("S.")
    capitals: bool  # written in capitals or cut by a slash: it may stand for initials ("SK", "Đ/c")


def _tokens(words: Sequence[str]) -> list[_Token]:
    """Folded words of a window (a slash or a dot splits them)."""
    out: list[_Token] = []
    for word in words:
        if re.fullmatch(r"\W*[^\W\d_]/[^\W\d_]\W*", word):
            # Single letters cut apart by a slash ("Đ/c", "S/K") are one abbreviation.
            out.append(_Token(re.sub(r"[^a-z]", "", fold(word)), False, True))
            continue
        capitals = word.isupper()
        out.extend(_Token(m.group(0).rstrip("."), m.group(1) is not None, capitals)
                   for m in re.finditer(r"[0-9a-z]+(\.)?", fold(word)))
    joined = " ".join(t.text for t in out)
    for phrase, replacement in _SYNONYMS:
        if re.search(rf"\b{phrase}\b", joined):
            flags = {t.text: t for t in out}
            joined = re.sub(rf"\b{phrase}\b", replacement, joined)
            out = [_Token(t, flags[t].dotted, flags[t].capitals) if t in flags else _Token(t, False, False)
                   for t in joined.split()]
    # A synonym may repeat a word it stands beside ("kiểu loại"): each word counts once.
    seen: set[str] = set()
    return [t for t in out if not (t.text in seen or seen.add(t.text))]


def _word_match(token: _Token, variant_words: Sequence[str], covered: list[bool]) -> Optional[list[int]]:
    """Which variant words a token stands for: one word (read with a letter wrong if long), the
    initials of two to four words in a row, written in capitals ("SK", "DT"), or a word
    shortened with a dot ("s.")."""
    text = token.text
    for j, word in enumerate(variant_words):
        if not covered[j] and (text == word or (len(text) >= 4 and len(word) >= 4 and fuzz.ratio(text, word) >= 80)):
            return [j]
    if token.capitals and 2 <= len(text) <= 4:
        for j in range(len(variant_words) - len(text) + 1):
            span = range(j, j + len(text))
            if not any(covered[k] for k in span) and "".join(variant_words[k][0] for k in span) == text:
                return list(span)
    if token.dotted and len(text) <= 2:
        for j, word in enumerate(variant_words):
            if not covered[j] and len(word) > len(text) and word.startswith(text):
                return [j]
    return None


def _colon_score(tokens: Sequence[_Token], variant: str) -> float:
    """How well a window's words cover a variant and are covered by it (a Dice score on their
    letters, 0..1); 0.0 when a token stands for nothing in it."""
    variant_words = variant.split()
    covered = [False] * len(variant_words)
    matched = unmatched = 0
    for token in tokens:
        span = _word_match(token, variant_words, covered)
        if span is None:
            unmatched += len(token.text)
            continue
        for k in span:
            covered[k] = True
        matched += sum(len(variant_words[k]) for k in span)
    letters = sum(len(w) for w in variant_words)
    # One short word of a longer label ("chủ" of "chủ xe") is not enough to name it.
    if not matched or (sum(covered) < 2 and matched < 0.7 * letters):
        return 0.0
    return 2.0 * matched / (letters + matched + unmatched)


@lru_cache(maxsize=1)
def _distinctive_words() -> dict[str, Label]:
    """Words that belong to one label only ("mau", "khung"): said alone before a colon, they
    name it."""
    owners: dict[str, set[str]] = {}
    for label in LABELS:
        for variant in label.variants:
            for word in variant.split():
                owners.setdefault(word, set()).add(label.key)
    return {word: BY_KEY[next(iter(keys))] for word, keys in owners.items()
            if len(keys) == 1 and len(word) >= 3 and word not in _COMMON_WORDS}


def _colon_label(words: Sequence[str], start: int, end: int, *, load_row: bool, size_row: bool
                 ) -> Optional[tuple[float, Label]]:
    tokens = _tokens(words[start:end])
    if not tokens:
        return None
    inside = re.search(r"\(([^)]*)\)?", " ".join(words[start:end]))
    # With a gloss in brackets, the Vietnamese words and the gloss each may name the label.
    parts = [tokens]
    if inside:
        outside_words = re.sub(r"\([^)]*\)?", " ", " ".join(words[start:end])).split()
        parts = [tokens, _tokens(outside_words), _tokens(inside.group(1).split())]
    best: Optional[tuple[float, Label]] = None
    for part in parts:
        if not part:
            continue
        label = _distinctive_words().get(part[0].text) if len(part) == 1 else None
        if label is not None and (best is None or 0.8 > best[0]):
            best = (0.8, label)
        for label, variant, _size in _variants():
            if not _in_context(label, load_row=load_row, size_row=size_row):
                continue
            score = _colon_score(part, variant)
            if score >= _COLON_THRESHOLD and (best is None or score > best[0]):
                best = (score, label)
    return best


def _with_colon_labels(words: Sequence[str], folded: Sequence[str], has_digit: Sequence[bool],
                       hits: list[LabelHit], *, load_row: bool, size_row: bool) -> list[LabelHit]:
    """`hits` and the labels found by their colon among the words no hit holds."""
    held = [False] * len(words)
    for hit in hits:
        for k in range(hit.start, min(len(words), max(hit.end, hit.start + 1))):
            held[k] = True
    found: list[LabelHit] = []
    for index in range(len(words)):
        if held[index] or has_digit[index] or not _ends_with_colon(words, index):
            continue
        best: Optional[tuple[float, int, Label]] = None
        for start in range(index, max(-1, index - _COLON_WINDOW), -1):
            if held[start] or has_digit[start] or (start < index and _ends_with_colon(words, start)):
                break
            if not folded[start]:
                continue
            scored = _colon_label(words, start, index + 1, load_row=load_row, size_row=size_row)
            if scored is not None and (best is None or scored[0] > best[0] + 0.02):
                best = (scored[0], start, scored[1])
        if best is None:
            continue
        # Label words just before the best window belong to it ("Hiệu" of "Hiệu động cơ", which
        # names another label than "động cơ"); a value's words (a name before "SM:") do not.
        start = best[1]
        while start - 1 >= 0 and start - 1 > index - _COLON_WINDOW and not held[start - 1] \
                and not has_digit[start - 1] and not _ends_with_colon(words, start - 1) \
                and folded[start - 1] in _label_vocabulary() and not words[start - 1].isupper():
            start -= 1
        if start < best[1]:
            wider = _colon_label(words, start, index + 1, load_row=load_row, size_row=size_row)
            if wider is None:
                continue  # the whole label is one we do not know ("Ngày cấp:" is no "cấp")
            best = (wider[0], start, wider[1])
        end = index + 1
        while end < len(words) and words[end].strip() in (":", ";"):
            end += 1
        found.append(LabelHit(best[2], best[1], end, round(0.95 * best[0], 3)))
        for k in range(best[1], end):
            held[k] = True
    if not found:
        return hits
    # A field labelled twice keeps the phrase match.
    keys = {hit.key for hit in hits}
    return sorted(hits + [hit for hit in found if hit.key not in keys], key=lambda h: h.start)


# A label's gloss read too badly to be found on its own ("OWOERS SƯNE" for "Owner's name") is
# still recognisable right after its label; values are never close to their own label's words.
def _gloss_threshold(variant: str) -> Optional[float]:
    if len(variant) < 5:
        return None  # a short word could be the start of the value
    return 0.6 if len(variant) >= 10 else 0.75


def _skip_garbled_gloss(folded: Sequence[str], has_digit: Sequence[bool], hit: LabelHit, limit: int) -> int:
    index = hit.end
    while index < limit and not folded[index]:
        index += 1  # a slash or bracket between the label and its gloss
    best: Optional[tuple[float, int]] = None
    for variant in hit.label.variants:
        threshold = _gloss_threshold(variant)
        if threshold is None:
            continue
        size = len(variant.split())
        for width in range(max(1, size - 1), size + 2):
            end = index + width
            if end > limit or any(has_digit[index:end]) or not all(folded[index:end]):
                continue
            score = fuzz.ratio(" ".join(folded[index:end]), variant) / 100.0
            if score >= threshold and (best is None or score > best[0]):
                best = (score, end)
    if best is None:
        return hit.end
    end = best[1]
    while end < limit and not folded[end]:
        end += 1  # the colon or bracket after the gloss
    return end


def _skip_gloss(words: Sequence[str], index: int) -> int:
    """Move past an English gloss in brackets and the colon after a label."""
    if index < len(words) and words[index].startswith(("(", "[", "{")):
        depth_end = index
        for j in range(index, min(len(words), index + 6)):
            if re.search(r"[)\]}]", words[j]):
                depth_end = j + 1
                break
        else:
            depth_end = index
        index = depth_end if depth_end > index else index
    while index < len(words) and re.fullmatch(r"[:;.\-–_)\]]+", words[index]):
        index += 1
    return index


def strip_label_punctuation(text: str) -> str:
    """What is left of a value once the label's colon or bracket residue is removed."""
    return re.sub(r"^[\s:;.\-–_)\]|]+", "", text).strip()


# English words of the labels' glosses: no value starts with one.
_GLOSS_LEADS = frozenset("owner owners owner's full name address brand model type color colour colors colours "
                         "capacity engine chassis plate".split())


def strip_gloss(text: str) -> str:
    """A value without the rest of its label's English gloss in front of it, where the label
    was found but its gloss not ("(BRAND): FORD", "Colours Xanh"): a bracketed group, or gloss
    words, before the value. No value of the card starts with either."""
    bracket = re.match(r"\s*[(\[{][^()\[\]{}]{0,40}[)\]}]\s*[:;.]?\s*", text)
    if bracket and text[bracket.end():].strip():
        text = text[bracket.end():]
    words = text.split()
    while len(words) > 1 and re.sub(r"[^a-z']", "", words[0].lower()) in _GLOSS_LEADS and words[0].isascii():
        words.pop(0)
    return strip_label_punctuation(" ".join(words))


def is_load_row(words: Sequence[str]) -> bool:
    text = " ".join(_clean(w) for w in words)
    return any(key in text for key in ("tai trong", "cho ngoi", " sit", "hang hoa", "goods", "stand"))


def is_size_row(words: Sequence[str]) -> bool:
    text = " ".join(_clean(w) for w in words)
    return "kich thuoc" in text or "length" in text or "width" in text


@lru_cache(maxsize=1)
def _label_vocabulary() -> frozenset[str]:
    # The short load and size words ("cao", "nam", "dung") are names and places too.
    return frozenset(word for label in LABELS if not label.short_ok for variant in label.variants
                     for word in variant.split() if len(word) >= 2)


def is_label_text(text: str) -> bool:
    """A "value" of two words or more, all of them label words ("HIỆU ĐỘNG CƠ"): the rest of a
    label, or the next one, read where a value was expected. No brand, model, colour or serial
    is that. One word alone may be both (folded, the colour "Đen" is the "đến" of a label)."""
    words = re.sub(r"[^a-z ]+", " ", fold(text)).split()
    return len(words) >= 2 and all(word in _label_vocabulary() for word in words) and not re.search(r"\d", text)
