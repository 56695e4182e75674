"""The local extraction engine: image bytes in, seed-schema fields with confidences out.

Stages, one module each: card finding and alignment (`align`), the grey image for OCR
(`prepare`, `cleanup`, `lines`), reading (`ocr`, `rows`), label finding (`labels`, `fields`),
confidence (`confidence`). The image bytes are accepted by `services.core.images`; what a value
must look like (normalising, checks, addresses) is the domain's, shared with the review workflow.
"""

from __future__ import annotations

import copy
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

from services.core.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode
from services.domain.canonical import canonical
from services.domain.checks import cross_field_problems
from services.domain.kinds import CAR_ONLY
from services.domain.normalize import Normalized, normalize
from services.domain.reference import vehicles
from services.domain.results import ExtractionOutcome, FieldReading, Point, SideReading
from services.domain.schema import BACK_FIELDS, FRONT_FIELDS, ErrorCode, SeedError, Side, VehicleKind
from services.domain.vietnamese import fold
from services.extraction import align, ctc
from services.extraction import fields as locate
from services.extraction.cleanup import clean
from services.extraction.budget import Budget, unlimited
from services.extraction.confidence import ConfidenceModel, Evidence
from services.extraction.grammars import grammar_for
from services.extraction.labels import find_labels, is_label_text, strip_gloss
from services.extraction.lines import Segment, find_segments
from services.extraction.ocr import DEFAULT_TESSDATA, PSM, OcrLine, OcrWord, TesseractReader, reader
from services.extraction.prepare import CROP_BORDER, STRICT_WHITEN_AT, crop, flatten, is_blank, red_ink, whiten
from services.extraction.recognizer import MODEL_FILE, LineRecognizer, to_line
from services.extraction.rows import Row, build_rows

ENGINE_NAME = "local"
ENGINE_VERSION = "2.0"

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
# Labels that only the detail side prints.
BACK_LABELS = ("engine", "chassis", "brand", "model", "color", "capacity", "first_issue_date", "valid_until",
               "engine_name", "horsepower", "type", "load", "sit")
THUMB_QUALITY = 85
LETTER_PIXELS = 30.0  # letter height Tesseract reads best at
# Fields printed where the seal and signature overlap: also re-read on a more strictly whitened image.
SEAL_FIELDS = ("issued_at", "last_issue_date")
# Lines read both ways up to tell an upside-down card: at most this many, and from the third on
# no more once one way reads this many times better than the other.
ORIENTATION_LINES, ORIENTATION_EARLY, ORIENTATION_LEAD = 8, 3, 1.3
# A reading cut short by the time budget is never confident: a reviewer looks at every field.
CUT_SHORT_CONFIDENCE = 0.3
# Shares of the budget after which optional work stops: the second orientation, more reading
# attempts of a page line, the Tesseract re-reads of values (the recogniser's are kept: cheap).
BUDGET_TURN, BUDGET_PAGE, BUDGET_ATTEMPTS, BUDGET_REREADS = 0.35, 0.6, 0.3, 0.75


# Values that are free text: a name, an address or a unit may hold words that labels use too.
FREE_TEXT = ("name", "address", "issued_at")


@dataclass
class EngineConfig:
    tessdata_dir: str = DEFAULT_TESSDATA
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    # Recognisers that re-read every value: Debian's `vie` model and the Vietnamese script
    # model err on different letters, so their agreement is strong evidence and their vote
    # fixes a share of each one's errors.
    languages: tuple[str, ...] = ("vie", "Vietnamese")
    # The recogniser trained on these cards (None: Tesseract alone, for comparisons); its
    # reading counts this many times in the vote.
    recognizer_model: Optional[Path] = MODEL_FILE
    recognizer_weight: float = 2.0
    # Page segments where the recogniser finds more labels than Tesseract are read as it does.
    recognizer_labels: bool = True
    # A page line the recogniser reads with at least this mean character probability is taken
    # as it read it, without Tesseract (None: Tesseract reads every line).
    page_model_conf: Optional[float] = None
    # Seconds one image may take; past it the engine answers with what it has read, every
    # confidence capped at CUT_SHORT_CONFIDENCE (the API's own limit is only a last guard).
    time_budget: float = 8.0


