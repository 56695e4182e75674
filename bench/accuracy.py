"""Accuracy benchmark: run an extractor over a generated set and score every field.

    python bench/accuracy.py --set /tmp/synth1 --engine naive
    python bench/accuracy.py --set /tmp/synth1 --engine local --json bench/out/local.json
    python bench/accuracy.py --set /tmp/synth1 --engine url --url http://127.0.0.1:8000 --key K --secret S

Each side image is sent alone (the seed's single-side request) and scored against that side's
truth; a result of the other side, or an error, makes every field of that side wrong. Prints the
per-field table, accuracy by capture condition and side, the share of cards with every field
right, the confidence figures and the latency, and ends with one `SUMMARY ` line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench.scoring import FieldRow, Report, TimedSide, read_upright, score_side  # noqa: E402
from services.domain.results import ExtractionOutcome, SideReading  # noqa: E402
from services.domain.schema import Side  # noqa: E402
from tools.synth.dataset import CardRecord, load_set  # noqa: E402

SINGLE_SIDE_PATH = "/api/v2/ocr/vehicle_registration"


class EngineUnavailable(RuntimeError):
    pass


class UrlExtractor:
    """A seed-compatible server over HTTP: one side per request, multipart file upload."""

    name = "url"

    def __init__(self, url: str, key: str, secret: str, timeout: float = 120.0) -> None:
        import requests

        self.session = requests.Session()
        self.session.auth = (key, secret)
        self.endpoint = url.rstrip("/") + SINGLE_SIDE_PATH
        self.timeout = timeout

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        from services.domain.schema import SeedResponse

        if len(images) != 1:
            raise ValueError("the benchmark sends one side per request")
        response = self.session.post(
            self.endpoint,
            params={"format_type": "file", "get_thumb": "true" if thumb else "false"},
            files={"img": ("side.jpg", images[0])},
            timeout=self.timeout,
        )
        response.raise_for_status()
        return ExtractionOutcome.from_seed(SeedResponse.model_validate(response.json()), engine=self.name)


def make_extractor(args: argparse.Namespace):
    if args.engine == "naive":
        from bench.baselines.naive_tesseract import NaiveTesseract

        return NaiveTesseract()
    if args.engine == "local":
        from services.extraction.engine import Engine, EngineConfig

        class Local:
            name = "local"

            def __init__(self) -> None:
                config = EngineConfig()
                if args.no_recognizer:
                    config.recognizer_model = None
                elif args.model:
                    config.recognizer_model = Path(args.model)
                if args.budget:
                    config.time_budget = args.budget
                if args.recognizer_weight is not None:
                    config.recognizer_weight = args.recognizer_weight
                if args.page_model_conf is not None:
                    config.page_model_conf = args.page_model_conf
                self.engine = Engine(config)

            def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
                return self.engine.extract(images, thumb=thumb)

        return Local()
    if args.engine == "url":
        if not (args.key and args.secret):
            raise EngineUnavailable("--engine url needs --key and --secret")
        return UrlExtractor(args.url, args.key, args.secret)
    raise EngineUnavailable(f"unknown engine {args.engine!r}")


def _pick_side(outcome: ExtractionOutcome) -> Optional[SideReading]:
    """The reading of a single-side request (None when the request failed)."""
    if not outcome.ok or not outcome.sides:
        return None
    return outcome.sides[0]


def run(cards: Sequence[CardRecord], extractor, *, fail_fast: bool = False, progress: bool = True) -> Report:
    report = Report(scores=[])
    total = sum(len(card.sides) for card in cards)
    done = 0
    for number, card in enumerate(cards, start=1):
        for side in (Side.FRONT, Side.BACK):
            record = card.sides.get(side)
            if record is None:
                continue
            data = record.read_bytes()
            started = time.perf_counter()
            try:
                outcome = extractor.extract([data])
            except Exception as exc:  # noqa: BLE001 - a crash on one image must not hide the others
                if fail_fast:
                    raise
                print(f"! {card.card_id} {side.value}: {type(exc).__name__}: {exc}", file=sys.stderr)
                outcome = None
            report.seconds.append(time.perf_counter() - started)
            reading = _pick_side(outcome) if outcome is not None else None
            if reading is None:
                report.errors += 1
            elif reading.side != side:
                report.wrong_side += 1
            upright = read_upright(reading.card_corners, record.corners) if reading is not None else None
            if upright is not None:
                report.oriented += 1
                if not upright:
                    report.wrong_way_up += 1
                    report.wrong_way_sides.append(f"{card.card_id} {side.value} ({card.condition})")
            scored = score_side(record.truth, reading, side, card_id=card.card_id, condition=card.condition)
            report.scores.extend(scored)
            report.timed.append(TimedSide(card.card_id, side.value, card.condition, report.seconds[-1],
                                          dict(reading.timings) if reading is not None else {},
                                          sum(s.correct for s in scored), len(scored)))
            done += 1
            if progress and (done % 20 == 0 or done == total):
                print(f"  {done}/{total} sides, {sum(report.seconds):.0f} s", file=sys.stderr)
        if number == 100:
            report.peak_rss_100_cards_mb = _peak_rss_mb()
    report.peak_rss_mb = _peak_rss_mb()
    return report


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the high-water mark of this process (engine included).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fmt(value: Optional[float], digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table_row(name: str, row: FieldRow) -> str:
    return (f"{name:<32} {_fmt(row.accuracy):>7} {_fmt(row.accuracy_nonempty):>9} {row.n_nonempty:>6} "
            f"{_fmt(row.cer):>7} {row.n:>5}")


def summary_pairs(report: Report, engine: str, cards: int) -> list[tuple[str, str]]:
    overall = report.overall
    pairs: list[tuple[str, str]] = [
        ("engine", engine), ("cards", str(cards)), ("sides", str(len(report.seconds))),
        ("fields", str(overall.n)), ("field_acc", _fmt(overall.accuracy)),
        ("field_acc_nonempty", _fmt(overall.accuracy_nonempty)), ("cer", _fmt(overall.cer)),
        ("cards_all_right", _fmt(report.documents_all_right)),
    ]
    for name, row in report.conditions.items():
        pairs.append((f"acc_{name}", _fmt(row.accuracy)))
    for name, row in report.sides.items():
        pairs.append((f"acc_{name}", _fmt(row.accuracy)))
    pairs.append(("auroc", _fmt(report.auroc)))
    for row in report.thresholds:
        pairs.append((f"flagged@{row.threshold:g}", _fmt(row.flagged)))
        pairs.append((f"caught@{row.threshold:g}", _fmt(row.caught)))
    latency = report.latency
    pairs += [("median_s", _fmt(latency.median, 3)), ("p95_s", _fmt(latency.p95, 3)),
              ("max_s", _fmt(max(report.seconds), 3) if report.seconds else "-"),
              ("errors", str(report.errors)), ("wrong_side", str(report.wrong_side)),
              ("wrong_way_up", f"{report.wrong_way_up}/{report.oriented}" if report.oriented else "-"),
              ("peak_rss_100_cards_mb", _fmt(report.peak_rss_100_cards_mb, 0)),
              ("peak_rss_mb", _fmt(report.peak_rss_mb, 0))]
    return pairs


def print_report(report: Report, engine: str, cards: int, out=sys.stdout) -> str:
    header = f"{'field':<32} {'acc':>7} {'acc(≠∅)':>9} {'n(≠∅)':>6} {'CER':>7} {'n':>5}"
    print("\nPer field (canonical exact match; acc(≠∅): fields whose truth is not empty)", file=out)
    print(header, file=out)
    for name, row in report.fields.items():
        print(_table_row(name, row), file=out)
    print(_table_row("ALL", report.overall), file=out)
    print("\nBy capture condition", file=out)
    print(header, file=out)
    for name, row in report.conditions.items():
        print(_table_row(name, row), file=out)
    print("\nBy side", file=out)
    print(header, file=out)
    for name, row in report.sides.items():
        print(_table_row(name, row), file=out)
    print(f"\nCards with every field right: {_fmt(report.documents_all_right)} of {cards}", file=out)
    n_conf = sum(1 for s in report.scores if s.confidence is not None)
    print(f"\nConfidence ({n_conf} fields that carry one): AUROC for 'field is right' = {_fmt(report.auroc)}",
          file=out)
    print(f"{'threshold':>9} {'flagged':>8} {'caught':>7} {'acc of unflagged':>17}", file=out)
    for row in report.thresholds:
        print(f"{row.threshold:>9g} {_fmt(row.flagged):>8} {_fmt(row.caught):>7} {_fmt(row.accepted_accuracy):>17}",
              file=out)
    latency = report.latency
    print(f"\nSeconds per side: median {_fmt(latency.median)}, p95 {_fmt(latency.p95)} (n={latency.n}); "
          f"errors {report.errors}, read as the other side {report.wrong_side}", file=out)
    if report.oriented:
        print(f"Read the wrong way up: {report.wrong_way_up} of {report.oriented} sides"
              + (": " + ", ".join(report.wrong_way_sides) if report.wrong_way_sides else ""), file=out)
    print("Slowest sides (the engine's own stages in seconds; fields right):", file=out)
    for timed in report.slowest(5):
        stages = ", ".join(f"{k} {v:.2f}" if k != "cut_short" else "cut short by the budget"
                           for k, v in timed.stages.items()) or "no reading"
        print(f"  {timed.seconds:6.2f} s  {timed.card_id} {timed.side} ({timed.condition}): {stages}; "
              f"{timed.right} of {timed.fields} right", file=out)
    line = "SUMMARY " + " ".join(f"{k}={v}" for k, v in summary_pairs(report, engine, cards))
    print(line, file=out)
    return line


def report_json(report: Report, engine: str, cards: int, set_dir: str) -> dict[str, Any]:
    return {
        "engine": engine,
        "set": set_dir,
        "cards": cards,
        "summary": dict(summary_pairs(report, engine, cards)),
        "fields": {k: asdict(v) for k, v in report.fields.items()},
        "conditions": {k: asdict(v) for k, v in report.conditions.items()},
        "sides": {k: asdict(v) for k, v in report.sides.items()},
        "overall": asdict(report.overall),
        "cards_all_right": report.documents_all_right,
        "auroc": report.auroc,
        "thresholds": [asdict(row) for row in report.thresholds],
        "latency": asdict(report.latency),
        "slowest": [asdict(t) for t in report.slowest(5)],
        "errors": report.errors,
        "wrong_side": report.wrong_side,
        "wrong_way_up": report.wrong_way_up,
        "wrong_way_sides": report.wrong_way_sides,
        "oriented": report.oriented,
        "scores": [asdict(score) for score in report.scores],
    }


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", required=True, help="directory written by `python -m tools.synth`")
    parser.add_argument("--engine", choices=("local", "naive", "url"), default="local")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", default=os.environ.get("VR_API_KEY", ""))
    parser.add_argument("--secret", default=os.environ.get("VR_API_SECRET", ""))
    parser.add_argument("--limit", type=int, help="score only the first N cards")
    parser.add_argument("--no-recognizer", action="store_true", help="local engine: Tesseract alone")
    parser.add_argument("--model", help="local engine: another recogniser model (ONNX)")
    parser.add_argument("--budget", type=float, help="local engine: seconds per image (default 8)")
    parser.add_argument("--recognizer-weight", type=float, help="local engine: the recogniser's weight in the vote")
    parser.add_argument("--page-model-conf", type=float,
                        help="local engine: page lines the recogniser reads this surely skip Tesseract")
    parser.add_argument("--json", help="write the full report (every field score) here")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first exception")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    try:
        cards = load_set(args.set, limit=args.limit)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        extractor = make_extractor(args)
    except EngineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.engine}: {len(cards)} cards ({sum(len(c.sides) for c in cards)} sides) from {args.set}",
          file=sys.stderr)
    report = run(cards, extractor, fail_fast=args.fail_fast, progress=not args.quiet)
    print_report(report, args.engine, len(cards))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report_json(report, args.engine, len(cards), args.set), ensure_ascii=False,
                                   indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
