"""Orientation benchmark: every side of a set read as it is and turned by 90, 180 and 270 degrees.

    python bench/orientation.py --set data/sets/std30
    python bench/orientation.py --set data/sets/fresh200 --limit 40 --json orientation.json

Each side is first put upright (a card of the set's `rotated` condition is turned back), then
each turn of it is encoded losslessly (PNG, the same for the upright one) and read alone by the
local engine. A turn is read the right way up when the corner the engine took for the card's top
left is the true one (`bench.scoring.read_upright`). Because every turn holds the same pixels, the
accuracy of the turned reads against the upright ones measures what turning costs the engine and
nothing else. Prints per turn: sides, read upright, errors, field accuracy, median seconds; the
sides read the wrong way up; one `SUMMARY ` line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench.scoring import read_upright, score_side  # noqa: E402
from services.core.images import load_rgb  # noqa: E402
from services.domain.schema import SeedError, Side  # noqa: E402
from tools.synth.capture import rotate_quarter  # noqa: E402
from tools.synth.dataset import load_set  # noqa: E402

TURNS = (0, 90, 180, 270)


@dataclass
class TurnRead:
    card_id: str
    side: str
    condition: str  # the capture before any turn: scan, photo or hard
    turn: int  # degrees clockwise the upright picture was turned
    upright: Optional[bool]  # read the right way up (None: an error, no reading)
    side_right: bool
    right: int
    fields: int
    seconds: float
    error: str = ""


def png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def run(set_dir: str, *, limit: Optional[int], turns: tuple[int, ...], progress: bool = True) -> list[TurnRead]:
    from services.extraction.engine import Engine

    engine = Engine()
    cards = load_set(set_dir, limit=limit)
    reads: list[TurnRead] = []
    total = sum(len(card.sides) for card in cards) * len(turns)
    for card in cards:
        for side in (Side.FRONT, Side.BACK):
            record = card.sides.get(side)
            if record is None:
                continue
            rgb = load_rgb(record.read_bytes())
            # The set's own turn undone: every turn below starts from the upright picture.
            upright, corners = rotate_quarter(rgb, record.corners, (360 - card.rotation) % 360)
            for turn in turns:
                image, true_corners = rotate_quarter(upright, corners, turn)
                data = png(image)
                started = time.perf_counter()
                reading, error = None, ""
                try:
                    reading = engine.read_side(data, thumb=False)
                except SeedError as exc:
                    error = f"error {int(exc.code)}: {exc}"
                seconds = time.perf_counter() - started
                scored = score_side(record.truth, reading, side, card_id=card.card_id, condition=card.base_condition)
                reads.append(TurnRead(
                    card_id=card.card_id, side=side.value, condition=card.base_condition, turn=turn,
                    upright=read_upright(getattr(reading, "card_corners", None), true_corners) if reading is not None else None,
                    side_right=reading is not None and reading.side == side,
                    right=sum(s.correct for s in scored), fields=len(scored), seconds=seconds, error=error))
                if progress and len(reads) % 20 == 0:
                    print(f"  {len(reads)}/{total} reads", file=sys.stderr)
    return reads


def _share(count: int, total: int) -> str:
    return f"{count / total:.4f}" if total else "-"


def summarise(reads: list[TurnRead], out=sys.stdout) -> dict[str, str]:
    print(f"\n{'turn':>5} {'sides':>6} {'upright':>8} {'errors':>7} {'field acc':>10} {'median s':>9}", file=out)
    by_turn = {turn: [r for r in reads if r.turn == turn] for turn in sorted({r.turn for r in reads})}
    for turn, items in by_turn.items():
        upright = sum(r.upright is True for r in items)
        errors = sum(r.upright is None for r in items)
        acc = sum(r.right for r in items) / max(1, sum(r.fields for r in items))
        print(f"{turn:>5} {len(items):>6} {_share(upright, len(items)):>8} {errors:>7} {acc:>10.3f} "
              f"{statistics.median(r.seconds for r in items):>9.2f}", file=out)
    turned = [r for r in reads if r.turn != 0]
    level = [r for r in reads if r.turn == 0]
    acc_turned = sum(r.right for r in turned) / max(1, sum(r.fields for r in turned))
    acc_level = sum(r.right for r in level) / max(1, sum(r.fields for r in level))
    print("\nBy condition (turned reads only): read upright, field accuracy turned - upright", file=out)
    for condition in sorted({r.condition for r in reads}):
        items = [r for r in turned if r.condition == condition]
        base = [r for r in level if r.condition == condition]
        if not items:
            continue
        gap = (sum(r.right for r in items) / max(1, sum(r.fields for r in items))
               - sum(r.right for r in base) / max(1, sum(r.fields for r in base)))
        print(f"  {condition:<6} {len(items):>4} reads  upright {_share(sum(r.upright is True for r in items), len(items))}"
              f"  gap {gap:+.3f}", file=out)
    wrong = [r for r in reads if r.upright is not True]
    print(f"\nNot read upright ({len(wrong)}):", file=out)
    for r in wrong:
        what = r.error or "read the wrong way up"
        print(f"  {r.card_id} {r.side} ({r.condition}) turned {r.turn}: {what}; {r.right} of {r.fields} right",
              file=out)
    summary = {
        "reads": str(len(reads)),
        "turned": str(len(turned)),
        "upright_turned": _share(sum(r.upright is True for r in turned), len(turned)),
        "upright_all": _share(sum(r.upright is True for r in reads), len(reads)),
        "errors": str(sum(r.upright is None for r in reads)),
        "acc_upright": f"{acc_level:.3f}",
        "acc_turned": f"{acc_turned:.3f}",
        "gap_points": f"{100 * (acc_turned - acc_level):+.1f}",
        "median_s": f"{statistics.median(r.seconds for r in reads):.3f}",
    }
    print("SUMMARY " + " ".join(f"{k}={v}" for k, v in summary.items()), file=out)
    return summary


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", required=True, help="directory written by `python -m tools.synth`")
    parser.add_argument("--limit", type=int, help="only the first N cards")
    parser.add_argument("--turns", default="0,90,180,270", help="degrees clockwise, comma-separated")
    parser.add_argument("--json", help="write every read here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    turns = tuple(int(t) for t in args.turns.split(","))
    if any(t not in TURNS for t in turns):
        parser.error("turns are 0, 90, 180 or 270")
    try:
        reads = run(args.set, limit=args.limit, turns=turns, progress=not args.quiet)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = summarise(reads)
    if args.json:
        Path(args.json).write_text(json.dumps({"set": args.set, "summary": summary,
                                               "reads": [asdict(r) for r in reads]}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
