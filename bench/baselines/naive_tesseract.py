"""The naive baseline: raw Tesseract on the whole image and a label search in its text lines.

No alignment, no rotation, no cropping, no field-specific reading: Tesseract (`vie`, Debian's
tessdata, in process through tesserocr) reads the image as it comes, and each field is the text
after its label on the first line that has the label (e.g. the first line containing
"Tên chủ xe" -> the text after the colon, up to the next known label). Confidence is the mean
word confidence of the words of the value. Derived codes come from the same reference functions
the engine uses. This is what "just run OCR" gives; the engine is measured against it.
"""

from __future__ import annotations

import io
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Optional, Sequence

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # before tesserocr loads libtesseract

import tesserocr  # noqa: E402
from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: E402

from services.domain.canonical import parse_date  # noqa: E402
from services.domain.reference.admin_units import parse_legacy_address  # noqa: E402
from services.domain.reference.issuers import issuer_province_code  # noqa: E402
from services.domain.results import ExtractionOutcome, FieldReading, SideReading  # noqa: E402
from services.domain.schema import SIDE_FIELDS, ErrorCode, Side, VehicleKind  # noqa: E402

TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"

# Labels per field, lower case, most specific first.
LABELS: dict[str, tuple[str, ...]] = {
    "name": ("tên chủ xe", "chủ xe"),
    "address": ("địa chỉ",),
    "engine": ("số máy", "số động cơ"),
    "chassis": ("số khung",),
    "brand": ("nhãn hiệu",),
    "model": ("số loại", "loại xe"),
    "color": ("màu sơn",),
    "capacity": ("dung tích",),
    "year_of_manufacture": ("năm sản xuất", "năm sx"),
    "plate": ("biển số", "biển kiểm soát"),
    "first_issue_date": ("lần đầu",),
    "sit": ("số chỗ ngồi", "chỗ ngồi"),
    "stand": ("đứng",),
    "lie": ("nằm",),
    "pay_load": ("hàng hoá", "hàng hóa"),
}
# Every label the search knows, to cut a value where the next label begins (two columns read as
# one line).
_ALL_LABELS = sorted({label for labels in LABELS.values() for label in labels} | {
    "tên động cơ", "nhãn hiệu động cơ", "công suất", "tự trọng", "kích thước", "tải trọng", "nguồn gốc",
    "số cmnd", "cơ quan", "nơi đăng ký", "đăng ký xe có giá trị"}, key=len, reverse=True)
_BACK_MARKERS = ("số máy", "số khung", "nhãn hiệu", "màu sơn", "dung tích", "số động cơ")
_NUMBER = re.compile(r"\d[\d.,]*")


@dataclass
class Word:
    text: str
    confidence: float  # 0-100
    start: int = 0  # offsets in the line's text
    end: int = 0


@dataclass
class Line:
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def index(self) -> None:
        offset = 0
        for word in self.words:
            word.start, word.end = offset, offset + len(word.text)
            offset = word.end + 1

    def confidence(self, start: int, end: int) -> float:
        """Mean confidence (0-1) of the words overlapping text[start:end]."""
        confs = [w.confidence for w in self.words if w.end > start and w.start < end]
        return (sum(confs) / len(confs) / 100.0) if confs else 0.0


class NaiveTesseract:
    """The Extractor protocol over whole-image Tesseract and a label search."""

    name = "naive-tesseract"

    def __init__(self, tessdata: str = TESSDATA, lang: str = "vie") -> None:
        self.api = tesserocr.PyTessBaseAPI(path=tessdata, lang=lang)
        self.version = tesserocr.tesseract_version().split()[1] if tesserocr.tesseract_version() else ""

    def close(self) -> None:
        self.api.End()

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        started = time.perf_counter()
        outcome = ExtractionOutcome(engine=self.name, engine_version=self.version, two_sided=len(images) == 2)
        if not images or len(images) > 2:
            outcome.error, outcome.detail = ErrorCode.BAD_IMAGE, "one or two images expected"
            return outcome
        for data in images:
            try:
                image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                return ExtractionOutcome(error=ErrorCode.BAD_IMAGE, detail=str(exc), engine=self.name)
            lines = self.read_lines(image)
            if not any(line.words for line in lines):
                return ExtractionOutcome(error=ErrorCode.NO_CONTENT, detail="no text found", engine=self.name)
            outcome.sides.append(read_fields(lines))
        outcome.timings["total"] = time.perf_counter() - started
        return outcome

    def read_lines(self, image: Image.Image) -> list[Line]:
        self.api.SetImage(image)
        self.api.Recognize()
        lines: list[Line] = []
        iterator = self.api.GetIterator()
        level = tesserocr.RIL.WORD
        for word in tesserocr.iterate_level(iterator, level):
            text = word.GetUTF8Text(level)
            if text is None:
                continue
            if not lines or word.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
                lines.append(Line())
            lines[-1].words.append(Word(unicodedata.normalize("NFC", text), float(word.Confidence(level))))
        for line in lines:
            line.index()
        return [line for line in lines if line.words]


