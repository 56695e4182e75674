"""python -m tools.synth --n 200 --seed 1 --out DIR: write a synthetic set and its truth.jsonl."""

from __future__ import annotations

import argparse
import sys
import time

from tools.synth.capture import CONDITIONS, DEFAULT_MIX
from tools.synth.fonts import POOLS, pool_families, skipped_families
from tools.synth.layout import FAMILIES, LAYOUTS


def _mix(text: str) -> dict[str, float]:
    """"scan=0.5,photo=0.5" -> {"scan": 0.5, "photo": 0.5}."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in CONDITIONS:
            raise argparse.ArgumentTypeError(f"unknown condition {name!r}; expected {CONDITIONS}")
        mix[name.strip()] = float(weight or 1)
    return mix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.synth", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="number of cards (two images each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="output directory (truth.jsonl is rewritten)")
    parser.add_argument("--start", type=int, default=0, help="index of the first card")
    parser.add_argument("--condition", choices=CONDITIONS, help="make every card in this condition")
    parser.add_argument("--mix", type=_mix, help=f"condition weights, default {DEFAULT_MIX}")
    parser.add_argument("--kind", choices=("car", "motorbike"))
    parser.add_argument("--layout", choices=LAYOUTS)
    parser.add_argument("--family", choices=FAMILIES, default="standard",
                        help="layout family: standard (default) or alt (kept out of development: other "
                             "wordings, positions and orders, values below labels, other card sizes)")
    parser.add_argument("--fonts", choices=POOLS, default="curated",
                        help="font pool: curated (default), training (every installed family covering "
                             "Vietnamese but the held-out ones) or heldout (the held-out families only)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    from tools.synth.dataset import write_set

    if not args.quiet:
        labels, values = pool_families(args.fonts)
        print(f"fonts ({args.fonts}): labels {', '.join(labels)}; values {', '.join(values)}", file=sys.stderr)
        if args.fonts == "curated":
            for family, reason in skipped_families().items():
                print(f"skipped font {family}: {reason}", file=sys.stderr)

    def progress(done: int, total: int, elapsed: float) -> None:
        if not args.quiet and (done % 10 == 0 or done == total):
            print(f"{done}/{total} cards, {elapsed:.1f} s", file=sys.stderr)

    started = time.monotonic()
    path = write_set(args.out, seed=args.seed, count=args.n, start=args.start, progress=progress,
                     condition=args.condition, kind=args.kind, layout=args.layout, mix=args.mix,
                     fonts=args.fonts, family=args.family)
    print(f"wrote {args.n} cards to {path} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
