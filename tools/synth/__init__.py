"""Synthetic Vietnamese vehicle registration certificates with known truth.

    python -m tools.synth --n 200 --seed 1 --out /tmp/synth1

writes `<card>_front.jpg`, `<card>_back.jpg` (some scans `.png`) and `truth.jsonl`. The Python API:

    generate_card(seed, index, *, condition=None, kind=None, layout=None, keep_flat=False) -> Card
    render_side(values, style, side, rng, nprng) -> FlatSide   (the flat card and its boxes)
    load_set(directory, limit=None) -> list[CardRecord]
    write_set(directory, seed=..., count=...)

Modules, one job each: `values` (invented owners and vehicles), `layout` (where each word goes),
`render` (drawing the flat card), `textures` (paper and surfaces), `capture` (scan / photo /
hard / rotated), `fonts` (font discovery and glyph coverage), `card` (one card and its truth),
`dataset` (a set on disk).
"""

from tools.synth.capture import CONDITIONS, DEFAULT_MIX
from tools.synth.card import Card, SideImage, generate_card, side_truth
from tools.synth.dataset import CardRecord, SideRecord, load_set, write_set
from tools.synth.render import FlatSide, render_side

__all__ = [
    "CONDITIONS",
    "DEFAULT_MIX",
    "Card",
    "CardRecord",
    "FlatSide",
    "SideImage",
    "SideRecord",
    "generate_card",
    "load_set",
    "render_side",
    "side_truth",
    "write_set",
]