@dataclass
class PageRead:
    """One OCR pass over an aligned card in one orientation."""

    rgb: np.ndarray
    flat: np.ndarray  # prepare.flatten of rgb: what both whitenings start from
    red: np.ndarray  # prepare.red_ink of rgb: the seal's pixels, made paper in both
    gray: np.ndarray
    rows: list[Row]
    labelled: list[locate.RowLabels]
    rotation: int
    _strict_gray: Optional[np.ndarray] = None

    @property
    def strict_gray(self) -> np.ndarray:
        """The card whitened closer to the ink, made when first needed."""
        if self._strict_gray is None:
            self._strict_gray = clean(whiten(self.flat, STRICT_WHITEN_AT, paper=self.red))
        return self._strict_gray

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
        # Loaded now: a missing or damaged model stops the start-up with `ModelError`.
        self.recognizer = LineRecognizer(self.config.recognizer_model) if self.config.recognizer_model else None
        # The image being read now (an engine is used by one thread at a time).
        self.budget = unlimited()

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
        return self.read_side_with_evidence(data, expected_side=expected_side, thumb=thumb)[0]

    def read_side_with_evidence(self, data: bytes, *, expected_side: Optional[Side] = None, thumb: bool = True
                                ) -> tuple[SideReading, dict[str, Evidence]]:
        """The side's reading, and the evidence behind each field's confidence (for calibrating
        the confidence model and for tests). Raises `SeedError` for unusable input."""
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        self.budget = Budget(self.config.time_budget)
        rgb, _meta = decode(data, max_bytes=self.config.max_bytes, max_pixels=self.config.max_pixels)
        if is_blank(rgb):
            raise SeedError(ErrorCode.NO_CONTENT, "the image holds no card and no text")
        alignment = align.align_card(rgb)
        timings["align"] = time.perf_counter() - clock
        clock = time.perf_counter()
        page, alignment = self._read_page(rgb, alignment)
        timings["read"] = time.perf_counter() - clock
        if not page.rows:
            raise SeedError(ErrorCode.NO_CONTENT, "no text found")
        side, kind = self._side_and_kind(page, expected_side)
        if side is None:
            side = _best_guess_side(page, alignment)
        if side is None:
            raise SeedError(ErrorCode.NO_CONTENT, "no vehicle registration text found")
        context = SideContext(side=side, kind=kind, align_score=alignment.score)
        clock = time.perf_counter()
        unchecked = self._read_fields(page, context)
        reads = self._cross_checked(unchecked)
        if locate.card_title(page.rows)[1] is None:
            # No title said what the vehicle is: what was read may (a motorbike's plate series,
            # a motorbike brand's model). Only the fields whose reading depends on the kind are
            # read again.
            told = _kind_from_values(reads)
            if told is not None and told != context.kind:
                context.kind = kind = told
                reads = self._cross_checked(self._read_fields(page, context, reuse=unchecked))
        timings["fields"] = time.perf_counter() - clock
        reading = SideReading(side=side, kind=kind, timings={k: round(v, 3) for k, v in timings.items()})
        if self.budget.cut_short:
            reading.timings["cut_short"] = 1.0
        specs = FRONT_FIELDS if side == Side.FRONT else BACK_FIELDS
        for spec in specs:
            read = reads.get(spec.name)
            if read is None:
                continue
            confidence = self.model.predict(spec.name, read.evidence) if spec.has_confidence else None
            if confidence is not None and self.budget.cut_short:
                confidence = min(confidence, CUT_SHORT_CONFIDENCE)
            reading.fields[spec.name] = FieldReading(
                name=spec.name,
                value=read.value,
                confidence=confidence,
                box=read.box,
                check_ok=read.normalized.ok,
                check_reason=read.normalized.reason,
                note=read.normalized.note,
            )
        self._derive(reading, reads)
        reading.card_corners = _corners_in_picture(alignment, page)
        if thumb:
            reading.aligned_jpeg = _jpeg(page.rgb)
        return reading, {name: read.evidence for name, read in reads.items()}

    # --- stages -----------------------------------------------------------------------------------
    def _read_page(self, rgb: np.ndarray, alignment: align.Alignment) -> tuple[PageRead, align.Alignment]:
        """Read the card upright. Alignment already turned it landscape, so it is either right
        way up or upside down: the recogniser tells which from a few of its lines, read both
        ways (cheap). A card that was not upright in the picture is then found again in the
        picture turned upright, so that every turn of a picture is read as the upright picture
        is (the card search and the line finding are not the same on a turned picture), and
        the page is read once. Only when that reading finds too few labels and no title is
        the card read turned half round too, the better reading winning."""
        card = alignment.image
        flat, red, gray, segments = _prepared(card)
        rotation = self._upside(gray, segments) if self.recognizer is not None else 0
        turn = (alignment.rotation + rotation) % 360
        if turn and not self.budget.spent(BUDGET_TURN):
            again = align.align_card(align.rotate(rgb, turn))
            if again.rotation == 0:  # found landscape in the turned picture, as it should be
                again.matrix = again.matrix @ _turn_matrix(turn, rgb.shape[1], rgb.shape[0])
                again.quad = None if again.quad is None else _untransform(again.quad, turn, rgb.shape)
                alignment, card, rotation = again, again.image, 0
                flat, red, gray, segments = _prepared(card)
        first = self._page(card, flat, red, gray, segments, rotation)
        if _upright(first) or self.budget.spent(BUDGET_TURN):
            return first, alignment
        turned = self._page(card, flat, red, gray, segments, (rotation + 180) % 360)
        return (turned if _page_score(turned) > _page_score(first) else first), alignment

    def _upside(self, gray: np.ndarray, segments: Sequence[Segment]) -> int:
        """0 or 180: which way up the text reads better. The widest lines of the card are read
        as they are and turned half round; upside-down print gives the recogniser no confident
        characters."""
        assert self.recognizer is not None
        scores = [0.0, 0.0]
        for number, segment in enumerate(sorted(segments, key=lambda s: -s.box[2])[:ORIENTATION_LINES], start=1):
            x, y, w, h = segment.box
            piece = gray[y:y + h, x:x + w]
            for k, crop_ in enumerate((piece, piece[::-1, ::-1])):
                post = self.recognizer.posteriors(np.ascontiguousarray(crop_), (0, 0, w, h))
                if post is not None:
                    scores[k] += sum(e.prob for e in ctc.greedy(post.logp) if e.char != " ")
            # A clear lead after a few lines is not overturned by the rest (on both ways up of
            # the 120 sides of two development sets, the same answer as all eight lines).
            if number >= ORIENTATION_EARLY and max(scores) > ORIENTATION_LEAD * min(scores) + 3.0:
                break
        return 180 if scores[1] > 1.15 * scores[0] + 1.0 else 0

    def _page(self, card: np.ndarray, flat: np.ndarray, red: np.ndarray, gray: np.ndarray,
              segments: Sequence[Segment], rotation: int) -> PageRead:
        """The page read with the card turned by `rotation` (0 or 180). Its lines are found again
        on the turned image: a line's box leaves more room above the letters (stacked tone marks)
        than below, so boxes found upside down and turned would clip the marks."""
        if rotation:
            card, flat, gray = (align.rotate(image, rotation) for image in (card, flat, gray))
            red = align.rotate(red.view(np.uint8), rotation).view(bool)
            segments = find_segments(gray)
        lines: list[OcrLine] = []
        for segment in segments:
            if self.budget.spent(BUDGET_PAGE):
                break  # the lines read so far make the page
            model = self.recognizer.read(gray, segment.box) if self.recognizer is not None else []
            if model and self.config.page_model_conf is not None and _char_mean(model[0].words) >= \
                    self.config.page_model_conf:
                lines.extend(model)  # read surely enough: Tesseract is not asked
                continue
            read = self._read_box(gray, segment.box, letter_height=segment.height)
            if model and self.config.recognizer_labels:
                read = self._labels_read_better(read, model)
            lines.extend(read)
        rows = build_rows(lines)
        return PageRead(rgb=card, flat=flat, red=red, gray=gray, rows=rows, labelled=locate.label_rows(rows),
                        rotation=rotation)

    @staticmethod
    def _labels_read_better(tesseract: list[OcrLine], model: list[OcrLine]) -> list[OcrLine]:
        """A segment's reading for the page: Tesseract's, unless the trained recogniser finds
        clearly more of the card's labels in it (labels in a type Tesseract reads badly are
        what the page read is for)."""
        def labels(lines: list[OcrLine]) -> float:
            return sum(hit.score for line in lines for hit in find_labels([w.text for w in line.words]))

        return model if labels(model) >= labels(tesseract) + 0.5 else tesseract

    def _read_box(self, gray: np.ndarray, box: tuple[int, int, int, int], *, letter_height: float,
                  whitelist: str = "", lang: str = "vie") -> list[OcrLine]:
        """Read one line of text in `box`, scaled so its letters are about 30 px tall; boxes of
        the words come back in card coordinates.

        Tesseract's single-line mode now and then returns nothing for a line mixing two sizes
        of type (a small label, a large plate): then the line is tried at its own size, and
        raw, without Tesseract's line analysis; the fullest reading wins."""
        expected = box[2] / max(1.0, 0.9 * letter_height)  # about how many characters fit
        best: list[OcrLine] = []
        best_score = -1.0
        attempts = (
            (min(3.0, max(0.6, LETTER_PIXELS / max(1.0, letter_height))), PSM.SINGLE_LINE),
            (1.0, PSM.SINGLE_LINE),
            (min(3.0, max(0.6, LETTER_PIXELS / max(1.0, letter_height))), PSM.RAW_LINE),
        )
        for scale, psm in attempts:
            lines = self._read_scaled(gray, box, scale, psm, whitelist, lang)
            chars = sum(len(w.text) for line in lines for w in line.words)
            score = sum(w.conf * len(w.text) for line in lines for w in line.words)
            if score > best_score:
                best, best_score = lines, score
            if chars >= 0.35 * expected or self.budget.spent(BUDGET_ATTEMPTS):
                break
        return best

    def _read_scaled(self, gray: np.ndarray, box: tuple[int, int, int, int], scale: float, psm: int,
                     whitelist: str, lang: str = "vie") -> list[OcrLine]:
        piece, scale = crop(gray, box, scale=scale)
        if piece.size == 0:
            return []
        lines = self._reader(lang).read(piece, psm=psm, whitelist=whitelist)
        for line in lines:
            for word in line.words:
                word.box = _to_card(word.box, box, scale)
            line.box = _to_card(line.box, box, scale)
        return lines

    def _reader(self, lang: str = "vie") -> TesseractReader:
        return reader(self.config.tessdata_dir, lang)

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
    def _read_fields(self, page: PageRead, context: SideContext,
                     reuse: Optional[dict[str, FieldRead]] = None) -> dict[str, FieldRead]:
        """Every field of the side, before the rules between fields; from `reuse` (a reading of
        the same page for another kind) the fields that do not depend on the kind."""
        width = page.gray.shape[1]
        located = locate.locate_labelled(page.labelled, width)
        if "model" not in located and "type" in located:
            located["model"] = located.pop("type")
            located["model"].field = "model"
        located.pop("type", None)
        for key in [key for key, item in located.items() if key not in FREE_TEXT and item.words]:
            # Label words where a value was expected: nothing was found there.
            if is_label_text(located[key].text):
                del located[key]
        issue_date = locate.locate_issue_date(page.rows)
        if issue_date is not None:
            located["last_issue_date"] = issue_date
        if "issued_at" not in located:
            issuer = locate.locate_issuer_caps(page.labelled, page.gray.shape[0])
            if issuer is not None:
                located["issued_at"] = issuer
        if "plate" not in located or not locate.reads_as_plate(located["plate"].text):
            plate = locate.locate_plate_by_pattern(page.rows, _regions_but(located, "plate"))
            if plate is not None:
                located["plate"] = plate
        if "address" not in located or not located["address"].words:
            address = locate.locate_address_by_pattern(page.labelled, _regions_but(located, "address"))
            if address is not None:
                located["address"] = address
        if "name" not in located or not located["name"].words:
            name = locate.locate_name_by_pattern(page.labelled, _regions_but(located, "name"))
            if name is not None:
                located["name"] = name
        if context.side == Side.BACK:
            missing = [name for name in ("engine", "chassis") if name not in located or not located[name].words]
            if missing:
                located.update(locate.locate_serials_by_pattern(page.labelled, _regions_but(located, *missing),
                                                                missing))
        if context.side == Side.FRONT and "id" not in located:
            number = locate.locate_certificate_number(page.rows)
            if number is not None:
                located["id"] = number
        specs = FRONT_FIELDS if context.side == Side.FRONT else BACK_FIELDS
        reads: dict[str, FieldRead] = {}
        # The plate is read after the registering unit, whose province decides its prefix.
        for spec in sorted(specs, key=lambda spec: spec.name == "plate"):
            if spec.derived:
                continue
            if reuse is not None and spec.name in reuse and spec.name not in KIND_DEPENDENT:
                reads[spec.name] = reuse[spec.name]
                continue
            item = located.get(spec.name)
            options: dict[str, object] = {}
            if spec.name == "plate":
                options["motorbike"] = {VehicleKind.MOTORBIKE: True, VehicleKind.CAR: False}.get(context.kind)
                options["province"] = _registering_province(reads.get("issued_at"))
            if spec.name == "model" and "brand" in reads:
                options["brand"] = reads["brand"].value
            reads[spec.name] = self._read_one(spec.name, item, page, context, options)
        return reads

    def _cross_checked(self, reads: dict[str, FieldRead]) -> dict[str, FieldRead]:
        """A copy of the readings with the rules between fields applied (the readings themselves
        stay as read, to be reused for another kind)."""
        checked = copy.deepcopy(reads)
        self._cross_check(checked)
        return checked

    def _read_one(self, name: str, item: Optional[locate.Located], page: PageRead, context: SideContext,
                  options: dict[str, object]) -> FieldRead:
        absent_expected = context.kind == VehicleKind.MOTORBIKE and name in CAR_ONLY
        if absent_expected:
            # A motorbike's card has no seat, load or year rows: whatever a label search found
            # for them is other text (the signer's name under the seal, say).
            item = None
        if item is None:
            evidence = Evidence(empty=1.0, absent_expected=1.0 if absent_expected else 0.0,
                                check_ok=1.0 if absent_expected else 0.0, align_score=context.align_score)
            return FieldRead(name, "", Normalized(value="", ok=absent_expected,
                                                  reason="" if absent_expected else "label not found"), evidence)
        # Readings of the value: the page read, and each row read again on its own by every
        # recogniser with settings for the field's type. A wrapped value may have picked up a
        # row that belongs to something else, so every prefix of the rows is a candidate.
        sources: list[list[list[OcrWord]]] = [[[w for w in item.words if locate.inside(w, region)]
                                               for region in item.regions]]
        weights = [1.0]
        model_rows: Optional[list[list[OcrWord]]] = None
        if self.recognizer is not None:
            model_rows = [self._model_region(name, region, page.gray, str(options.get("province") or ""))
                          for region in item.regions]
            if not item.words:
                model_rows = [[w for w in row if w.conf >= 0.75] for row in model_rows]
        rereads = () if self.budget.spent(BUDGET_REREADS) else self.config.languages
        for number, lang in enumerate(rereads):
            if number and model_rows is not None and self._settled(name, sources + [model_rows], options):
                # The page read, the first re-read and the recogniser agree on a checked value:
                # the remaining readers, outweighed, could not change it.
                break
            rows = [self._reread_region(name, region, page, lang) for region in item.regions]
            if not item.words:
                # The page read saw nothing after the label: the region is a guess, and a
                # second read of it is trusted only when confident (dots and stains read as
                # "1" otherwise).
                rows = [[w for w in row if w.conf >= 0.75] for row in rows]
            sources.append(rows)
            weights.append(1.0)
            if name in SEAL_FIELDS:
                sources.append([self._reread_region(name, region, page, lang, gray=page.strict_gray)
                                for region in item.regions])
                weights.append(1.0)
        model_source: Optional[int] = None
        if model_rows is not None:
            sources.append(model_rows)
            weights.append(self.config.recognizer_weight)
            model_source = len(sources) - 1
        preferred = None
        if name == "last_issue_date" and not self.budget.spent(BUDGET_REREADS):
            parts = self._date_parts(item, page)
            if parts:
                # Day, month and year read digit by digit: when they make a date, it beats the
                # whole-line readings, which share the same misreadings.
                sources.append([parts])
                weights.append(1.0)
                preferred = len(sources) - 1
        best: Optional[FieldRead] = None
        for count in range(1, len(item.regions) + 1):
            candidate = self._candidate(name, item, [source[:count] for source in sources], context,
                                        absent_expected, options, preferred, weights, model_source)
            if best is None or _better(name, candidate, best):
                best = candidate
        assert best is not None
        return best

    def _settled(self, name: str, sources: list[list[list[OcrWord]]], options: dict[str, object]) -> bool:
        """Whether every reading of a one-row value so far gives the same value, passing its
        checks (at least three readings, the recogniser's among them)."""
        if len(sources) < 3 or any(len(rows) != 1 for rows in sources):
            return False
        keys = set()
        for rows in sources:
            text = self._value_text(name, rows[0])
            if not text:
                return False
            normalized = normalize(name, text, **options)
            if not (normalized.value and normalized.ok):
                return False
            keys.add(canonical(name, normalized.value))
        return len(keys) == 1

    def _candidate(self, name: str, item: locate.Located, sources: list[list[list[OcrWord]]],
                   context: SideContext, absent_expected: bool, options: dict[str, object],
                   preferred: Optional[int] = None, weights: Optional[Sequence[float]] = None,
                   model_source: Optional[int] = None) -> FieldRead:
        readings: list[tuple[Normalized, list[OcrWord]]] = []
        reading_weights: list[float] = []
        first_choice: Optional[int] = None
        model_reading: Optional[Normalized] = None
        model_words: list[OcrWord] = []
        blank = 0.0  # the weight of the readers that saw nothing
        for index, rows in enumerate(sources):
            words = [w for row in rows for w in row]
            text = self._value_text(name, words)
            if not text:
                blank += weights[index] if weights else 1.0
            else:
                if index == preferred:
                    first_choice = len(readings)
                readings.append((normalize(name, text, **options), words))
                reading_weights.append(weights[index] if weights else 1.0)
                if index == model_source:
                    model_reading, model_words = readings[-1][0], words
        chosen, words, agreement = _vote(name, readings, first_choice, reading_weights)
        page_words = [w for row in sources[0] for w in row]
        empty_ok = absent_expected or name in CAR_ONLY or name == "capacity"
        if empty_ok and chosen is not None and first_choice is None:
            # A field that may be blank: readers that saw nothing there vote for blank (one
            # Tesseract read of a dot or a stain as "3", against the page read and the
            # recogniser seeing nothing, is no value).
            # Not against a page read that is sure of a value passing its checks: the re-reads
            # see nothing also where their crop is wrong (a row boxed twice a line tall).
            page_sure = bool(page_words) and chosen.ok and all(w.conf >= 0.9 for w in page_words) and \
                canonical(name, self._value_text(name, page_words)) == canonical(name, chosen.value)
            if blank > sum(reading_weights) and not page_sure:
                chosen, words, agreement = None, [], blank / (blank + sum(reading_weights))
        words = words or page_words
        confs = [w.conf for w in words] or [0.0]
        chars = [c for w in words for c in w.chars]
        value = chosen.value if chosen else ""
        normalized = chosen or Normalized(value="", ok=empty_ok, reason="" if empty_ok else "nothing read")
        if not value and normalized.ok and not empty_ok:
            normalized.fail("nothing read")
        rows = len(sources[0])
        evidence = Evidence(
            conf_mean=_weighted_conf(words),
            conf_min=min(confs),
            margin_min=min((c.margin for c in chars), default=0.0),
            margin_mean=(sum(c.margin for c in chars) / len(chars)) if chars else 0.0,
            agree=agreement,
            check_ok=1.0 if normalized.ok else 0.0,
            corrections=float(normalized.corrections),
            label_score=item.label_score,
            match_score=normalized.match_score if normalized.match_score is not None else 1.0,
            empty=0.0 if value else 1.0,
            absent_expected=1.0 if (absent_expected and not value) else 0.0,
            pattern=1.0 if item.how == "pattern" else 0.0,
            rows=float(rows),
            align_score=context.align_score,
            length=len(value) / 20.0,
            model_conf=_char_mean(model_words),
            model_agree=1.0 if (model_reading is not None and value
                                and canonical(name, model_reading.value) == canonical(name, value)) else 0.0,
        )
        return FieldRead(name, value, normalized, evidence, box=_union_regions(item.regions[:rows]))

    def _date_parts(self, item: locate.Located, page: PageRead) -> list[OcrWord]:
        """`ngày 11 tháng 05 năm 2023`: the day, month and year read one by one with only
        digits allowed, from the gaps between the words "ngày", "tháng" and "năm" (a
        typewriter's "11" next to a seal is often read as "1†" in the whole line)."""
        words = item.words
        folded = [fold(w.text) for w in words]
        month = next((i for i, t in enumerate(folded) if locate.is_word(t, "thang")), None)
        year = next((i for i, t in enumerate(folded) if locate.is_word(t, "nam") and month is not None
                     and i > month), None)
        if month is None or year is None:
            return []
        day_from = next((words[i].x2 for i in range(month - 1, -1, -1)
                         if locate.is_word(folded[i], "ngay") or ")" in words[i].text), None)
        if day_from is None:
            day_from = words[max(0, month - 2)].box[0] - 5
        year_words = [w for w in words[year + 1:year + 3]]
        gaps = [
            (day_from, words[month].box[0]),
            (words[month].x2, words[year].box[0]),
            (words[year].x2, (year_words[-1].x2 + 8) if year_words else words[year].x2 + 6 * words[year].box[3]),
        ]
        top = min(w.box[1] for w in words)
        bottom = max(w.box[1] + w.box[3] for w in words)
        parts: list[OcrWord] = []
        for x0, x1 in gaps:
            if x1 - x0 < 4:
                return []
            box = (int(x0), max(0, top - 4), int(x1 - x0), bottom - top + 8)
            lines = self._read_box(page.gray, box, letter_height=max(8.0, (bottom - top) / 1.3),
                                   whitelist="0123456789")
            digits = [w for line in lines for w in line.words if w.text.isdigit()]
            if not digits:
                return []
            parts.append(max(digits, key=lambda w: (len(w.text), w.conf)))
        return parts

    def _reread_region(self, name: str, region: tuple[int, int, int, int], page: PageRead, lang: str,
                       gray: Optional[np.ndarray] = None) -> list[OcrWord]:
        """Read one row of a value again, on its own, with settings for the field's type."""
        letter = max(8.0, region[3] / 1.9)
        words = [w for line in self._read_box(page.gray if gray is None else gray, region, letter_height=letter,
                                              whitelist=WHITELISTS.get(name, ""), lang=lang) for w in line.words]
        return locate.value_words(words, int(letter))

    def _model_region(self, name: str, region: tuple[int, int, int, int], gray: np.ndarray,
                      province: str = "") -> list[OcrWord]:
        """One row of a value read by the trained recogniser, within the field's grammar where
        it has one (the plate's forms and its province's prefixes, a date's) or its characters
        otherwise."""
        assert self.recognizer is not None
        post = self.recognizer.posteriors(gray, region)
        if post is None:
            return []
        grammar = grammar_for(name, province)
        emissions = None
        if grammar is not None:
            found = ctc.beam(post.logp, grammar.accepts_prefix, grammar.complete)
            if found is not None:
                emissions = ctc.align_text(post.logp, found[0])
        if emissions is None:
            emissions = ctc.greedy(post.logp, WHITELISTS.get(name, ""))
        words = to_line(post, emissions).words
        return locate.value_words(words, int(max(8.0, region[3] / 1.9)))

    @staticmethod
    def _value_text(name: str, words: Sequence[OcrWord]) -> str:
        text = _join_rows(name, words)
        # Look-alike characters OCR produces for a slash.
        text = text.replace("⁄", "/").replace("∕", "/")
        # Leader dots left between the words of a value.
        text = re.sub(r"\s*[.…·]{2,}\s*", " ", text)
        text = strip_gloss(locate.strip_label_punctuation(text))
        if name in ("engine", "chassis"):
            text = _serial_core(text)
        return text

    @staticmethod
    def _cross_check(reads: dict[str, FieldRead]) -> None:
        """The record's rules between fields (`checks.cross_field_problems`): every field a rule
        involves is doubted, since the reading cannot tell which of them is wrong."""
        values = {name: read.value for name, read in reads.items()}
        issuer = reads.get("issued_at")
        values["issued_at_code"] = issuer.normalized.derived.get("issued_at_code", "") if issuer else ""
        for problem in cross_field_problems(values):
            for name in problem.involved:
                read = reads.get(name)
                if read is not None:
                    read.normalized.fail(problem.reason)
                    read.evidence.check_ok = 0.0

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


