"""Finding each field's value on the card: label-anchored regions, and the rows that have no
label of their own (the date line, the certificate number, the issuing unit in capitals, a plate
found by its pattern alone)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from services.domain.reference import plate_codes
from services.domain.vietnamese import fold
from services.extraction.labels import (
    LOAD_ROW_KEYS,
    LabelHit,
    find_labels,
    is_load_row,
    is_size_row,
    strip_label_punctuation,
)
from services.extraction.ocr import OcrWord
from services.extraction.rows import Row, union_box, words_between

Box = tuple[int, int, int, int]

# Fields whose value always holds a digit.
DIGIT_VALUES = frozenset({"first_issue_date", "year_of_manufacture", "capacity", "plate", "id", "engine",
                          "chassis"})
# Values that may wrap onto the next rows, and how many rows they may take.
MULTI_ROW = {"address": 4, "name": 2, "issued_at": 2, "model": 2}  # an address in a narrow column: 4


@dataclass
class Located:
    """Where a field's value is, and what the page-level read saw there."""

    field: str
    words: list[OcrWord]
    regions: list[Box]  # one box per row, for re-reading line by line
    label_score: float = 1.0
    label_box: Optional[Box] = None
    how: str = "label"  # label, below, pattern

    @property
    def text(self) -> str:
        return strip_label_punctuation(" ".join(w.text for w in self.words))

    @property
    def box(self) -> Optional[Box]:
        if not self.regions:
            return None
        x1 = min(r[0] for r in self.regions)
        y1 = min(r[1] for r in self.regions)
        x2 = max(r[0] + r[2] for r in self.regions)
        y2 = max(r[1] + r[3] for r in self.regions)
        return x1, y1, x2 - x1, y2 - y1


@dataclass
class RowLabels:
    row: Row
    hits: list[LabelHit] = field(default_factory=list)


def label_rows(rows: Sequence[Row]) -> list[RowLabels]:
    out = []
    for row in rows:
        texts = row.texts
        out.append(RowLabels(row, find_labels(texts, load_row=is_load_row(texts), size_row=is_size_row(texts))))
    return out


def _hit_x(row: Row, hit: LabelHit) -> tuple[int, int]:
    """Left edge of a label and the right edge of its last word (gloss and colon included)."""
    words = row.words[hit.start:max(hit.start + 1, hit.end)]
    return words[0].box[0], max(w.x2 for w in words)


