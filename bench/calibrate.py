"""Fit the engine's confidence model on a calibration set, so that a threshold means what it says.

    python bench/calibrate.py                                  # generates seed 7, 120 cards, in a temp dir
    python bench/calibrate.py --set /tmp/calib7 --out /tmp/calibration.json
    python bench/calibrate.py --seed 7 --n 120 --jobs 2

The calibration set must not be the evaluation set: the benchmark sets use seed 1 (and the
regression test seed 11); calibration defaults to seed 7. Each side image is read alone with the
hand-set model (`Engine(model=ConfidenceModel({}))`, `read_side_with_evidence`), and every field
that carries a confidence becomes one sample: its evidence, and whether its value is right
(canonical form equal to the truth's; a side read as the other side makes all its fields wrong;
an image the engine refuses (SeedError) is skipped and counted). `confidence.fit_model` fits one
logistic model per field with enough samples and a shared one for the rest, and the model is
saved with the set's seed, size, date and counts.

Prints per-field sample counts and accuracy, the in-sample AUROC of the hand-set model and of the
fitted one, and a reliability table (predicted confidence in bins against observed accuracy).
In-sample figures flatter the fit: judge it with bench/accuracy.py on another set, or, without
reading again, with `--check`: the samples of another set (saved by `--save-samples`), scored by
the fitted model (AUROC, the share flagged at 0.8 and the wrong ones caught, and per field the
wrong values at >= 0.95). `--from-samples` refits from saved samples without reading anything.

    python bench/calibrate.py --set data/sets/calib7 --n 120 --jobs 2 --save-samples /tmp/c7.json
    python bench/calibrate.py --set data/sets/calib8 --n 120 --jobs 2 --save-samples /tmp/c8.json --out /tmp/x.json
    python bench/calibrate.py --from-samples /tmp/c7.json --check /tmp/c8.json --out /tmp/fit.json
    python bench/calibrate.py --from-samples /tmp/c7.json --from-samples /tmp/c8.json   # the two pooled
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench.scoring import auroc  # noqa: E402
from services.domain.canonical import canonical  # noqa: E402
from services.domain.schema import SeedError, Side  # noqa: E402
from services.extraction.confidence import CALIBRATION_FILE, ConfidenceModel, Evidence, fit_model  # noqa: E402

DEFAULT_SEED = 7
DEFAULT_N = 120
BINS = 10


@dataclass(frozen=True)
class Task:
    card_id: str
    condition: str
    side: Side
    path: str
    truth: dict[str, str]


@dataclass(frozen=True)
class SideResult:
    task: Task
    detected: Optional[Side]  # None when the engine refused the image
    values: dict[str, str]
    evidence: dict[str, Evidence]
    error: str = ""
    seconds: float = 0.0


Sample = tuple[str, Evidence, bool]

_engine = None


def _init_worker() -> None:
    global _engine
    from services.extraction.engine import Engine

    _engine = Engine(model=ConfidenceModel({}))


def read_side(task: Task) -> SideResult:
    if _engine is None:
        _init_worker()
    started = time.perf_counter()
    data = Path(task.path).read_bytes()
    try:
        reading, evidence = _engine.read_side_with_evidence(data, thumb=False)
    except SeedError as error:
        return SideResult(task, None, {}, {}, error=f"{error.code.name}: {error.detail}",
                          seconds=time.perf_counter() - started)
    values = {name: field.value for name, field in reading.fields.items()}
    return SideResult(task, reading.side, values, evidence, seconds=time.perf_counter() - started)


def samples_of(result: SideResult) -> list[Sample]:
    """One sample per field with evidence: right when its canonical value equals the truth's; all
    wrong when the side was read as the other side."""
    if result.detected is None:
        return []
    wrong_side = result.detected != result.task.side
    out: list[Sample] = []
    for name, evidence in result.evidence.items():
        value = result.values.get(name, "")
        truth = result.task.truth.get(name, "")
        right = not wrong_side and canonical(name, value) == canonical(name, truth)
        out.append((name, evidence, right))
    return out


def tasks_from_set(directory: Path, limit: Optional[int] = None) -> list[Task]:
    from tools.synth import load_set

    tasks = []
    for card in load_set(directory, limit=limit):
        for side in (Side.FRONT, Side.BACK):
            record = card.sides.get(side)
            if record is not None:
                tasks.append(Task(card.card_id, card.condition, side, str(record.path), dict(record.truth)))
    return tasks


def run_all(tasks: Sequence[Task], jobs: int, progress: bool = True) -> list[SideResult]:
    results: list[SideResult] = []
    started = time.monotonic()

    def report(done: int) -> None:
        if progress and (done % 20 == 0 or done == len(tasks)):
            print(f"  {done}/{len(tasks)} sides, {time.monotonic() - started:.0f} s", file=sys.stderr)

    if jobs <= 1:
        for task in tasks:
            results.append(read_side(task))
            report(len(results))
        return results
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker) as pool:
        for result in pool.map(read_side, tasks, chunksize=2):
            results.append(result)
            report(len(results))
    return results


# ---- figures ----------------------------------------------------------------------------------

def reliability(predicted: Sequence[float], right: Sequence[bool], bins: int = BINS
                ) -> list[tuple[float, float, int, Optional[float], Optional[float]]]:
    """(low, high, n, mean predicted, observed accuracy) per bin of predicted confidence."""
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(p, r) for p, r in zip(predicted, right) if low <= p < high or (b == bins - 1 and p == 1.0)]
        if inside:
            rows.append((low, high, len(inside), sum(p for p, _ in inside) / len(inside),
                         sum(1 for _, r in inside if r) / len(inside)))
        else:
            rows.append((low, high, 0, None, None))
    return rows


def expected_calibration_error(predicted: Sequence[float], right: Sequence[bool], bins: int = BINS) -> float:
    total = len(predicted)
    if not total:
        return 0.0
    return sum(n * abs(mean - acc) for _, _, n, mean, acc in reliability(predicted, right, bins) if n) / total


def _fmt(value: Optional[float], digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_field_table(samples: Sequence[Sample], before: Sequence[float], after: Sequence[float],
                      fitted: Sequence[str] = (), out=sys.stdout) -> None:
    print(f"\n{'field':<22} {'n':>5} {'acc':>6} {'auroc before':>13} {'auroc after':>12} {'model':>7}", file=out)
    names = sorted({name for name, _, _ in samples})
    for name in names:
        index = [i for i, s in enumerate(samples) if s[0] == name]
        right = [samples[i][2] for i in index]
        accuracy = sum(right) / len(right)
        print(f"{name:<22} {len(index):>5} {_fmt(accuracy):>6} "
              f"{_fmt(auroc([before[i] for i in index], right)):>13} "
              f"{_fmt(auroc([after[i] for i in index], right)):>12} {'own' if name in fitted else 'shared':>7}",
              file=out)


def print_reliability(title: str, predicted: Sequence[float], right: Sequence[bool], out=sys.stdout) -> None:
    print(f"\nReliability, {title} (ECE {expected_calibration_error(predicted, right):.3f})", file=out)
    print(f"{'confidence':>11} {'n':>6} {'mean conf':>10} {'accuracy':>9}", file=out)
    for low, high, n, mean, acc in reliability(predicted, right):
        print(f"{low:>4.1f}-{high:<6.1f} {n:>6} {_fmt(mean):>10} {_fmt(acc):>9}", file=out)


def summarise(results: Sequence[SideResult], samples: Sequence[Sample], model: ConfidenceModel,
              out=sys.stdout) -> dict[str, float]:
    hand = ConfidenceModel({})
    before = [hand.predict(name, evidence) for name, evidence, _ in samples]
    after = [model.predict(name, evidence) for name, evidence, _ in samples]
    right = [r for _, _, r in samples]
    print_field_table(samples, before, after, fitted=sorted(model.weights), out=out)
    figures = {
        "auroc_before": auroc(before, right) if samples else 0.0,
        "auroc_after": auroc(after, right) if samples else 0.0,
        "ece_before": expected_calibration_error(before, right),
        "ece_after": expected_calibration_error(after, right),
        "accuracy": sum(right) / len(right) if right else 0.0,
    }
    print(f"\nIn-sample AUROC for 'field is right': hand-set {figures['auroc_before']:.3f}, "
          f"fitted {figures['auroc_after']:.3f} ({len(samples)} fields, accuracy {figures['accuracy']:.3f})",
          file=out)
    print_reliability("hand-set model", before, right, out=out)
    print_reliability("fitted model (in-sample)", after, right, out=out)
    return figures


def counts_of(results: Sequence[SideResult], samples: Sequence[Sample]) -> dict[str, int]:
    conditions = Counter(r.task.condition for r in results)
    return {
        "sides": len(results),
        "skipped": sum(1 for r in results if r.detected is None),
        "wrong_side": sum(1 for r in results if r.detected is not None and r.detected != r.task.side),
        "samples": len(samples),
        "right": sum(1 for _, _, r in samples if r),
        **{f"sides_{name}": count for name, count in sorted(conditions.items())},
    }


# ---- saved samples: refit and check without reading again --------------------------------------

def save_samples(path: Path, results: Sequence[SideResult], meta: dict) -> None:
    rows = [{"card_id": r.task.card_id, "condition": r.task.condition, "side": r.task.side.value,
             "detected": r.detected.value if r.detected else None, "error": r.error,
             "seconds": round(r.seconds, 3), "values": r.values, "truth": r.task.truth,
             "evidence": {name: asdict(e) for name, e in r.evidence.items()}} for r in results]
    path.write_text(json.dumps({"meta": meta, "sides": rows}, ensure_ascii=False) + "\n", encoding="utf-8")


def load_samples(path: Path) -> tuple[list[SideResult], dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    results = []
    for row in data["sides"]:
        task = Task(row["card_id"], row["condition"], Side(row["side"]), "", row["truth"])
        evidence = {name: Evidence(**values) for name, values in row["evidence"].items()}
        detected = Side(row["detected"]) if row["detected"] else None
        results.append(SideResult(task, detected, row["values"], evidence, row["error"], row["seconds"]))
    return results, data.get("meta", {})


def check(model: ConfidenceModel, samples: Sequence[Sample], *, threshold: float = 0.8, high: float = 0.95,
          out=sys.stdout) -> dict[str, float]:
    """Out-of-sample figures of a fitted model on another set's samples."""
    predicted = [model.predict(name, evidence) for name, evidence, _ in samples]
    right = [r for _, _, r in samples]
    wrong = sum(1 for r in right if not r)
    flagged = [p < threshold for p in predicted]
    caught = sum(1 for f, r in zip(flagged, right) if f and not r)
    figures = {"auroc": auroc(predicted, right), "flagged": sum(flagged) / len(samples),
               "caught": caught / wrong if wrong else 1.0, "ece": expected_calibration_error(predicted, right)}
    print(f"\nCheck on {len(samples)} other fields ({wrong} wrong): AUROC {figures['auroc']:.3f}, "
          f"ECE {figures['ece']:.3f}; at {threshold} {100 * figures['flagged']:.1f}% flagged, "
          f"{100 * figures['caught']:.1f}% of the wrong caught", file=out)
    ranked = sorted(zip(predicted, right))
    for target in (0.90, 0.95):
        needed, seen = 0, 0
        for index, (_, r) in enumerate(ranked):
            if not r:
                seen += 1
            if seen >= target * wrong:
                needed = index + 1
                break
        print(f"  to catch {100 * target:.0f}% of the wrong: flag {100 * needed / len(samples):.1f}%", file=out)
    by_field: dict[str, list[tuple[float, bool]]] = {}
    for (name, _, r), p in zip(samples, predicted):
        by_field.setdefault(name, []).append((p, r))
    lies = {name: sum(1 for p, r in rows if p >= high and not r) for name, rows in by_field.items()}
    print(f"  wrong at >= {high}: " + (", ".join(f"{name} {n}/{len(by_field[name])}"
                                                for name, n in sorted(lies.items()) if n) or "none"), file=out)
    figures["wrong_high"] = float(sum(lies.values()))
    return figures