_UNIT_START = re.compile(r"^(?:phường|xã|thị trấn|thị xã|quận|huyện|thành phố|tỉnh|tp\b|tx\b|tt\b|[pqxht]\.)",
                         re.IGNORECASE)


def _prepared(card: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Segment]]:
    """An aligned card's flattened image, its red ink, the grey image read from them and its
    text lines."""
    flat, red = flatten(card), red_ink(card)
    gray = clean(whiten(flat, paper=red))
    return flat, red, gray, find_segments(gray)


def _turn_matrix(degrees_clockwise: int, width: int, height: int) -> np.ndarray:
    """Pixels of a width x height picture -> pixels of the picture turned clockwise by 90, 180
    or 270 degrees (as `align.rotate` turns it)."""
    if degrees_clockwise == 90:
        return np.array([[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    if degrees_clockwise == 180:
        return np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0], [0.0, 0.0, 1.0]])
    if degrees_clockwise == 270:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0], [0.0, 0.0, 1.0]])
    return np.eye(3)


def _untransform(quad: np.ndarray, degrees_clockwise: int, shape: tuple[int, ...]) -> np.ndarray:
    """Corners found in the turned picture, in the given picture's pixels."""
    inverse = np.linalg.inv(_turn_matrix(degrees_clockwise, shape[1], shape[0]))
    points = np.hstack([np.asarray(quad, float).reshape(4, 2), np.ones((4, 1))]) @ inverse.T
    return (points[:, :2] / points[:, 2:]).astype(np.float32)


