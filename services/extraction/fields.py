"""Finding each field's value on the card: label-anchored regions, and the rows that have no
label of their own (the date line, the certificate number, the issuing unit in capitals)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

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
from services.extraction.vietnamese import fold

Box = tuple[int, int, int, int]

# Values that may wrap onto the next rows, and how many rows they may take.
MULTI_ROW = {"address": 3, "name": 2, "issued_at": 2, "model": 2}


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
    top, bottom = row.top - pad, row.bottom + pad
    return max(0, x_from - pad), max(0, top), max(1, x_to - x_from + 2 * pad), bottom - top


def locate_labelled(labelled: Sequence[RowLabels], card_width: int) -> dict[str, Located]:
    """Values right of (or below) their labels. The first, best-matching label of a field wins."""
    found: dict[str, Located] = {}
    for index, item in enumerate(labelled):
        row = item.row
        for position, hit in enumerate(item.hits):
            name = hit.label.field
            if name is None:
                continue
            label_x0, label_x1 = _hit_x(row, hit)
            following = item.hits[position + 1] if position + 1 < len(item.hits) else None
            x_end = _hit_x(row, following)[0] if following else card_width
            words = row.words[hit.end:following.start if following else len(row.words)]
            words = [w for w in words if w.text.strip(":;.-_|…")]
            words = _first_run(words, row.height)
            pad = max(4, row.height // 3)
            located = Located(field=name, words=list(words), regions=[], label_score=hit.score,
                              label_box=(label_x0, row.top, label_x1 - label_x0, row.bottom - row.top))
            if words:
                located.regions.append(_row_band(row, words[0].box[0], min(x_end, words[-1].x2 + row.height), pad))
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


def _value_below(labelled: Sequence[RowLabels], index: int, x0: int, x1: int
                 ) -> Optional[tuple[int, list[OcrWord]]]:
    """The next row's words under a label, when they start near the label's left edge."""
    if index + 1 >= len(labelled):
        return None
    row = labelled[index].row
    nxt = labelled[index + 1]
    if nxt.row.top - row.bottom > 2.0 * row.height:
        return None
    tolerance = row.height * 2
    words = _first_run(words_between(nxt.row, x0 - tolerance, x1), row.height)
    if not words or words[0].box[0] > x0 + 10 * row.height:
        return None
    label_starts = [nxt.row.words[h.start].box[0] for h in nxt.hits]
    if any(x0 - tolerance <= x < words[-1].x2 for x in label_starts):
        return None
    return index + 1, words


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
    for offset in range(1, limit):
        if index + offset >= len(labelled):
            return
        candidate = labelled[index + offset]
        gap = candidate.row.top - previous.bottom
        if gap > 1.2 * previous.height:
            return
        tolerance = previous.height
        if any(x0 - tolerance <= candidate.row.words[h.start].box[0] < x1 for h in candidate.hits):
            return
        words = _first_run(words_between(candidate.row, x0 - tolerance, x1), previous.height)
        if not words or _looks_like_gloss(words):
            return
        located.words.extend(words)
        located.regions.append(_row_band(candidate.row, words[0].box[0], words[-1].x2, pad))
        previous = candidate.row


_GLOSS_WORDS = {"owner", "s", "full", "name", "address", "brand", "model", "code", "engine", "chassis", "type",
                "color", "colour", "capacity", "plate", "n", "no", "date", "of", "first", "registration"}


def _looks_like_gloss(words: Sequence[OcrWord]) -> bool:
    tokens = [re.sub(r"[^a-z]", "", fold(w.text)) for w in words]
    tokens = [t for t in tokens if t]
    return bool(tokens) and all(t in _GLOSS_WORDS for t in tokens) and any(w.text.startswith("(") for w in words)


# --- rows without a label --------------------------------------------------------------------------
def _is_word(folded: str, target: str) -> bool:
    core = re.sub(r"[^a-z]", "", folded)
    return core == target or (len(core) >= 3 and len(target) >= 4 and _close(core, target))


def _close(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) >= 75


def locate_issue_date(rows: Sequence[Row]) -> Optional[Located]:
    """The `<Place>, ngày .. tháng .. năm ....` line: the date the certificate was issued.

    The year may have wrapped onto the next row; "ngày" may be lost under the seal. The words
    from the day number to the year are kept.
    """
    best: Optional[Located] = None
    for index, row in enumerate(rows):
        folded = [fold(w.text) for w in row.words]
        joined = " ".join(folded)
        if "gia tri" in joined or "lan dau" in joined or "den ngay" in joined or "gia tr" in joined:
            continue
        months = [i for i, t in enumerate(folded) if _is_word(t, "thang")]
        for m in months:
            years = [j for j in range(m + 1, min(len(folded), m + 6)) if _is_word(folded[j], "nam")]
            if not years:
                continue
            # The day: the nearest word with a digit before "tháng".
            day = next((j for j in range(m - 1, max(-1, m - 4), -1) if re.search(r"\d", row.words[j].text)), None)
            if day is None:
                continue
            start = day
            if start > 0 and _is_word(folded[start - 1], "ngay"):
                start -= 1
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
            best = Located("last_issue_date", words, regions, how="pattern")
    return best


_NUMBER_LABEL = re.compile(r"^s[oố]\W*(?:\(?\s*n[o°º0]\W*\)?)?\W*$", re.IGNORECASE)


def locate_certificate_number(rows: Sequence[Row]) -> Optional[Located]:
    """`Số: 012345` (front): `Số`, maybe `(N°)`, a colon, then digits."""
    for row in rows:
        for i, word in enumerate(row.words):
            text = word.text
            glued = re.match(r"^s[oố]\W*(?:n[o°º]\W*)?[:.]\W*([0-9OIl]{4,}.*)$", text, re.IGNORECASE)
            if glued:
                rest = [word] + row.words[i + 1:i + 3]
                pad = max(4, row.height // 3)
                return Located("id", rest, [_row_band(row, word.box[0], rest[-1].x2, pad)], how="pattern")
            if not _NUMBER_LABEL.match(text):
                continue
            j = i + 1
            while j < len(row.words) and _NUMBER_LABEL.match(row.words[j].text) is None and \
                    re.fullmatch(r"\W*\(?n[o°º0]\.?\)?\W*|[:.]", row.words[j].text, re.IGNORECASE):
                j += 1
            digits = []
            for w in row.words[j:j + 3]:
                if re.search(r"\d", w.text) and len(re.sub(r"\D", "", w.text)) >= 1:
                    digits.append(w)
                else:
                    break
            if digits and sum(len(re.sub(r"\D", "", w.text)) for w in digits) >= 4:
                pad = max(4, row.height // 3)
                return Located("id", digits, [_row_band(row, digits[0].box[0], digits[-1].x2, pad)], how="pattern")
    return None


_ISSUER_WORDS = re.compile(r"\bcong an\b|\bcsgt\b|\bcanh sat\b|\bphong\b.*\b(?:an|csgt)\b")


def _runs(row: Row) -> list[list[OcrWord]]:
    runs: list[list[OcrWord]] = []
    for word in row.words:
        if runs and word.box[0] - runs[-1][-1].x2 <= 2.5 * max(row.height, 8):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def locate_issuer_caps(rows: Sequence[Row], card_height: int) -> Optional[Located]:
    """An issuing unit printed without a label (`CÔNG AN TỈNH LÂM ĐỒNG`, `PHÒNG CSGT ...`), in the
    header or the signature block, possibly over two lines."""
    from services.extraction.addresses import match_issuer

    for index, row in enumerate(rows):
        for run in _runs(row):
            folded = fold(" ".join(w.text for w in run))
            if not _ISSUER_WORDS.search(folded) or "ngay" in folded or "chu xe" in folded:
                continue
            # Drop a label and its value sharing the run (a two-column row), keeping the unit.
            start = next((i for i, w in enumerate(run)
                          if re.sub(r"[^a-z]", "", fold(w.text)) in ("cong", "phong", "csgt", "canh", "doi", "ph")), 0)
            words = run[start:]
            pad = max(4, row.height // 3)
            located = Located("issued_at", list(words), [_row_band(row, words[0].box[0], words[-1].x2, pad)],
                              how="pattern", label_score=0.7)
            if match_issuer(located.text) is None and index + 1 < len(rows):
                nxt = rows[index + 1]
                if nxt.top - row.bottom < 1.2 * row.height:
                    more = words_between(nxt, words[0].box[0] - 3 * row.height, words[-1].x2 + 3 * row.height)
                    if more and match_issuer(located.text + " " + " ".join(w.text for w in more)) is not None:
                        located.words.extend(more)
                        located.regions.append(_row_band(nxt, more[0].box[0], more[-1].x2, pad))
            if match_issuer(located.text) is not None:
                return located
    return None


def card_title(rows: Sequence[Row]) -> tuple[Optional[str], Optional[str]]:
    """(side, kind) from the title `GIẤY CHỨNG NHẬN ĐĂNG KÝ XE Ô TÔ` / `XE MÔ TÔ, XE MÁY`."""
    for row in rows:
        folded = fold(row.text)
        if "chung nhan" in folded or "dang ky xe" in folded and "gia tri" not in folded:
            if "o to" in folded or "oto" in folded:
                return "front", "car"
            if "mo to" in folded or "xe may" in folded or "gan may" in folded:
                return "front", "motorbike"
            if "chung nhan" in folded:
                return "front", None
    return None, None


def union(words: Sequence[OcrWord]) -> Optional[Box]:
    return union_box(words) if words else None