def _lower(text: str) -> str:
    # Same length as the input, so offsets carry over.
    return text.lower()


def _after_label(line: Line, label: str) -> Optional[tuple[str, float]]:
    """The value after `label` on the line: after the colon if there is one, without an
    English part in brackets, up to the next known label."""
    text = line.text
    lower = _lower(text)
    at = lower.find(label)
    if at < 0:
        return None
    start = at + len(label)
    colon = text.find(":", start)
    if colon >= 0 and colon - start < 40:
        start = colon + 1
    else:
        bracket = re.match(r"\s*\([^)]*\)?", text[start:])
        if bracket:
            start += bracket.end()
    end = len(text)
    for other in _ALL_LABELS:
        found = lower.find(other, start)
        if found >= 0 and found < end and other != label:
            end = found
    value = text[start:end]
    stripped = value.strip(" .:;,…-_")
    if not stripped:
        return "", 0.0
    offset = start + value.find(stripped)
    return " ".join(stripped.split()), line.confidence(offset, offset + len(stripped))


def _first(lines: list[Line], labels: Sequence[str], *, skip: Sequence[str] = ()) -> Optional[tuple[str, float]]:
    for label in labels:
        for line in lines:
            lower = _lower(line.text)
            if label in lower and not any(s in lower for s in skip):
                found = _after_label(line, label)
                if found is not None:
                    return found
    return None


def _number(found: Optional[tuple[str, float]]) -> Optional[tuple[str, float]]:
    if not found:
        return found
    match = _NUMBER.search(found[0])
    return (match.group(0).rstrip(".,"), found[1]) if match else ("", found[1])


def _date(text: str) -> str:
    parsed = parse_date(text)
    return parsed.strftime("%d/%m/%Y") if parsed else ""


def read_fields(lines: list[Line]) -> SideReading:
    """Fields of one side from its text lines, by label search."""
    everything = _lower(" ".join(line.text for line in lines))
    side = Side.BACK if any(marker in everything for marker in _BACK_MARKERS) else Side.FRONT
    kind = VehicleKind.CAR if "ô tô" in everything or "năm sản xuất" in everything else VehicleKind.MOTORBIKE
    reading = SideReading(side=side, kind=kind)
    found: dict[str, tuple[str, float]] = {}

    for name in ("name", "address", "plate"):
        hit = _first(lines, LABELS[name])
        if hit:
            found[name] = hit
    for line in lines:  # the issuing unit: the first line naming a police unit
        lower = _lower(line.text)
        at = lower.find("công an")
        if at >= 0:
            start = lower.rfind("phòng", 0, at)
            start = start if start >= 0 and at - start < 40 else at
            value = line.text[start:].strip(" .:")
            found["issued_at"] = (value, line.confidence(start, len(line.text)))
            break
    if side == Side.FRONT:
        for line in lines:
            match = re.match(r"\s*số\b[^:0-9]{0,12}:?\s*([0-9][0-9 ]{4,})", _lower(line.text))
            if match:
                digits = "".join(ch for ch in match.group(1) if ch.isdigit())
                found["id"] = (digits, line.confidence(match.start(1), match.end(1)))
                break
    else:
        for name in ("engine", "chassis", "brand", "color", "capacity", "year_of_manufacture"):
            hit = _first(lines, LABELS[name], skip=("động cơ",) if name == "brand" else ())
            if hit:
                found[name] = hit
        model = _first(lines, ("số loại",)) or _first(lines, ("loại xe",))
        if model:
            found["model"] = model
        for name in ("sit", "stand", "lie", "pay_load"):
            hit = _number(_first(lines, LABELS[name]))
            if hit:
                found[name] = hit
        first = _first(lines, LABELS["first_issue_date"])
        if first:
            found["first_issue_date"] = (_date(first[0]), first[1])
        for line in lines:
            lower = _lower(line.text)
            if "ngày" in lower and "tháng" in lower and "năm" in lower and "giá trị" not in lower:
                at = lower.find("ngày")
                found["last_issue_date"] = (_date(line.text[at:]), line.confidence(at, len(line.text)))
                break

    for spec in SIDE_FIELDS[side]:
        if spec.derived:
            continue
        value, confidence = found.get(spec.name, ("", 0.0))
        reading.fields[spec.name] = FieldReading(name=spec.name, value=value, confidence=round(confidence, 4))
    if side == Side.BACK:
        _derive(reading)
    return reading


def _derive(reading: SideReading) -> None:
    """Codes and official names from the address and the issuing unit, as the seed gives them."""
    parsed = parse_legacy_address(reading.value("address"))
    derived = {
        "address_town_code": parsed.province_code, "address_district_code": parsed.district_code,
        "address_ward_code": parsed.ward_code, "address_town": parsed.province,
        "address_district": parsed.district, "address_ward": parsed.ward,
        "issued_at_code": issuer_province_code(reading.value("issued_at")) or "",
    }
    for name, value in derived.items():
        reading.fields[name] = FieldReading(name=name, value=value, confidence=None)