def _corners_in_picture(alignment: align.Alignment, page: PageRead
                        ) -> tuple[Point, Point, Point, Point]:
    """The read card's corners carried back through every step of the alignment, and the half
    turn the page read may have added, into the given picture."""
    height, width = page.gray.shape[:2]
    matrix = _turn_matrix(page.rotation, width, height) @ alignment.matrix
    corners = np.array([[0, 0, 1], [width - 1, 0, 1], [width - 1, height - 1, 1], [0, height - 1, 1]], float)
    back = corners @ np.linalg.inv(matrix).T
    points = [(round(float(x / w), 1), round(float(y / w), 1)) for x, y, w in back]
    return points[0], points[1], points[2], points[3]


def _join_rows(name: str, words: Sequence[OcrWord]) -> str:
    """The words of a value as text. Where an address wraps before an administrative unit, the
    comma that ended the line is often lost in reading: it is put back."""
    rows: list[list[OcrWord]] = []
    for word in words:
        if rows and word.box[1] > rows[-1][-1].box[1] + 0.8 * rows[-1][-1].box[3]:
            rows.append([word])
        elif rows:
            rows[-1].append(word)
        else:
            rows.append([word])
    parts = [" ".join(w.text for w in row) for row in rows]
    text = parts[0] if parts else ""
    for part in parts[1:]:
        if name == "address" and text and not text.rstrip().endswith(",") and _UNIT_START.match(part.strip()):
            text = text.rstrip() + ","
        text = f"{text} {part}"
    return text


