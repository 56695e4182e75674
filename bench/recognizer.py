"""Line recognition benchmark: Tesseract (`vie`, `Vietnamese`), the trained recogniser, and their
vote, on lines cut from generated cards exactly as the training lines are (the engine's
alignment and grey image), by capture condition and by font split.

    python bench/recognizer.py --seed 2002 --cards 60 --pool training   # fonts seen in training
    python bench/recognizer.py --seed 3001 --cards 60 --pool heldout    # fonts never trained on

With the `trueocr` wheel installed (`pip install trueocr==0.1.1`, Apache-2.0: a Vietnamese conv
CTC line model, not trained on these cards), it is measured too, as the off-the-shelf starting
point the trained recogniser was weighed against. Lines are cached under bench/out/ per (seed, cards, pool). Prints CER and exact lines per reader,
condition and kind (values, labels), ms per line (one thread), and a `SUMMARY ` line.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from services.extraction import ctc  # noqa: E402
from services.extraction.ocr import PSM, reader  # noqa: E402
from services.extraction.prepare import crop as pad_crop  # noqa: E402
from services.extraction.recognizer import MODEL_FILE, LineRecognizer  # noqa: E402

OUT = ROOT / "bench" / "out"
TESSDATA = os.environ.get("TESSDATA_DIR", "/usr/share/tesseract-ocr/5/tessdata")


def load_lines(seed: int, cards: int, pool: str) -> list:
    cache = OUT / f"lines-{pool}-{seed}-{cards}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from tools.train_recognizer.lines import card_lines

    lines = []
    for index in range(cards):
        lines += [line for line in card_lines(seed, index, fonts=pool, runs_per_side=0)
                  if line.kind in ("value", "label")]
        print(f"  {index + 1}/{cards} cards, {len(lines)} lines", file=sys.stderr, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(lines))
    return lines


def tesseract(lang: str) -> Callable[[np.ndarray], str]:
    engine = reader(TESSDATA, lang)

    def read(gray: np.ndarray) -> str:
        # As the engine reads a region: scaled so letters are about 30 px tall, white border.
        scale = min(3.0, max(0.6, 30.0 / max(1.0, gray.shape[0] / 1.3)))
        piece, _ = pad_crop(gray, (0, 0, gray.shape[1], gray.shape[0]), scale=scale)
        lines = engine.read(piece, psm=PSM.SINGLE_LINE)
        return " ".join(line.text for line in lines)

    return read


def model_reader(path: Path) -> Callable[[np.ndarray], str]:
    model = LineRecognizer(path)

    def read(gray: np.ndarray) -> str:
        post = model.posteriors(gray, (0, 0, gray.shape[1], gray.shape[0]))
        return "" if post is None else "".join(e.char for e in ctc.greedy(post.logp)).strip()

    return read


def trueocr_reader() -> Callable[[np.ndarray], str]:
    from importlib.resources import files

    from trueocr.recognizer import Recognizer

    model = Recognizer(files("trueocr") / "models", threads=1)
    return lambda gray: model.predict_one(gray).text


def vote(readings: list[str], prefer: int) -> str:
    """The reading closest to the others; ties to the preferred reader."""
    def cost(i: int) -> tuple[int, int]:
        return sum(Levenshtein.distance(readings[i], r) for r in readings), i != prefer

    return readings[min(range(len(readings)), key=cost)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2002)
    parser.add_argument("--cards", type=int, default=60)
    parser.add_argument("--pool", default="training", choices=("training", "heldout", "curated"))
    parser.add_argument("--model", type=Path, default=MODEL_FILE)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    lines = load_lines(args.seed, args.cards, args.pool)
    readers = {"tesseract_vie": tesseract("vie"), "tesseract_viet": tesseract("Vietnamese"),
               "model": model_reader(args.model)}
    others = {}
    try:
        others["trueocr"] = trueocr_reader()
    except ImportError:
        pass
    names = list(readers) + ["vote"] + list(others)
    errors: dict = defaultdict(lambda: [0, 0, 0, 0])  # (reader, condition, kind) -> errors, chars, exact, lines
    times: dict[str, list[float]] = defaultdict(list)
    for line in lines:
        readings = []
        for name, read in readers.items():
            started = time.perf_counter()
            readings.append(" ".join(read(line.image).split()))
            times[name].append(time.perf_counter() - started)
        readings.append(vote(readings, prefer=2))
        for name, read in others.items():
            started = time.perf_counter()
            readings.append(" ".join(read(line.image).split()))
            times[name].append(time.perf_counter() - started)
        for name, text in zip(names, readings):
            distance = Levenshtein.distance(text, line.text)
            for condition in (line.condition, "all"):
                entry = errors[(name, condition, line.kind)]
                entry[0] += distance
                entry[1] += len(line.text)
                entry[2] += distance == 0
                entry[3] += 1
    print(f"\n{len(lines)} lines ({args.pool} fonts, seed {args.seed}, {args.cards} cards); CER % / exact lines %")
    summary = {"pool": args.pool, "lines": len(lines)}
    for kind in ("value", "label"):
        print(f"\n{kind}s{'':14}" + "".join(f"{c:>18}" for c in ("scan", "photo", "hard", "all")))
        for name in names:
            cells = []
            for condition in ("scan", "photo", "hard", "all"):
                e = errors.get((name, condition, kind))
                if not e or not e[1]:
                    cells.append(f"{'-':>18}")
                    continue
                cer, exact = 100 * e[0] / e[1], 100 * e[2] / e[3]
                summary[f"{kind}_{name}_{condition}_cer"] = round(cer, 3)
                summary[f"{kind}_{name}_{condition}_exact"] = round(exact, 1)
                cells.append(f"{cer:>9.2f} / {exact:>5.1f}")
            print(f"  {name:<18}" + "".join(cells))
    print("\nms per line (median, one thread): " + ", ".join(
        f"{name} {1000 * statistics.median(values):.1f}" for name, values in times.items()))
    for name, values in times.items():
        summary[f"ms_{name}"] = round(1000 * statistics.median(values), 2)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    print("SUMMARY " + " ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
