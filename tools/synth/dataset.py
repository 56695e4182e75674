"""A generated set on disk: one image per side and `truth.jsonl`, one JSON object per card.

`write_set` makes one; `load_set` reads one back for the benchmark and the tests.

A line of truth.jsonl:
    {"card_id": "s1-0007", "seed": 1, "index": 7, "kind": "car" | "motorbike",
     "layout": "two_column" | "one_column", "fonts": {"label": ..., "value": ..., "files": [...]},
     "condition": "scan" | "photo" | "hard" | "rotated", "base_condition": ..., "rotation": 0 | 90 | 180 | 270,
     "sides": {"front": {"file", "truth", "image_size", "card_size", "corners", "boxes",
                         "label_boxes", "capture"}, "back": {...}}}
`truth` holds every seed field of that side (front: name, address, id, plate, issued_at; back:
all back fields including the derived codes), "" where the card carries no value. `corners` are
the card's top-left, top-right, bottom-right, bottom-left (as printed) in image pixels; `boxes`
are x, y, width, height of each value on the flat card of size `card_size`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from services.domain.schema import Side, VehicleKind
from tools.synth.card import generate_card

TRUTH_FILE = "truth.jsonl"


@dataclass(frozen=True)
class SideRecord:
    side: Side
    path: Path
    truth: dict[str, str]
    image_size: tuple[int, int]
    card_size: tuple[int, int]
    corners: list[list[float]]
    boxes: dict[str, list[int]]
    label_boxes: dict[str, list[int]]
    capture: dict[str, Any]

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True)
class CardRecord:
    card_id: str
    seed: int
    index: int
    kind: VehicleKind
    layout: str
    fonts: dict[str, Any]
    condition: str
    base_condition: str
    rotation: int
    sides: dict[Side, SideRecord] = field(default_factory=dict)


def load_set(directory: str | Path, *, limit: Optional[int] = None) -> list[CardRecord]:
    """The cards of a generated set, in file order (at most `limit`)."""
    directory = Path(directory)
    truth_path = directory / TRUTH_FILE
    if not truth_path.is_file():
        raise FileNotFoundError(f"{truth_path} not found: generate a set with `python -m tools.synth --out {directory}`")
    cards: list[CardRecord] = []
    with truth_path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            if limit is not None and len(cards) >= limit:
                break
            cards.append(_card_from_json(json.loads(line), directory))
    return cards


def _card_from_json(data: dict[str, Any], directory: Path) -> CardRecord:
    sides: dict[Side, SideRecord] = {}
    for name, item in data["sides"].items():
        side = Side(name)
        sides[side] = SideRecord(
            side=side,
            path=directory / item["file"],
            truth=dict(item["truth"]),
            image_size=tuple(item["image_size"]),
            card_size=tuple(item["card_size"]),
            corners=item["corners"],
            boxes=item.get("boxes", {}),
            label_boxes=item.get("label_boxes", {}),
            capture=item.get("capture", {}),
        )
    return CardRecord(
        card_id=data["card_id"], seed=data["seed"], index=data["index"], kind=VehicleKind(data["kind"]),
        layout=data["layout"], fonts=data["fonts"], condition=data["condition"],
        base_condition=data.get("base_condition", data["condition"]), rotation=int(data.get("rotation", 0)),
        sides=sides,
    )


def iter_cards(seed: int, count: int, *, start: int = 0, **options: Any) -> Iterator:
    for index in range(start, start + count):
        yield generate_card(seed, index, **options)


def write_set(directory: str | Path, *, seed: int, count: int, start: int = 0,
              progress: Optional[Callable[[int, int, float], None]] = None, **options: Any) -> Path:
    """Generate `count` cards into `directory` (created if needed; truth.jsonl is rewritten)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    truth_path = directory / TRUTH_FILE
    started = time.monotonic()
    with truth_path.open("w", encoding="utf-8") as handle:
        for done, card in enumerate(iter_cards(seed, count, start=start, **options), start=1):
            for side, image in card.sides.items():
                (directory / card.file_name(side)).write_bytes(image.image)
            handle.write(json.dumps(card.record(), ensure_ascii=False, sort_keys=True) + "\n")
            if progress:
                progress(done, count, time.monotonic() - started)
    return truth_path
