"""The local extraction engine: image bytes in, seed-schema fields with confidences out.

Stages, one module each: input (`image_input`), card finding and alignment (`align`), the grey
image for OCR (`prepare`), reading (`ocr`, `rows`), label finding (`labels`, `fields`),
normalising and checks (`normalize`, `checks`, `addresses`), confidence (`confidence`).
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence

import cv2
import numpy as np
from PIL import Image

from services.evaluation.canonical import canonical
from services.extraction import align, fields as locate
from services.extraction.checks import plate_province_problem
from services.extraction.confidence import ConfidenceModel, Evidence
from services.extraction.image_input import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode
from services.extraction.labels import BY_KEY
from services.extraction.normalize import Normalized, normalize
from services.extraction.ocr import DEFAULT_TESSDATA, PSM, OcrLine, OcrWord, TesseractReader, reader
from services.extraction.prepare import crop, is_blank, ocr_gray
from services.extraction.rows import Row, build_rows
from services.results import ExtractionOutcome, FieldReading, SideReading
from services.schema import BACK_FIELDS, FRONT_FIELDS, ErrorCode, SeedError, Side, VehicleKind

ENGINE_NAME = "local"
ENGINE_VERSION = "1.0"

# Characters a re-read may produce, per field.
WHITELISTS = {
    "plate": "0123456789ABCDEFGHKLMNPSTUVXYZĐ-.",
    "engine": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-",
    "chassis": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-",
    "first_issue_date": "0123456789/.-",
    "capacity": "0123456789.,",
    "pay_load": "0123456789.,",
    "year_of_manufacture": "0123456789",
    "sit": "0123456789",
    "stand": "0123456789",
    "lie": "0123456789",
    "id": "0123456789 ",
}
# Fields only cars carry; on a motorbike's card their absence is certain.
CAR_ONLY = ("pay_load", "year_of_manufacture", "lie", "sit", "stand")
# Labels that only the detail side prints.
BACK_LABELS = ("engine", "chassis", "brand", "model", "color", "capacity", "first_issue_date", "valid_until",
               "engine_name", "horsepower", "type", "load", "sit")
THUMB_QUALITY = 85


@dataclass
class EngineConfig:
    tessdata_dir: str = DEFAULT_TESSDATA
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass
class PageRead:
    """One OCR pass over an aligned card in one orientation."""

    rgb: np.ndarray
    gray: np.ndarray
    rows: list[Row]
    labelled: list[locate.RowLabels]
    rotation: int

    @property
    def label_count(self) -> int:
        return sum(1 for item in self.labelled for hit in item.hits if hit.score >= 0.85)

    @property
    def mean_conf(self) -> float:
        words = [w for row in self.rows for w in row.words]
        return sum(w.conf for w in words) / len(words) if words else 0.0


@dataclass
class FieldRead:
    name: str
    value: str
    normalized: Normalized
    evidence: Evidence
    box: Optional[tuple[int, int, int, int]] = None


@dataclass
class SideContext:
    side: Side
    kind: VehicleKind
    align_score: float
    notes: list[str] = field(default_factory=list)


class Engine:
    name = ENGINE_NAME
    version = ENGINE_VERSION

    def __init__(self, config: Optional[EngineConfig] = None, model: Optional[ConfidenceModel] = None) -> None:
        self.config = config or EngineConfig()
        self.model = model or ConfidenceModel.load()

    # --- public ---------------------------------------------------------------------------------
    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        started = time.perf_counter()
        outcome = ExtractionOutcome(engine=self.name, engine_version=self.version, two_sided=len(images) == 2)
        if not 1 <= len(images) <= 2:
            outcome.error, outcome.detail = ErrorCode.NO_CONTENT, "one or two images are needed"
            return outcome
        try:
            expected = [None] if len(images) == 1 else [Side.FRONT, Side.BACK]
            for data, side in zip(images, expected):
                outcome.sides.append(self.read_side(data, expected_side=side, thumb=thumb))
        except SeedError as error:
            outcome.error, outcome.detail, outcome.sides = error.code, error.detail, []
        outcome.timings["total"] = round(time.perf_counter() - started, 3)
        return outcome

    def read_side(self, data: bytes, *, expected_side: Optional[Side] = None, thumb: bool = True) -> SideReading:
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        rgb, _meta = decode(data, max_bytes=self.config.max_bytes, max_pixels=self.config.max_pixels)
        if is_blank(rgb):
            raise SeedError(ErrorCode.NO_CONTENT, "the image holds no card and no text")
        aligned, alignment = self._align(rgb)
        timings["align"] = time.perf_counter() - clock
        clock = time.perf_counter()
        page = self._read_page(aligned)
        timings["read"] = time.perf_counter() - clock
        if not page.rows:
            raise SeedError(ErrorCode.NO_CONTENT, "no text found")
        side, kind = self._side_and_kind(page, expected_side)
        if side is None:
            raise SeedError(ErrorCode.NO_CONTENT, "no vehicle registration text found")
        context = SideContext(side=side, kind=kind, align_score=alignment.score)
        clock = time.perf_counter()
        reads = self._read_fields(page, context)
        timings["fields"] = time.perf_counter() - clock
        reading = SideReading(side=side, kind=kind, timings={k: round(v, 3) for k, v in timings.items()})
        specs = FRONT_FIELDS if side == Side.FRONT else BACK_FIELDS
        for spec in specs:
            read = reads.get(spec.name)
            if read is None:
                continue
            reading.fields[spec.name] = FieldReading(
                name=spec.name,
                value=read.value,
                confidence=self.model.predict(spec.name, read.evidence) if spec.has_confidence else None,
                box=read.box,
                check_ok=read.normalized.ok,
                check_reason=read.normalized.reason,
                note=read.normalized.note,
            )
        self._derive(reading, reads)
        if thumb:
            reading.aligned_jpeg = _jpeg(page.rgb)
        return reading

    # --- stages -----------------------------------------------------------------------------------
    def _align(self, rgb: np.ndarray) -> tuple[np.ndarray, align.Alignment]:
        quad, method, score = align.find_card(rgb)
        if quad is not None:
            card = align.unwarp(rgb, quad)
            skew_range = 3.0
        else:
            card = align.resize_to_width(rgb)
            skew_range = 20.0
        if card.shape[0] > card.shape[1]:
            card = align.rotate(card, 90)
        card = align.resize_to_width(card)
        gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
        angle = align.estimate_skew(gray, skew_range)
        card = align.deskew(card, angle)
        return card, align.Alignment(image=card, quad=quad, method=method, score=score, skew=angle)

    def _read_page(self, card: np.ndarray) -> PageRead:
        """Read the card; if it reads poorly, it may be upside down (or on its side)."""
        first = self._page(card, 0)
        if first.label_count >= 4 and first.mean_conf >= 0.6:
            return first
        best = first
        for rotation in (180, 90, 270):
            turned = align.resize_to_width(align.rotate(card, rotation))
            candidate = self._page(turned, rotation)
            if (candidate.label_count, candidate.mean_conf) > (best.label_count, best.mean_conf):
                best = candidate
            if best.label_count >= 4 and best.mean_conf >= 0.6:
                break
        return best

    def _page(self, card: np.ndarray, rotation: int) -> PageRead:
        gray = ocr_gray(card)
        lines = self._reader().read(gray, psm=PSM.SPARSE_TEXT)
        rows = build_rows(lines)
        return PageRead(rgb=card, gray=gray, rows=rows, labelled=locate.label_rows(rows), rotation=rotation)

    def _reader(self) -> TesseractReader:
        return reader(self.config.tessdata_dir)

    def _side_and_kind(self, page: PageRead, expected: Optional[Side]) -> tuple[Optional[Side], VehicleKind]:
        title_side, title_kind = locate.card_title(page.rows)
        keys = {hit.key for item in page.labelled for hit in item.hits}
        back_votes = len(keys & set(BACK_LABELS))
        text = " ".join(row.text for row in page.rows)
        if title_side == "front" and back_votes < 3:
            side = Side.FRONT
        elif back_votes >= 2:
            side = Side.BACK
        elif keys & {"name", "address", "plate"}:
            side = expected or Side.FRONT
        else:
            side = expected if keys else None
        kind = VehicleKind(title_kind) if title_kind else VehicleKind.UNKNOWN
        if kind == VehicleKind.UNKNOWN:
            car_marks = keys & {"type", "sit", "load", "dimensions", "empty_weight", "horsepower", "engine_name"}
            if car_marks or re.search(r"\bÔ TÔ\b", text, re.IGNORECASE):
                kind = VehicleKind.CAR
            elif re.search(r"\b\d{2}\s*-?\s*[A-Z][0-9]\s*-", text):
                kind = VehicleKind.MOTORBIKE
            elif side == Side.BACK:
                kind = VehicleKind.MOTORBIKE if "model" in keys else VehicleKind.UNKNOWN
        return side, kind

    # --- fields -----------------------------------------------------------------------------------
    def _read_fields(self, page: PageRead, context: SideContext) -> dict[str, FieldRead]:
        width = page.gray.shape[1]
        located = locate.locate_labelled(page.labelled, width)
        if "model" not in located and "type" in located:
            located["model"] = located.pop("type")
            located["model"].field = "model"
        located.pop("type", None)
        issue_date = locate.locate_issue_date(page.rows)
        if issue_date is not None:
            located["last_issue_date"] = issue_date
        if "issued_at" not in located:
            issuer = locate.locate_issuer_caps(page.rows, page.gray.shape[0])
            if issuer is not None:
                located["issued_at"] = issuer
        if context.side == Side.FRONT and "id" not in located:
            number = locate.locate_certificate_number(page.rows)
            if number is not None:
                located["id"] = number
        specs = FRONT_FIELDS if context.side == Side.FRONT else BACK_FIELDS
        reads: dict[str, FieldRead] = {}
        for spec in specs:
            if spec.derived:
                continue
            item = located.get(spec.name)
            reads[spec.name] = self._read_one(spec.name, item, page, context)
        self._cross_check(reads)
        return reads

    def _read_one(self, name: str, item: Optional[locate.Located], page: PageRead, context: SideContext) -> FieldRead:
        absent_expected = context.kind == VehicleKind.MOTORBIKE and name in CAR_ONLY
        if item is None:
            evidence = Evidence(empty=1.0, absent_expected=1.0 if absent_expected else 0.0,
                                check_ok=1.0 if absent_expected else 0.0, align_score=context.align_score)
            return FieldRead(name, "", Normalized(value="", ok=absent_expected,
                                                  reason="" if absent_expected else "label not found"), evidence)
        page_text = self._value_text(name, item.words)
        reread_words = self._reread(name, item, page)
        reread_text = self._value_text(name, reread_words)
        motorbike = {VehicleKind.MOTORBIKE: True, VehicleKind.CAR: False}.get(context.kind)
        options = {"motorbike": motorbike} if name == "plate" else {}
        first = normalize(name, page_text, **options) if page_text else None
        second = normalize(name, reread_text, **options) if reread_text else None
        chosen, chosen_words = _choose(name, first, item.words, second, reread_words)
        agree = bool(first and second and canonical(name, first.value) == canonical(name, second.value))
        words = chosen_words or item.words
        confs = [w.conf for w in words] or [0.0]
        chars = [c for w in words for c in w.chars]
        value = chosen.value if chosen else ""
        normalized = chosen or Normalized(value="", ok=absent_expected,
                                          reason="" if absent_expected else "nothing read")
        if not value and not absent_expected and normalized.ok and name not in CAR_ONLY:
            normalized.fail("nothing read")
        evidence = Evidence(
            conf_mean=_weighted_conf(words),
            conf_min=min(confs),
            margin_min=min((c.margin for c in chars), default=0.0),
            margin_mean=(sum(c.margin for c in chars) / len(chars)) if chars else 0.0,
            agree=1.0 if agree else 0.0,
            check_ok=1.0 if normalized.ok else 0.0,
            corrections=float(normalized.corrections),
            label_score=item.label_score,
            match_score=normalized.match_score if normalized.match_score is not None else 1.0,
            empty=0.0 if value else 1.0,
            absent_expected=1.0 if (absent_expected and not value) else 0.0,
            pattern=1.0 if item.how == "pattern" else 0.0,
            rows=float(len(item.regions)),
            align_score=context.align_score,
            length=len(value) / 20.0,
        )
        return FieldRead(name, value, normalized, evidence, box=item.box)

    def _reread(self, name: str, item: locate.Located, page: PageRead) -> list[OcrWord]:
        """Read the value's region again, line by line, with settings for its type."""
        words: list[OcrWord] = []
        whitelist = WHITELISTS.get(name, "")
        for region in item.regions:
            piece, scale = crop(page.gray, region, target_height=48)
            if piece.size == 0:
                continue
            lines: list[OcrLine] = self._reader().read(piece, psm=PSM.SINGLE_LINE, whitelist=whitelist)
            for line in lines:
                for word in line.words:
                    x, y, w, h = word.box
                    # Back to card coordinates: undo the border and the scaling.
                    word.box = (int(region[0] + (x - 12) / scale), int(region[1] + (y - 12) / scale),
                                int(w / scale), int(h / scale))
                    words.append(word)
        return words

    @staticmethod
    def _value_text(name: str, words: Sequence[OcrWord]) -> str:
        text = " ".join(w.text for w in words)
        text = locate.strip_label_punctuation(text) if hasattr(locate, "strip_label_punctuation") else text
        return text.strip()

    def _cross_check(self, reads: dict[str, FieldRead]) -> None:
        plate, issuer = reads.get("plate"), reads.get("issued_at")
        if plate and issuer and plate.value and issuer.normalized.derived.get("issued_at_code"):
            problem = plate_province_problem(plate.value, issuer.normalized.derived["issued_at_code"])
            if problem:
                plate.normalized.fail(problem)
                plate.evidence.check_ok = 0.0
        first, last = reads.get("first_issue_date"), reads.get("last_issue_date")
        if first and last and first.value and last.value:
            from services.evaluation.canonical import parse_date

            a, b = parse_date(first.value), parse_date(last.value)
            if a and b and a > b:
                for read in (first, last):
                    read.normalized.fail("first registration after the issue date")
                    read.evidence.check_ok = 0.0
        year = reads.get("year_of_manufacture")
        if year and first and year.value.isdigit() and first.value:
            from services.evaluation.canonical import parse_date

            a = parse_date(first.value)
            if a and int(year.value) > a.year:
                year.normalized.fail("made after its first registration")
                year.evidence.check_ok = 0.0

    @staticmethod
    def _derive(reading: SideReading, reads: dict[str, FieldRead]) -> None:
        if reading.side != Side.BACK:
            return
        address = reads.get("address")
        derived = dict(address.normalized.derived) if address else {}
        issuer = reads.get("issued_at")
        if issuer:
            derived.update(issuer.normalized.derived)
        for name, value in derived.items():
            if name in {spec.name for spec in BACK_FIELDS}:
                reading.fields[name] = FieldReading(name=name, value=value, confidence=None)


def _weighted_conf(words: Sequence[OcrWord]) -> float:
    total = sum(len(w.text) for w in words)
    if not total:
        return 0.0
    return sum(w.conf * len(w.text) for w in words) / total


def _choose(name: str, first: Optional[Normalized], first_words: list[OcrWord],
            second: Optional[Normalized], second_words: list[OcrWord]) -> tuple[Optional[Normalized], list[OcrWord]]:
    """Pick between the page read and the re-read: a value that passes its checks beats one that
    does not; then the re-read, which used settings for the field's type on a tight crop."""
    options = [(second, second_words), (first, first_words)]
    options = [(n, w) for n, w in options if n is not None and n.value]
    if not options:
        return (first or second), first_words
    passing = [(n, w) for n, w in options if n.ok]
    pool = passing or options
    return pool[0]


def _jpeg(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=THUMB_QUALITY, optimize=True)
    return buffer.getvalue()