def fit_and_save(results: Sequence[SideResult], out_path: Path, meta: dict, out=sys.stdout
                 ) -> tuple[ConfidenceModel, dict[str, float]]:
    samples: list[Sample] = [s for r in results for s in samples_of(r)]
    model = fit_model(samples)
    counts = counts_of(results, samples)
    figures = summarise(results, samples, model, out=out)
    skipped = [r for r in results if r.detected is None]
    if skipped:
        reasons = Counter(r.error for r in skipped)
        print(f"\nSkipped {len(skipped)} sides the engine refused: " +
              "; ".join(f"{reason} x{n}" for reason, n in reasons.most_common()), file=out)
    per_field = Counter(name for name, _, _ in samples)
    model.save(out_path, meta={**meta, "date": date.today().isoformat(), "counts": counts,
                               "per_field": dict(sorted(per_field.items())),
                               "auroc_in_sample": {"hand_set": round(figures["auroc_before"], 4),
                                                   "fitted": round(figures["auroc_after"], 4)},
                               "fitted_fields": sorted(model.weights)})
    print(f"\nSaved to {out_path}: per-field models for {len(model.weights)} fields "
          f"({', '.join(sorted(model.weights)) or 'none'}), a shared one for the rest", file=out)
    return model, figures


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", help="a set written by `python -m tools.synth` (default: generate one)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed of the generated set ({DEFAULT_SEED})")
    parser.add_argument("--n", type=int, default=DEFAULT_N, help=f"cards to generate, or to read from --set ({DEFAULT_N})")
    parser.add_argument("--out", default=str(CALIBRATION_FILE), help=f"where to save the model ({CALIBRATION_FILE})")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (the machine has 2 shared cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--save-samples", help="also save every side's values and evidence to this JSON file")
    parser.add_argument("--from-samples", action="append",
                        help="refit from samples saved by --save-samples, reading nothing (repeat to pool sets)")
    parser.add_argument("--check", help="samples of another set (--save-samples) to score the fitted model on")
    args = parser.parse_args(argv)

    started = time.monotonic()
    if args.from_samples:
        results, metas = [], []
        for path in args.from_samples:
            more, meta = load_samples(Path(path))
            results += more
            metas.append(meta)
        meta = metas[0] if len(metas) == 1 else {
            "set": [m.get("set") for m in metas], "seed": [m.get("seed") for m in metas],
            "n": sum(int(m.get("n") or 0) for m in metas),
            "seconds_per_side_median": metas[0].get("seconds_per_side_median")}
    else:
        results, meta = _read(args)
        if results is None:
            return 2
        if args.save_samples:
            save_samples(Path(args.save_samples), results, meta)
    model, _ = fit_and_save(results, Path(args.out), meta)
    if args.check:
        other, _ = load_samples(Path(args.check))
        check(model, [s for r in other for s in samples_of(r)])
    print(f"\n{len(results)} sides in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


def _read(args: argparse.Namespace) -> tuple[Optional[list[SideResult]], dict]:
    with tempfile.TemporaryDirectory(prefix="calibration-") as scratch:
        if args.set:
            from tools.synth import load_set

            directory = Path(args.set)
            if not (directory / "truth.jsonl").is_file():
                print(f"error: {directory}/truth.jsonl not found", file=sys.stderr)
                return None, {}
            seeds = sorted({card.seed for card in load_set(directory, limit=args.n)})
            meta: dict = {"set": str(directory), "seed": seeds[0] if len(seeds) == 1 else seeds}
        else:
            from tools.synth import write_set

            directory = Path(scratch)
            print(f"generating {args.n} cards with seed {args.seed} in {directory}", file=sys.stderr)
            write_set(directory, seed=args.seed, count=args.n)
            meta = {"seed": args.seed}
        tasks = tasks_from_set(directory, limit=args.n)
        meta["n"] = len({task.card_id for task in tasks})
        print(f"reading {len(tasks)} sides with {args.jobs} job(s)", file=sys.stderr)
        results = run_all(tasks, max(1, args.jobs), progress=not args.quiet)
    seconds = [r.seconds for r in results]
    meta["seconds_per_side_median"] = round(sorted(seconds)[len(seconds) // 2], 2) if seconds else None
    return results, meta


if __name__ == "__main__":
    raise SystemExit(main())