def _row_band(row: Row, x_from: int, x_to: int, pad: int) -> Box:
    """The strip of a row between two x positions. Its height comes from the row's typical
    words, not its extremes: a seal or a signature crossing the row would make it huge."""
    inside = [w for w in row.words if x_from - pad <= w.box[0] + w.box[2] / 2 <= x_to + pad] or row.words
    tops = sorted(w.box[1] for w in inside)
    bottoms = sorted(w.box[1] + w.box[3] for w in inside)
    top = tops[len(tops) // 2] - pad
    bottom = bottoms[len(bottoms) // 2] + pad
    tallest = max((w.box[3] for w in inside if w.box[3] <= 2.5 * row.height), default=row.height)
    if bottom - top < tallest + 2 * pad:
        bottom = top + tallest + 2 * pad
    return max(0, x_from - pad), max(0, top), max(1, x_to - x_from + 2 * pad), bottom - top


def locate_labelled(labelled: Sequence[RowLabels], card_width: int) -> dict[str, Located]:
    """Values right of (or below) their labels. The first, best-matching label of a field wins."""
    found: dict[str, Located] = {}
    # Words that are part of a label are never part of a value.
    taken = {id(w) for item in labelled for hit in item.hits for w in item.row.words[hit.start:hit.end]}
    for index, item in enumerate(labelled):
        row = item.row
        for position, hit in enumerate(item.hits):
            name = hit.label.field
            if name is None:
                continue
            label_x0, label_x1 = _hit_x(row, hit)
            following = item.hits[position + 1] if position + 1 < len(item.hits) else None
            x_end = _hit_x(row, following)[0] if following else card_width
            label_words = row.words[hit.start:max(hit.start + 1, hit.end)]
            words = value_words(_beside(labelled, label_words, label_x1, x_end, taken), row.height)
            if name in DIGIT_VALUES and not any(ch.isdigit() for w in words for ch in w.text):
                # A date or a number without a digit is other text on the label's line (the
                # seal's "TRƯỞNG PHÒNG" beside a label whose value wrapped below it).
                words = []
            pad = max(4, row.height // 3)
            located = Located(field=name, words=list(words), regions=[], label_score=hit.score,
                              label_box=(label_x0, row.top, label_x1 - label_x0, row.bottom - row.top))
            if words:
                located.regions.append(_band(words, words[0].box[0], min(x_end, words[-1].x2 + row.height), pad))
            else:
                # Nothing right of the label: the value may be printed below it.
                below = None
                ends_row = following is None or _hit_x(row, following)[0] - label_x1 > 8 * row.height
                if ends_row and hit.key not in LOAD_ROW_KEYS:
                    below = _value_below(labelled, index, label_x0, x_end)
                if below is not None:
                    next_index, below_words = below
                    next_row = labelled[next_index].row
                    located.words = below_words
                    located.regions.append(_row_band(next_row, below_words[0].box[0], below_words[-1].x2, pad))
                    located.how = "below"
                    _continue_rows(located, labelled, next_index, label_x0, x_end, pad)
                else:
                    located.regions.append(_row_band(row, label_x1, min(x_end, label_x1 + 12 * row.height), pad))
            if located.how == "label" and name in MULTI_ROW:
                _continue_rows(located, labelled, index, label_x0, x_end, pad)
            previous = found.get(name)
            if previous is None or (not previous.words and located.words):
                found[name] = located
    return found


def _beside(labelled: Sequence[RowLabels], label_words: Sequence[OcrWord], x_from: int, x_to: int,
            taken: set[int]) -> list[OcrWord]:
    """Words right of a label on its line, whichever row they were grouped in: a typed value
    sits a little above or below the printed line, and a large plate rises above its label."""
    tops = sorted(w.box[1] for w in label_words)
    bottoms = sorted(w.box[1] + w.box[3] for w in label_words)
    top, bottom = tops[len(tops) // 2], bottoms[len(bottoms) // 2]
    height = max(1, bottom - top)
    out = []
    own = {id(w) for w in label_words}
    for item in labelled:
        if item.row.bottom < top - 3 * height or item.row.top > bottom + 3 * height:
            continue
        # In another row, the words after one of its labels are that label's value.
        other = not any(id(w) in own for w in item.row.words)
        if other and any(w.box[0] < x_from - height and w.box[0] + w.box[2] / 2 < x_from
                         for w in item.row.words if id(w) not in taken):
            # A row with words over the label's own span is another printed line passing
            # above or below it (a tall, badly boxed label reaches into it), not its value: a
            # word that starts over the label, even where its middle lies past the label's end
            # (a long value printed on the line above, "16LD-823." over "Ngày ĐK lần đầu").
            continue
        first_label_x = min((item.row.words[h.start].box[0] for h in item.hits), default=None) if other else None
        # In the label's own row, the words after its last word in reading order, starting
        # right of that word's start: the page read sometimes boxes a gloss far too wide
        # ("(Address)" over "Thôn 4, X." too), and the value's first words lie inside that box.
        last = max((i for i, w in enumerate(item.row.words) if id(w) in own), default=None) if not other else None
        for position, word in enumerate(item.row.words):
            centre = word.box[0] + word.box[2] / 2
            follows = last is not None and position > last and word.box[0] > item.row.words[last].box[0]
            if id(word) in taken or centre >= x_to or not (follows or centre >= x_from - height):
                continue
            if first_label_x is not None and word.box[0] > first_label_x:
                continue
            if word.box[3] > 2.2 * height and not re.search(r"\d", word.text) and \
                    len(re.sub(r"\W", "", word.text)) <= 2:
                continue  # a seal's or a signature's stroke: tall, and a letter or two
            word_top, word_bottom = word.box[1], word.box[1] + word.box[3]
            middle = (word_top + word_bottom) / 2
            near = top - 0.6 * height <= middle <= bottom + 0.6 * height
            overlap = min(bottom, word_bottom) - max(top, word_top)
            # A tall word is a large plate rising above its label; a tall mark without a
            # digit is a seal's or a signature's stroke.
            tall = word.box[3] > 1.3 * height and overlap >= 0.5 * height and bool(re.search(r"\d", word.text))
            if near or tall:
                out.append(word)
    out.sort(key=lambda w: w.box[0])
    return out


def _band(words: Sequence[OcrWord], x_from: int, x_to: int, pad: int) -> Box:
    """The strip holding `words` between two x positions (for reading the value again)."""
    tops = sorted(w.box[1] for w in words)
    bottoms = sorted(w.box[1] + w.box[3] for w in words)
    top, bottom = tops[0], bottoms[-1]
    middle_top, middle_bottom = tops[len(tops) // 2], bottoms[len(bottoms) // 2]
    # A stray tall word (a seal stroke) must not make the strip huge.
    if bottom - top > 2.2 * max(1, middle_bottom - middle_top):
        top, bottom = middle_top, middle_bottom
    return max(0, x_from - pad), max(0, top - pad), max(1, x_to - x_from + 2 * pad), bottom - top + 2 * pad


def _value_below(labelled: Sequence[RowLabels], index: int, x0: int, x1: int
                 ) -> Optional[tuple[int, list[OcrWord]]]:
    """The words under a label, when they start near the label's left edge: in the next row,
    or the one after if the next holds only a stain or the seal's scribble."""
    row = labelled[index].row
    for offset in (1, 2):
        if index + offset >= len(labelled):
            return None
        nxt = labelled[index + offset]
        if nxt.row.top - row.bottom > 3.0 * row.height:
            return None
        tolerance = row.height * 2
        words = _first_run(words_between(nxt.row, x0 - tolerance, x1), row.height)
        label_starts = [nxt.row.words[h.start].box[0] for h in nxt.hits]
        if words and any(x0 - tolerance <= x < words[-1].x2 for x in label_starts):
            return None
        # Read unsurely, it may be a stain; not when it holds six digits (a date, a serial).
        sure = _weighted(words) >= 0.5 or sum(ch.isdigit() for w in words for ch in w.text) >= 6
        if words and words[0].box[0] <= x0 + 10 * row.height and sure:
            return index + offset, words
    return None


def _weighted(words: Sequence[OcrWord]) -> float:
    total = sum(len(w.text) for w in words) or 1
    return sum(w.conf * len(w.text) for w in words) / total


_LEADER = re.compile(r"[.…·,_\-]{3,}")


def value_words(words: Sequence[OcrWord], height: int) -> list[OcrWord]:
    """The words of a value: leader dots before it skipped; the value ends at a run of
    leader dots after it, at a wide gap (another column), or where confident reading stops."""
    words = list(words)
    while words and not words[0].text.strip(":;.,-_|…·'\"`"):
        words.pop(0)
    out: list[OcrWord] = []
    for word in words:
        # A gap of several letters means another column (letters of a bold plate are wide).
        if out and word.box[0] - out[-1].x2 > 2.5 * max(height, word.box[3], out[-1].box[3], 8):
            break
        # Leader dots left over (under a typed value) are dropped from the words they stick to;
        # where they run between two words of the value, the words are split there.
        out.extend(_split_at_leaders(word))
    # Short trailing words read with little confidence are usually stains, seal or watermark;
    # not digits after a number left open by its dot or hyphen ("134." "66"), or after a
    # plate's first three digits ("35G-225" "11", its dot lost among leader dots).
    while len(out) > 1 and out[-1].conf < 0.45 and len(re.sub(r"\W", "", out[-1].text)) <= 2 and not (
            re.fullmatch(r"\d+", out[-1].text) and re.search(r"\d[.\-]+$|-\d{3}$", out[-2].text)):
        out.pop()
    return out


def _split_at_leaders(word: OcrWord) -> list[OcrWord]:
    """The pieces of a word between its runs of leader dots ("NGUYỄN...GIA...DŨNG" is three
    words), each with its share of the box. A comma that starts a run ends the piece before it."""
    runs = list(_LEADER.finditer(word.text))
    if not runs:
        return [word]
    pieces: list[tuple[int, int]] = []
    start = 0
    for run in runs + [None]:
        end = run.start() if run is not None else len(word.text)
        if run is not None and word.text[run.start()] == ",":
            end += 1
        if word.text[start:end].strip():
            pieces.append((start, end))
        if run is not None:
            start = run.end()
    return [_piece(word, a, b) for a, b in pieces]


def _piece(word: OcrWord, start: int, end: int) -> OcrWord:
    """The characters start..end of a word, its box cut in proportion. Dots are narrower than
    letters in most types, so a cut next to a run of them is put a letter's height further
    out (a region a little wide reads the same; one that clips a digit does not)."""
    text = word.text[start:end]
    stripped = text.strip()
    start += len(text) - len(text.lstrip())
    end = start + len(stripped)
    count = max(1, len(word.text))
    x, y, w, h = word.box
    x0, x1 = x + int(w * start / count), x + int(round(w * end / count))
    x0 = x0 if start == 0 else max(x, x0 - h)
    x1 = x1 if end >= count else min(x + w, x1 + h)
    chars = word.chars[start:end] if len(word.chars) == len(word.text) else \
        word.chars[int(len(word.chars) * start / count):int(round(len(word.chars) * end / count))]
    return OcrWord(text=stripped, conf=word.conf, box=(x0, y, max(1, x1 - x0), h), chars=chars)


def _first_run(words: Sequence[OcrWord], height: int) -> list[OcrWord]:
    """Words up to the first gap wider than a few letters: past it lies another column."""
    if not words:
        return []
    run = [words[0]]
    for word in words[1:]:
        if word.box[0] - run[-1].x2 > 2.5 * max(height, 8):
            break
        run.append(word)
    return run


def _continue_rows(located: Located, labelled: Sequence[RowLabels], index: int, x0: int, x1: int, pad: int) -> None:
    """Append the following rows that continue a wrapped value: close below, inside the value's
    column, and holding no label there."""
    limit = MULTI_ROW.get(located.field, 1)
    previous = labelled[index].row
    rows, skipped = 1, False
    for offset in range(1, len(labelled) - index):
        if rows >= limit:
            return
        candidate = labelled[index + offset]
        gap = candidate.row.top - previous.bottom
        if gap > 2.0 * previous.height:
            return
        right = max((w.x2 for w in located.words), default=x0)
        if not skipped and candidate.row.words and \
                min(w.box[0] for w in candidate.row.words) > right + 2 * previous.height:
            # A row of the other column, grouped between the value's rows: passed over, once.
            skipped = True
            continue
        tolerance = previous.height
        if any(x0 - tolerance <= candidate.row.words[h.start].box[0] < x1 for h in candidate.hits):
            return
        words = _first_run(words_between(candidate.row, x0 - tolerance, x1), previous.height)
        if not words or _looks_like_gloss(words) or _is_other_line(words) or _starts_label(words):
            return
        again = {id(w) for w in words} & {id(w) for w in located.words}
        if again:
            # Words taken as beside the label lie in this row (a value printed a little below a
            # short label): the row is the value's, its words and region counted once.
            located.words = [w for w in located.words if id(w) not in again]
            located.regions = [r for r in located.regions if any(inside(w, r) for w in located.words)]
        located.words.extend(words)
        located.regions.append(_row_band(candidate.row, words[0].box[0], words[-1].x2, pad))
        previous = candidate.row
        rows += 1


def _starts_label(words: Sequence[OcrWord]) -> bool:
    """A row that opens with a colon among its first words ("Đ/c: ...") starts a label of its
    own, found or not: it continues no value."""
    return any(w.text.rstrip().endswith((":", ";")) and not re.search(r"\d", w.text) for w in words[:3])


def _is_other_line(words: Sequence[OcrWord]) -> bool:
    """The date line and an issuing unit in capitals are never the rest of a wrapped value."""
    folded = fold(" ".join(w.text for w in words))
    # The day's digits may be read glued to "tháng" ("26tháng").
    return bool(re.search(r"\bngay\b.*thang\b|\bthang\b.*\bnam\b", folded)) or \
        bool(re.search(r"\bcong an\b|\bcsgt\b|\bcanh sat\b", folded) and
             " ".join(w.text for w in words).isupper())


_GLOSS_WORDS = {"owner", "s", "full", "name", "address", "brand", "model", "code", "engine", "chassis", "type",
                "color", "colour", "capacity", "plate", "n", "no", "date", "of", "first", "registration"}


def _looks_like_gloss(words: Sequence[OcrWord]) -> bool:
    tokens = [re.sub(r"[^a-z]", "", fold(w.text)) for w in words]
    tokens = [t for t in tokens if t]
    return bool(tokens) and all(t in _GLOSS_WORDS for t in tokens) and any(w.text.startswith("(") for w in words)


# --- rows without a label --------------------------------------------------------------------------
def is_word(folded: str, target: str) -> bool:
    core = re.sub(r"[^a-z]", "", folded)
    return core == target or (len(core) >= 3 and len(target) >= 4 and _close(core, target))


def _close(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) >= 75


# Rows that hold "ngày", "tháng" or "năm" (or a word read as one) but not the issue date: the
# expiry and the first registration, and the load row, whose "Hàng hoá" folds one letter away
# from "tháng" and whose "nằm" folds to "năm".
_NOT_THE_ISSUE_DATE = ("gia tri", "gia tr", "lan dau", "den ngay", "hang hoa", "tai trong", "cho ngoi", "(lie)",
                       "(stand)", "(goods)")


def locate_issue_date(rows: Sequence[Row]) -> Optional[Located]:
    """The `<Place>, ngày .. tháng .. năm ....` line: the date the certificate was issued.

    The year may have wrapped onto the next row; "ngày" may be lost under the seal. The words
    from the day number to the year are kept. A line with its date filled in beats one without
    any digit (a form's blank "ngày ... tháng ... năm ..." line, an expiry left empty); among
    equals the lowest line wins.
    """
    best: Optional[Located] = None
    best_filled = False
    for index, row in enumerate(rows):
        folded = [fold(w.text) for w in row.words]
        joined = " ".join(folded)
        if any(words in joined for words in _NOT_THE_ISSUE_DATE):
            continue
        months = [i for i, t in enumerate(folded) if is_word(t, "thang")]
        for m in months:
            years = [j for j in range(m + 1, min(len(folded), m + 6)) if is_word(folded[j], "nam")]
            if not years:
                continue
            # From "ngày" (or a few words before "tháng" when "ngày" is lost under the seal): the
            # day may be read as anything, so the region is read again as a whole.
            start = next((j for j in range(m - 1, max(-1, m - 5), -1) if is_word(folded[j], "ngay")), None)
            if start is None:
                start = max(0, m - 2)
            end = years[0] + 1
            while end < len(row.words) and end <= years[0] + 2 and not re.search(r"\d{4}", row.words[end - 1].text):
                end += 1
            words = list(row.words[start:end])
            pad = max(4, row.height // 3)
            regions = [_row_band(row, words[0].box[0], words[-1].x2, pad)]
            if not re.search(r"\d{4}", " ".join(w.text for w in words[-2:])) and index + 1 < len(rows):
                # The year went to the next row, under the line's end.
                nxt = rows[index + 1]
                year_words = [w for w in nxt.words if re.search(r"\d{3,4}", w.text)
                              and abs(w.box[0] - words[0].box[0]) < 40 * row.height]
                if year_words and nxt.top - row.bottom < 1.5 * row.height:
                    year = min(year_words, key=lambda w: abs(w.box[0] - words[-1].box[0]))
                    words.append(year)
                    regions.append(_row_band(nxt, year.box[0], year.x2, pad))
            filled = any(ch.isdigit() for w in words for ch in w.text)
            if best is None or filled or not best_filled:
                best, best_filled = Located("last_issue_date", words, regions, how="pattern"), filled
    return best


_NUMBER_LABEL = re.compile(r"^s[oố]\W*(?:\(?\s*n[o°º0]\W*\)?)?\W*$", re.IGNORECASE)
# Words that may stand between "Số" and its colon in the certificate number's label ("Số giấy",
# "Số GCN", "Số giấy chứng nhận"); not "đăng ký", which a plate's label may hold.
_NUMBER_WORDS = frozenset({"giay", "gcn", "seri", "serial", "chung", "nhan"})


# The "(N°)" after "Số", as OCR reads it: "(N°)", "N0", "(w-)", "(w9".
_NUMBER_GLOSS = r"(?:\([^)\s]{0,3}\)?|n[o°º0]?)?"


def _without_paper_words(row: Row, folded: list[str]) -> tuple[Row, list[str]]:
    """The row with the words naming the paper after "Số" dropped ("Số giấy:" reads as "Số:"),
    their colon kept on "Số"."""
    words, texts = [], []
    for word, key in zip(row.words, folded):
        core = re.sub(r"[^a-z]", "", key)
        if texts and core in _NUMBER_WORDS and re.fullmatch(r"s[oø0]:?", re.sub(r"[^a-z0-9:]", "", texts[-1])):
            if key.rstrip().endswith(":") and not texts[-1].endswith(":"):
                texts[-1] += ":"
            continue
        words.append(word)
        texts.append(key)
    return (row, folded) if len(words) == len(row.words) else (Row(words=words), texts)


def locate_certificate_number(rows: Sequence[Row]) -> Optional[Located]:
    """`Số: 012345` (front): `Số`, maybe `(N°)`, a colon, then digits (maybe in groups)."""
    for row in rows:
        folded = [fold(w.text) for w in row.words]
        row, folded = _without_paper_words(row, folded)
        for i, key in enumerate(folded):
            glued = re.match(r"^\W*s[oø0a]\W*" + _NUMBER_GLOSS + r"\W*[:.]\W*([0-9oil]{2,}.*)$", key)
            if glued:
                digits = [row.words[i]] + _digit_words(row.words[i + 1:i + 3])
            elif re.fullmatch(r"\W*s[oø0a]\W*" + _NUMBER_GLOSS + r"\W*[:.]?\W*", key):
                j = i + 1
                # "(N°):" however it was read ("@°):", "(w9:") lies between the label and the digits.
                while j < len(row.words) and j <= i + 2 and len(folded[j]) <= 5 \
                        and re.fullmatch(r"\W*" + _NUMBER_GLOSS + r"\W*[:.]?\W*|[:.]", folded[j]):
                    j += 1
                digits = _digit_words(row.words[j:j + 3])
            else:
                continue
            if sum(len(re.sub(r"\D", "", w.text)) for w in digits) >= 4:
                pad = max(4, row.height // 3)
                return Located("id", digits, [_row_band(row, digits[0].box[0], digits[-1].x2, pad)], how="pattern")
    return None


# A plate as printed, its words glued: 2 digits, a series (1-2 letters, a motorbike's digit),
# the hyphen, 4 or 5 digits (maybe "123.45"). The hyphen is required: model codes and serials
# have none, so a row of them is not taken for a plate.
_PLATE_TEXT = re.compile(r"(\d{2})[A-ZĐ]{1,2}\d?[-–]\d{3}[.,]?\d{1,2}")
# The same with the series' one letter read as a digit that looks like one (G 6, B 8, D 0, Z 2, S 5).
_PLATE_TEXT_CONFUSABLE = re.compile(r"(\d{2})[A-ZĐ]?[60825]\d?[-–]\d{3}[.,]?\d{1,2}")


def _glued(text: str) -> str:
    return re.sub(r"[\s:;]", "", text).upper()


def reads_as_plate(text: str) -> bool:
    return _PLATE_TEXT.search(_glued(text)) is not None


def locate_plate_by_pattern(rows: Sequence[Row], taken: Sequence[Box] = ()) -> Optional[Located]:
    """A plate whose label was not found (worded otherwise, under a stain), or whose label's
    neighbour is no plate (the value printed below it): the first run of one to three words,
    outside the regions of other fields' values, that reads as a plate of a known province.
    Only where none does: a run with one stray mark glued before the plate (a seal stroke read
    as "4"); and only then, a run whose series letter was read as the digit it looks like
    ("756-670.36" for 75G-670.36: the plate's own normaliser reads the series back)."""
    for stray, confusable in ((False, False), (True, False), (False, True)):
        pattern = _PLATE_TEXT_CONFUSABLE if confusable else _PLATE_TEXT
        for row in rows:
            words = row.words
            for i in range(len(words)):
                for size in (1, 2, 3):
                    run = words[i:i + size]
                    if len(run) < size or any(_overlaps(w.box, box) for w in run for box in taken):
                        break
                    glued = _glued("".join(w.text for w in run)).strip(".,")
                    if stray:
                        # A mark read as a word of its own is left out by the first pass already.
                        if len(glued) <= 8 or len(_glued(run[0].text).strip(".,")) <= 1:
                            continue
                        glued = glued[1:]
                    match = pattern.fullmatch(glued)
                    if match is None or not plate_codes.is_known_prefix(match.group(1)):
                        continue
                    pad = max(4, row.height // 3)
                    return Located("plate", list(run), [_row_band(row, run[0].box[0], run[-1].x2, pad)],
                                   how="pattern", label_score=0.7)
    return None


# Unit words on folded text: whole words, or the abbreviations written with a dot (P. Q. H. TX.).
_ADDRESS_UNITS = re.compile(r"\b(?:xa|phuong|thi tran|huyen|quan|thi xa|tinh|thanh pho|tp)\b"
                            r"|\b(?:p|q|h|tx|tt)\s*\.")
_NOT_AN_ADDRESS = re.compile(r"\bcong an\b|\bcsgt\b|\bcanh sat\b|\bchu nghia\b|\bdoc lap\b|\bngay\b")


def locate_address_by_pattern(labelled: Sequence[RowLabels], taken: Sequence[Box] = ()) -> Optional[Located]:
    """An address whose label was not found (worded otherwise, abbreviated, under a stain): the
    first run of words outside other fields' values and known labels that, with the rows it
    wraps onto, names two administrative units and resolves to a province and a district, or is
    cut by commas into parts that resolve down to the ward.
    The issuing unit ("Công an tỉnh ..."), the national motto and the date line name places
    too, and are never it. A value starts after a colon among its first words, which ends the
    unknown label before it."""
    for index, item in enumerate(labelled):
        row = item.row
        label_words = {id(w) for hit in item.hits for w in row.words[hit.start:hit.end]}
        for run in _runs(row):
            words: list[OcrWord] = []
            for word in run:
                if id(word) in label_words or any(_overlaps(word.box, box) for box in taken):
                    if words:
                        break
                    continue
                words.append(word)
            colon = max((i for i, w in enumerate(words[:4]) if w.text.rstrip().endswith(":")), default=-1)
            words = words[colon + 1:]
            if not words:
                continue
            pad = max(4, row.height // 3)
            located = Located("address", list(words), [_row_band(row, words[0].box[0], words[-1].x2, pad)],
                              how="pattern", label_score=0.7)
            # Wrapped rows start under the value or under its label.
            _continue_rows(located, labelled, index, run[0].box[0], words[-1].x2 + 4 * row.height, pad)
            # A row below holding a colon starts another (unknown) label; one without may still
            # be another unlabelled line: the most rows that read as an address.
            rows_of = [[w for w in located.words if inside(w, region)] for region in located.regions]
            limit = next((i for i, held in enumerate(rows_of) if i and any(w.text.rstrip().endswith(":") for w in held)),
                         len(rows_of))
            for size in range(limit, 0, -1):
                kept = Located("address", [w for w in located.words
                                           if any(inside(w, region) for region in located.regions[:size])],
                               located.regions[:size], how="pattern", label_score=0.7)
                if _reads_as_address(kept.text):
                    return kept
    return None


_NOT_A_NAME = re.compile(r"\bcong an\b|\bcsgt\b|\bcanh sat\b|\bcong hoa\b|\bchu nghia\b|\bviet nam\b"
                         r"|\bgiay\b|\bchung nhan\b|\bdang ky\b|\bphong\b|\btinh\b|\bhuyen\b|\bquan\b")


def locate_name_by_pattern(labelled: Sequence[RowLabels], taken: Sequence[Box] = ()) -> Optional[Located]:
    """An owner's name whose label was not found: after a colon (which ends the unknown label),
    two to five words of letters only, in capitals as names are printed on the card, up to the
    next label's colon. Units, the police, the national motto and the title are in capitals
    too, and are never it; nor is anything inside another field's value."""
    for item in labelled:
        row = item.row
        label_words = {id(w) for hit in item.hits for w in row.words[hit.start:hit.end]}
        for run in _runs(row):
            colons = [i for i, w in enumerate(run) if w.text.rstrip().endswith(":")]
            for colon in colons:
                words: list[OcrWord] = []
                ended = False
                for word in run[colon + 1:]:
                    if id(word) in label_words or word.text.rstrip().endswith(":"):
                        ended = True
                        break
                    words.append(word)
                # Before the next label's colon, its first words ("Số máy:"), not in capitals.
                while ended and words and not words[-1].text.isupper() and len(words) > 2:
                    words.pop()
                text = " ".join(w.text for w in words)
                if not 2 <= len(words) <= 5 or not re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+)+", text):
                    continue
                # In capitals, allowing a letter read in the wrong case.
                if sum(ch.isupper() for ch in text if ch.isalpha()) < 0.8 * sum(ch.isalpha() for ch in text):
                    continue
                if _NOT_A_NAME.search(fold(text)) or any(_overlaps(w.box, box) for w in words for box in taken):
                    continue
                pad = max(4, row.height // 3)
                return Located("name", words, [_row_band(row, words[0].box[0], words[-1].x2, pad)],
                               how="pattern", label_score=0.7)
    return None


# An engine or chassis number as printed: capitals and digits (a hyphen may split it), at least
# four digits and a letter; a VIN is 17 of them without I, O or Q.
_SERIAL = re.compile(r"(?=[A-Z0-9-]*[A-Z])(?=(?:[A-Z-]*\d){4})[A-Z0-9][A-Z0-9-]{5,18}[A-Z0-9]")
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def _serial_runs(labelled: Sequence[RowLabels], taken: Sequence[Box]) -> list[tuple[Row, list[OcrWord], str]]:
    """Runs of one or two words, in reading order, outside labels and other fields' values, that
    read as a serial: glued, all capitals and digits (a serial cut in two by a space is one)."""
    out: list[tuple[Row, list[OcrWord], str]] = []
    for item in labelled:
        row = item.row
        held = {id(w) for hit in item.hits for w in row.words[hit.start:hit.end]}
        words = row.words
        i = 0
        while i < len(words):
            found = None
            for size in (2, 1):
                run = words[i:i + size]
                if len(run) < size or any(id(w) in held or any(_overlaps(w.box, box) for box in taken)
                                          or w.text.rstrip().endswith(":") for w in run):
                    continue
                glued = "".join(w.text for w in run).strip(".,;")
                # Both halves of a cut serial hold digits; a letter or a word before it is no part.
                if size == 2 and not all(re.fullmatch(r"[A-Z0-9-]{3,}", w.text.strip(".,;")) and
                                         re.search(r"\d", w.text) for w in run):
                    continue
                if _SERIAL.fullmatch(glued) and not _PLATE_TEXT.fullmatch(_glued(glued)) and \
                        not re.search(r"\d{1,2}/\d{1,2}/\d{4}", glued):
                    found = (run, glued)
                    break
            if found is None:
                i += 1
                continue
            out.append((row, list(found[0]), found[1]))
            i += len(found[0])
    return out


def locate_serials_by_pattern(labelled: Sequence[RowLabels], taken: Sequence[Box], missing: Sequence[str]
                              ) -> dict[str, Located]:
    """The engine and chassis numbers whose labels were not found (worded otherwise, lost in the
    page read), by their values: a 17-character VIN is the chassis; of the other serials left,
    in reading order, the first is the engine and the next the chassis (the order every card
    prints them in), each only where that field is missing."""
    runs = _serial_runs(labelled, taken)
    out: dict[str, Located] = {}

    def take(name: str, row: Row, run: list[OcrWord]) -> None:
        pad = max(4, row.height // 3)
        out[name] = Located(name, run, [_row_band(row, run[0].box[0], run[-1].x2, pad)], how="pattern",
                            label_score=0.6)

    rest = []
    for row, run, glued in runs:
        if "chassis" in missing and "chassis" not in out and _VIN.fullmatch(glued.replace("-", "")):
            take("chassis", row, run)
        else:
            rest.append((row, run, glued))
    for name in ("engine", "chassis"):
        if name in missing and name not in out and rest:
            row, run, _glued = rest.pop(0)
            take(name, row, run)
    return out


def _reads_as_address(text: str) -> bool:
    from services.domain.addresses import match_address

    folded = fold(text)
    if _NOT_AN_ADDRESS.search(folded):
        return False
    units = len(_ADDRESS_UNITS.findall(folded))
    if units == 0 and text.count(",") < 2:
        return False
    match = match_address(text)
    # Two unit words and a district; or, with the unit words left out ("12 Bà Triệu, P.2, Sa
    # Đéc, Đồng Tháp"), parts that resolve down to the ward.
    return bool((units >= 2 and match.district_code) or (text.count(",") >= 2 and match.complete))


def inside(word: OcrWord, region: Box) -> bool:
    """The word's centre lies in the region."""
    cx = word.box[0] + word.box[2] / 2
    cy = word.box[1] + word.box[3] / 2
    return region[0] <= cx <= region[0] + region[2] and region[1] <= cy <= region[1] + region[3]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _digit_words(words: Sequence[OcrWord]) -> list[OcrWord]:
    out = []
    for word in words:
        if len(re.sub(r"\D", "", word.text)) >= max(1, len(word.text) // 2):
            out.append(word)
        else:
            break
    return out


_ISSUER_WORDS = re.compile(r"\bcong an\b|\bcsgt\b|\bcanh sat\b|\bphong\b|^\W*(?:c[o0]n\w*|ph[o0]n\w*)\b"
                           r"|\ban\W+(?:tp|tinh|thanh pho|quan|huyen|thi xa)\b")
# A unit whose police words were lost under the seal still names its place after a unit type,
# in capitals ("...N LÀV TỈNH ĐẮK NÔNG").
_UNIT_TYPE = re.compile(r"\b(?:tinh|thanh pho|tp|quan|huyen|thi xa)\b")
_HEAD_PHRASES = ("phong csgt", "phong canh sat giao thong", "doi csgt")


def _mostly_capitals(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 6 and sum(ch.isupper() for ch in letters) >= 0.7 * len(letters)


def _head_above(rows: Sequence[Row], index: int, located: Located, height: int) -> Optional[list[OcrWord]]:
    """The "PHÒNG CSGT" line above a unit found from its second line, read too badly to be found
    on its own: close above, under the unit, and like one of the heads."""
    from rapidfuzz import fuzz

    if index == 0 or "phong" in fold(located.text) or "csgt" in fold(located.text):
        return None
    above, row = rows[index - 1], rows[index]
    if row.top - above.bottom > 1.5 * height:
        return None
    x0, x1 = located.words[0].box[0], located.words[-1].x2
    words = _first_run(words_between(above, x0 - 3 * height, x1 + 3 * height), height)
    text = re.sub(r"[^a-z ]", "", fold(" ".join(w.text for w in words))).strip()
    if not words or "ngay" in text or len(text) < 4:
        return None
    best = max(fuzz.ratio(text, phrase) for phrase in _HEAD_PHRASES)
    return words if best >= 60 else None


def _runs(row: Row) -> list[list[OcrWord]]:
    runs: list[list[OcrWord]] = []
    for word in row.words:
        if runs and word.box[0] - runs[-1][-1].x2 <= 2.5 * max(row.height, 8):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _ends_short(text: str) -> bool:
    """A unit cut before its place: "PHÒNG CẢNH SÁT GIAO" waits for "THÔNG CÔNG AN ...". """
    last = fold(text).split()[-1:] or [""]
    return last[0] in ("giao", "thong", "cong", "an", "tinh", "tp", "thanh", "pho", "phong", "csgt")


def locate_issuer_caps(labelled: Sequence[RowLabels], card_height: int) -> Optional[Located]:
    """An issuing unit printed without a label (`CÔNG AN TỈNH LÂM ĐỒNG`, `PHÒNG CSGT ...`), in the
    header or the signature block, possibly over two lines. Runs of words holding a label
    ("Công suất", "Khối lượng") are not it."""
    from services.domain.addresses import match_issuer

    rows = [item.row for item in labelled]
    for index, item in enumerate(labelled):
        row = item.row
        label_words = {id(w) for hit in item.hits for w in row.words[hit.start:hit.end]}
        for run in _runs(row):
            if any(id(w) in label_words for w in run):
                continue
            raw = " ".join(w.text for w in run)
            folded = fold(raw)
            # A unit's name has no commas; an address in capitals ("TỔ 5, XÃ ..., HUYỆN ...") does.
            if "ngay" in folded or "chu xe" in folded or raw.count(",") >= 2:
                continue
            if not _ISSUER_WORDS.search(folded) and not (_UNIT_TYPE.search(folded) and _mostly_capitals(raw)):
                continue
            # Drop a label and its value sharing the run (a two-column row), keeping the unit.
            start = next((i for i, w in enumerate(run)
                          if re.sub(r"[^a-z]", "", fold(w.text)) in ("cong", "phong", "csgt", "canh", "doi", "ph")), 0)
            words = run[start:]
            pad = max(4, row.height // 3)
            located = Located("issued_at", list(words), [_row_band(row, words[0].box[0], words[-1].x2, pad)],
                              how="pattern", label_score=0.7)
            # A unit too long for one line goes on below it, centred under the first line.
            for nxt in rows[index + 1:index + 4]:
                if match_issuer(located.text) is not None and not _ends_short(located.text):
                    break
                if nxt.top - row.bottom > 2.5 * row.height:
                    break
                more = _first_run(words_between(nxt, words[0].box[0] - 3 * row.height,
                                                words[-1].x2 + 3 * row.height), row.height)
                letters = sum(ch.isalpha() for w in more for ch in w.text)
                joined = located.text + " " + " ".join(w.text for w in more)
                names_place = bool(more) and match_issuer(joined) is not None
                plausible = bool(more) and letters >= 3 and _weighted(more) >= 0.6
                if (names_place or plausible) and abs(more[0].box[3] - row.height) < 0.8 * row.height:
                    located.words.extend(more)
                    located.regions.append(_row_band(nxt, more[0].box[0], more[-1].x2, pad))
                    break
            if match_issuer(located.text) is not None:
                head = _head_above(rows, index, located, row.height)
                if head is not None:
                    located.words[:0] = head
                    located.regions.insert(0, _row_band(rows[index - 1], head[0].box[0], head[-1].x2, pad))
                return located
    return None


def card_title(rows: Sequence[Row]) -> tuple[Optional[str], Optional[str]]:
    """(side, kind) from the title `GIẤY CHỨNG NHẬN ĐĂNG KÝ XE Ô TÔ` / `XE MÔ TÔ, XE MÁY`."""
    for row in rows:
        folded = fold(row.text)
        if "chung nhan" in folded or "dang ky xe" in folded and "gia tri" not in folded:
            # "xe mô tô" contains "ô tô": the motorbike title is tested first.
            if "mo to" in folded or "xe may" in folded or "gan may" in folded:
                return "front", "motorbike"
            if "o to" in folded or "oto" in folded:
                return "front", "car"
            if "chung nhan" in folded:
                return "front", None
    return None, None


def union(words: Sequence[OcrWord]) -> Optional[Box]:
    return union_box(words) if words else None