def _to_card(inner: tuple[int, int, int, int], box: tuple[int, int, int, int], scale: float
             ) -> tuple[int, int, int, int]:
    """A box found in a scaled, bordered crop, back in card coordinates."""
    x, y, w, h = inner
    return (int(box[0] + (x - CROP_BORDER) / scale), int(box[1] + (y - CROP_BORDER) / scale),
            max(1, int(w / scale)), max(1, int(h / scale)))


def _serial_core(text: str) -> str:
    """An engine or chassis number is one token (maybe with a dash): stray one- or two-letter
    pieces read from a colon, a stain or the next column are dropped from its ends."""
    tokens = re.sub(r"\s*-\s*", "-", text).split()
    while len(tokens) > 1 and len(tokens[0]) <= 2 and sum(len(t) for t in tokens[1:]) >= 5:
        tokens.pop(0)
    while len(tokens) > 1 and len(tokens[-1]) <= 2 and sum(len(t) for t in tokens[:-1]) >= 5:
        tokens.pop()
    return "".join(tokens)


def _regions_but(located: dict[str, locate.Located], *names: str) -> list[tuple[int, int, int, int]]:
    """The value regions of every field found but `names`: a value found by its pattern lies
    outside them."""
    return [region for key, item in located.items() if key not in names for region in item.regions]


