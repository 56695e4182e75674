"""python -m tools.train_recognizer render|train|export ...

    render --out DIR --seed S --cards N --sheets M [--pool training|heldout|curated] [--no-augment]
    train  --data DIR --work DIR [--steps N] [--seed S]      (resumes from DIR's last checkpoint)
    export --work DIR --out services/extraction/models/recognizer.onnx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.train_recognizer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="pre-render training lines into shards")
    render.add_argument("--out", type=Path, required=True)
    render.add_argument("--seed", type=int, required=True)
    render.add_argument("--cards", type=int, default=1000)
    render.add_argument("--sheets", type=int, default=600)
    render.add_argument("--start", type=int, default=0)
    render.add_argument("--pool", default="training", choices=("training", "heldout", "curated"))
    render.add_argument("--no-augment", action="store_true", help="no extra tilt, down-scaling or JPEG")
    render.add_argument("--processes", type=int, default=2)
    render.add_argument("--prefix", default="shard")
    train = sub.add_parser("train", help="train (resumable) on rendered shards")
    train.add_argument("--data", type=Path, required=True, action="append", help="a directory of shards (repeatable)")
    train.add_argument("--val", type=Path, help="a directory of validation shards")
    train.add_argument("--work", type=Path, required=True, help="checkpoints and the training log")
    train.add_argument("--steps", type=int, default=12000)
    train.add_argument("--batch", type=int, default=48)
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--threads", type=int, default=2)
    train.add_argument("--init", type=Path, help="an exported ONNX model to start from (fine-tuning)")
    train.add_argument("--peak-lr", type=float, default=2e-3)
    train.add_argument("--warmup", type=int, default=300, help="steps of linear warm-up")
    export = sub.add_parser("export", help="export the best checkpoint to ONNX and check it")
    export.add_argument("--work", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "render":
        from tools.train_recognizer.render import render as run

        written = run(args.out, seed=args.seed, cards=args.cards, sheets=args.sheets, pool=args.pool,
                      augmented=not args.no_augment, processes=args.processes, start=args.start, prefix=args.prefix)
        print(f"wrote {written} lines to {args.out}")
        return 0
    if args.command == "train":
        from tools.train_recognizer.train import train as run

        run(args.data, args.work, steps=args.steps, batch=args.batch, seed=args.seed, threads=args.threads,
            val=args.val, init=args.init, peak_lr=args.peak_lr, warmup=args.warmup)
        return 0
    from tools.train_recognizer.export import export as run

    run(args.work, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
