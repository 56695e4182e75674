"""Scoring extractions against known truth: pure functions shared by the benchmark and the tests.

A *field score* compares one field of one side: right when the canonical forms of truth and
answer are equal (`canonical.canonical`), with the Levenshtein distance between those forms for
the character error rate. Everything else aggregates field scores:

- accuracy (share right), accuracy on fields whose truth is not empty, character error rate
  (total edit distance / total truth length, over canonical forms), by field, by capture
  condition, by side;
- the share of documents (cards) with every field right;
- for fields that carry a confidence: the AUROC of confidence for "this field is right", and at
  each threshold t the share of fields flagged (confidence < t), the share of wrong fields
  caught (flagged) and the accuracy of the fields let through;
- latency: median and 95th percentile of seconds per side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Sequence

from rapidfuzz.distance import Levenshtein

from services.domain.canonical import canonical
from services.domain.results import SideReading
from services.domain.schema import SIDE_FIELDS, Side

THRESHOLDS: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class FieldScore:
    card_id: str
    side: str  # "front" / "back"
    condition: str
    field: str
    truth: str
    predicted: str
    confidence: Optional[float]  # None for fields without a confidence (derived codes and names)
    correct: bool
    distance: int  # edit distance between the canonical forms
    truth_length: int  # length of the canonical truth

    @property
    def key(self) -> str:
        return f"{self.side}.{self.field}"

    @property
    def truth_empty(self) -> bool:
        return self.truth_length == 0


def score_field(name: str, truth: Optional[str], predicted: Optional[str], confidence: Optional[float] = None, *,
                card_id: str = "", side: str = "", condition: str = "", force_wrong: bool = False) -> FieldScore:
    """Compare one field. `force_wrong` marks it wrong whatever the value (e.g. wrong side read)."""
    truth_c = canonical(name, truth)
    predicted_c = canonical(name, predicted)
    distance = Levenshtein.distance(truth_c, predicted_c)
    if force_wrong and distance == 0:
        # A right-looking value read from the wrong side is still a wrong answer: count it as
        # one error so that CER agrees with accuracy.
        distance = max(1, len(truth_c))
    return FieldScore(card_id=card_id, side=side, condition=condition, field=name, truth=truth or "",
                      predicted=predicted or "", confidence=confidence,
                      correct=(truth_c == predicted_c) and not force_wrong, distance=distance,
                      truth_length=len(truth_c))


def score_side(truth: Mapping[str, str], reading: Optional[SideReading], side: Side, *, card_id: str = "",
               condition: str = "") -> list[FieldScore]:
    """Score every field of the side's schema.

    No reading (an error, or nothing returned) or a reading of the other side makes every field
    wrong. A field without a reading counts as "" with confidence 0. Derived fields (no
    confidence in the seed format) get confidence None and stay out of the confidence figures.
    """
    wrong_side = reading is None or reading.side != side
    scores: list[FieldScore] = []
    for spec in SIDE_FIELDS[side]:
        found = reading.fields.get(spec.name) if reading is not None else None
        predicted = found.value if found is not None else ""
        if spec.has_confidence:
            confidence = float(found.confidence) if found is not None and found.confidence is not None else 0.0
        else:
            confidence = None
        scores.append(score_field(spec.name, truth.get(spec.name, ""), predicted, confidence, card_id=card_id,
                                  side=side.value, condition=condition, force_wrong=wrong_side))
    return scores


def read_upright(read_corners: Optional[Sequence[Sequence[float]]], true_corners: Sequence[Sequence[float]]
                 ) -> Optional[bool]:
    """Whether a side was read the right way up: the corner the engine took for the card's top
    left is nearer the true top left than any other true corner (None: the reader gave none)."""
    if not read_corners:
        return None
    x, y = read_corners[0]
    distances = [math.hypot(x - tx, y - ty) for tx, ty in true_corners]
    return min(range(len(distances)), key=distances.__getitem__) == 0


# ---- aggregates -----------------------------------------------------------------------------

def accuracy(scores: Iterable[FieldScore]) -> Optional[float]:
    """Share of fields right; None when there are none."""
    items = list(scores)
    return sum(s.correct for s in items) / len(items) if items else None


def accuracy_nonempty(scores: Iterable[FieldScore]) -> Optional[float]:
    return accuracy(s for s in scores if not s.truth_empty)


def character_error_rate(scores: Iterable[FieldScore]) -> Optional[float]:
    """Total edit distance over total truth length (canonical forms). Characters wrongly added
    to a field whose truth is empty count in the distance; a group whose truths are all empty
    has no rate (None)."""
    items = list(scores)
    length = sum(s.truth_length for s in items)
    if length == 0:
        return None
    return sum(s.distance for s in items) / length


@dataclass(frozen=True)
class FieldRow:
    n: int
    accuracy: Optional[float]
    n_nonempty: int
    accuracy_nonempty: Optional[float]
    cer: Optional[float]


def field_row(scores: Sequence[FieldScore]) -> FieldRow:
    nonempty = [s for s in scores if not s.truth_empty]
    return FieldRow(n=len(scores), accuracy=accuracy(scores), n_nonempty=len(nonempty),
                    accuracy_nonempty=accuracy(nonempty), cer=character_error_rate(scores))


def group(scores: Iterable[FieldScore], key: Callable[[FieldScore], str]) -> dict[str, list[FieldScore]]:
    groups: dict[str, list[FieldScore]] = {}
    for score in scores:
        groups.setdefault(key(score), []).append(score)
    return groups


def by_field(scores: Iterable[FieldScore]) -> dict[str, FieldRow]:
    """`side.field` -> accuracy, accuracy on non-empty truth, CER, counts; in schema order."""
    groups = group(scores, lambda s: s.key)
    order = [f"{side.value}.{spec.name}" for side in (Side.FRONT, Side.BACK) for spec in SIDE_FIELDS[side]]
    keys = [k for k in order if k in groups] + sorted(k for k in groups if k not in order)
    return {k: field_row(groups[k]) for k in keys}


def by_condition(scores: Iterable[FieldScore]) -> dict[str, FieldRow]:
    return {k: field_row(v) for k, v in sorted(group(scores, lambda s: s.condition).items())}


def by_side(scores: Iterable[FieldScore]) -> dict[str, FieldRow]:
    return {k: field_row(v) for k, v in sorted(group(scores, lambda s: s.side).items())}


def documents_all_right(scores: Iterable[FieldScore]) -> Optional[float]:
    """Share of documents (cards, both sides together) with every field right."""
    cards = group(scores, lambda s: s.card_id)
    if not cards:
        return None
    return sum(all(s.correct for s in items) for items in cards.values()) / len(cards)


# ---- confidence -----------------------------------------------------------------------------

def auroc(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Probability that a right field has a higher confidence than a wrong one (ties count half):
    the area under the ROC curve of confidence for "right", by the rank-sum formula with mid-ranks.

    With no wrong field nothing can be mis-ranked: 1.0. With no right field confidence separates
    nothing: 0.5.
    """
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    n_right = sum(1 for c in correct if c)
    n_wrong = len(correct) - n_right
    if n_wrong == 0:
        return 1.0
    if n_right == 0:
        return 0.5
    order = sorted(range(len(confidences)), key=lambda i: confidences[i])
    ranks = [0.0] * len(confidences)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and confidences[order[j + 1]] == confidences[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1  # ranks are 1-based; a tie shares the mean rank
        for k in range(i, j + 1):
            ranks[order[k]] = mid_rank
        i = j + 1
    rank_sum = sum(r for r, c in zip(ranks, correct) if c)
    return (rank_sum - n_right * (n_right + 1) / 2) / (n_right * n_wrong)


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    flagged: float  # share of fields with confidence < threshold
    caught: float  # share of all wrong fields that are flagged (1.0 when none is wrong)
    accepted_accuracy: Optional[float]  # accuracy of the fields not flagged (None if all flagged)


def threshold_table(confidences: Sequence[float], correct: Sequence[bool],
                    thresholds: Sequence[float] = THRESHOLDS) -> list[ThresholdRow]:
    rows: list[ThresholdRow] = []
    n = len(confidences)
    n_wrong = sum(1 for c in correct if not c)
    for t in thresholds:
        flagged = [conf < t for conf in confidences]
        caught = sum(1 for f, c in zip(flagged, correct) if f and not c)
        accepted = [c for f, c in zip(flagged, correct) if not f]
        rows.append(ThresholdRow(
            threshold=t,
            flagged=sum(flagged) / n if n else 0.0,
            caught=caught / n_wrong if n_wrong else 1.0,
            accepted_accuracy=sum(accepted) / len(accepted) if accepted else None,
        ))
    return rows


def confidence_pairs(scores: Iterable[FieldScore]) -> tuple[list[float], list[bool]]:
    """(confidence, right) of the fields that carry a confidence."""
    pairs = [(s.confidence, s.correct) for s in scores if s.confidence is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# ---- latency --------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile (0-100), interpolating linearly between order statistics (numpy's
    default method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Latency:
    n: int
    median: Optional[float]
    p95: Optional[float]


def latency(seconds: Sequence[float]) -> Latency:
    return Latency(n=len(seconds), median=percentile(seconds, 50), p95=percentile(seconds, 95))


# ---- the whole report -----------------------------------------------------------------------

@dataclass
class TimedSide:
    card_id: str
    side: str
    condition: str
    seconds: float
    stages: dict[str, float]  # the engine's own timings of the side (align, read, fields, cut_short)
    right: int
    fields: int


@dataclass
class Report:
    scores: list[FieldScore]
    seconds: list[float] = field(default_factory=list)
    errors: int = 0  # sides whose extraction failed (error code or exception)
    wrong_side: int = 0  # sides read as the other side
    # Sides whose reader said which way up it read them (the local engine), and of those the
    # ones read the wrong way up.
    oriented: int = 0
    wrong_way_up: int = 0
    wrong_way_sides: list[str] = field(default_factory=list)  # "card_id side (condition)"
    # Peak resident memory (MB) of the scoring process once 100 cards were read, and at the end.
    peak_rss_100_cards_mb: Optional[float] = None
    peak_rss_mb: Optional[float] = None
    # Per side read: where its time went, to tell the slowest ones and why.
    timed: list["TimedSide"] = field(default_factory=list)

    @property
    def fields(self) -> dict[str, FieldRow]:
        return by_field(self.scores)

    def slowest(self, count: int = 5) -> list[TimedSide]:
        return sorted(self.timed, key=lambda t: -t.seconds)[:count]

    @property
    def conditions(self) -> dict[str, FieldRow]:
        return by_condition(self.scores)

    @property
    def sides(self) -> dict[str, FieldRow]:
        return by_side(self.scores)

    @property
    def overall(self) -> FieldRow:
        return field_row(self.scores)

    @property
    def documents_all_right(self) -> Optional[float]:
        return documents_all_right(self.scores)

    @property
    def auroc(self) -> float:
        confidences, correct = confidence_pairs(self.scores)
        return auroc(confidences, correct)

    @property
    def thresholds(self) -> list[ThresholdRow]:
        confidences, correct = confidence_pairs(self.scores)
        return threshold_table(confidences, correct)

    @property
    def latency(self) -> Latency:
        return latency(self.seconds)