def _union_regions(regions: Sequence[tuple[int, int, int, int]]) -> Optional[tuple[int, int, int, int]]:
    if not regions:
        return None
    x1 = min(r[0] for r in regions)
    y1 = min(r[1] for r in regions)
    x2 = max(r[0] + r[2] for r in regions)
    y2 = max(r[1] + r[3] for r in regions)
    return x1, y1, x2 - x1, y2 - y1


def _better(name: str, candidate: FieldRead, best: FieldRead) -> bool:
    """Whether a reading with more rows beats the best so far. A wrapped value only takes in
    another row when that makes it pass its checks or match the official lists better; an
    address that is already complete (ward, district and province found) stops growing."""
    a, b = candidate.normalized, best.normalized
    if not candidate.value:
        return False
    if a.ok != b.ok:
        return a.ok
    score_a = a.match_score if a.match_score is not None else 0.0
    score_b = b.match_score if b.match_score is not None else 0.0
    if name == "address" and _names_province(candidate.value) and not _names_province(best.value):
        # Addresses end with their province: a row that brings it belongs to the address.
        return score_a >= score_b - 0.05
    if name == "name" and _continues_in_capitals(best.value, candidate.value):
        # A name wrapped onto the next row: its rest is printed as it began, in capitals.
        return True
    return score_a > score_b + 0.02


def _continues_in_capitals(shorter: str, longer: str) -> bool:
    """`longer` is `shorter` and one to four more words in capitals, without digits or commas,
    the whole no longer than names are (eight words)."""
    if not longer.startswith(shorter) or not shorter.isupper():
        return False
    rest = longer[len(shorter):].split()
    return 1 <= len(rest) <= 4 and len(longer.split()) <= 8 and all(
        w.isupper() and w.isalpha() for w in rest)


def _registering_province(issuer: Optional[FieldRead]) -> str:
    """The GSO code of the registering unit's province, when its reading passes its checks."""
    if issuer is None or not issuer.normalized.ok:
        return ""
    return issuer.normalized.derived.get("issued_at_code", "")


def _names_province(address: str) -> bool:
    from services.domain.addresses import match_province

    tail = re.split(r"[,;]", address)[-1]
    hit = match_province(tail)
    return hit is not None and hit[1] >= 0.85


def _best_guess_side(page: PageRead, alignment: align.Alignment) -> Optional[Side]:
    """No label was read, but a card was found and holds text (a blurred or washed-out photo):
    answer with what can be read, every field doubtful, rather than "no content". The front is
    told by its national header or title words; otherwise the detail side, which has the most
    fields for a reviewer to fill in."""
    lines_with_text = sum(1 for row in page.rows if sum(ch.isalpha() for ch in row.text) >= 4)
    if not ((alignment.quad is not None and alignment.score >= 0.75) or lines_with_text >= 6):
        return None
    folded = fold(" ".join(row.text for row in page.rows))
    if re.search(r"cong hoa|doc lap|chung nhan|giay ch", folded):
        return Side.FRONT
    return Side.BACK


def _page_score(page: PageRead) -> float:
    title_side, _kind = locate.card_title(page.rows)
    return page.label_count + (3.0 if title_side else 0.0) + page.mean_conf


def _upright(page: PageRead) -> bool:
    title_side, _kind = locate.card_title(page.rows)
    return page.label_count >= 3 or (title_side is not None and page.label_count >= 1) or \
        (page.label_count >= 2 and page.mean_conf >= 0.6)


def _weighted_conf(words: Sequence[OcrWord]) -> float:
    total = sum(len(w.text) for w in words)
    if not total:
        return 0.0
    return sum(w.conf * len(w.text) for w in words) / total


# What a field's reading depends on the vehicle's kind for: the plate's series, and the rows only
# a car carries (a motorbike's are expected absent).
KIND_DEPENDENT = frozenset(("plate", *CAR_ONLY))

_MOTORBIKE_PLATE = re.compile(r"^\d{2}[A-ZĐ]\d-\d")  # 59X2-328.98: a series letter and a digit
_CAR_PLATE = re.compile(r"^\d{2}[A-ZĐ]{1,2}-\d")  # 30A-123.45, 14N-5985


def _kind_from_values(reads: dict[str, FieldRead]) -> Optional[VehicleKind]:
    """Motorbike or car by what the card's values say, when both agree or only one speaks: the
    plate's form, and a model that only one kind of the brand has."""
    votes: set[VehicleKind] = set()
    plate = reads.get("plate")
    if plate is not None and plate.normalized.ok and plate.value:
        if _MOTORBIKE_PLATE.match(plate.value):
            votes.add(VehicleKind.MOTORBIKE)
        elif _CAR_PLATE.match(plate.value):
            votes.add(VehicleKind.CAR)
    brand, model = reads.get("brand"), reads.get("model")
    if brand is not None and model is not None and brand.value and model.value:
        bike = model.value.upper() in vehicles.models_of(brand.value, VehicleKind.MOTORBIKE)
        car = model.value.upper() in vehicles.models_of(brand.value, VehicleKind.CAR)
        if bike != car:
            votes.add(VehicleKind.MOTORBIKE if bike else VehicleKind.CAR)
    return votes.pop() if len(votes) == 1 else None


def _char_mean(words: Sequence[OcrWord]) -> float:
    probs = [c.conf for w in words for c in w.chars]
    return sum(probs) / len(probs) if probs else 0.0


def _vote(name: str, readings: list[tuple[Normalized, list[OcrWord]]], preferred: Optional[int] = None,
          weights: Optional[Sequence[float]] = None) -> tuple[Optional[Normalized], list[OcrWord], float]:
    """The consensus of several readings: among those that pass their checks (if any do), the
    one closest to all the others (fewest character edits in total, each reader's edits counted
    by its weight), ties going to the more confident; a `preferred` reading that passes its
    checks is taken as it is. Returns the choice, its words, and the share of readings that
    agree with it exactly."""
    if preferred is not None and not (readings[preferred][0].value and readings[preferred][0].ok):
        preferred = None
    if preferred is not None:
        key = canonical(name, readings[preferred][0].value)
        valued = [n for n, _w in readings if n.value]
        agreement = sum(1 for n in valued if canonical(name, n.value) == key) / len(valued)
        return readings[preferred][0], readings[preferred][1], agreement
    weighted = [(n, w, weights[i] if weights else 1.0) for i, (n, w) in enumerate(readings) if n.value]
    readings = [(n, w) for n, w, _weight in weighted]
    weight = [x for _n, _w, x in weighted]
    if not readings:
        return None, [], 0.0
    keys = [canonical(name, n.value) for n, _w in readings]
    pool = [i for i, (n, _w) in enumerate(readings) if n.ok] or list(range(len(readings)))

    def rank(i: int) -> tuple[float, float]:
        distance = sum(weight[j] * Levenshtein.distance(keys[i], keys[j]) for j in range(len(readings)))
        return distance, -_weighted_conf(readings[i][1])

    best = min(pool, key=rank)
    agreement = sum(1 for key in keys if key == keys[best]) / len(readings)
    return readings[best][0], readings[best][1], agreement


def _jpeg(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=THUMB_QUALITY, optimize=True)
    return buffer.getvalue()
