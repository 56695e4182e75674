"""Pre-rendering training lines once, into shards the trainer reads: a shard is an .npz of line
images (HEIGHT pixels tall, ink 255, concatenated along the width) with their texts and where
they came from. Line `i` of card or sheet `j` depends only on (seed, j): a set can be rendered
in pieces, in parallel, and again on another machine, with the same result.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import random
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np
from PIL import Image

from services.extraction import line_image
from tools.synth.fonts import pool_families
from tools.train_recognizer.lines import card_lines
from tools.train_recognizer.sheets import sheet_lines

SHARD_LINES = 4000


def augment(crop: np.ndarray, rng: random.Random) -> np.ndarray:
    """What the capture pipeline does not already do to a line: a small residual tilt, letters
    down to about 8 px tall, an extra JPEG pass."""
    if rng.random() < 0.3:
        h, w = crop.shape[:2]
        angle = rng.uniform(-3.0, 3.0)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        crop = cv2.warpAffine(crop, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.25:
        h, w = crop.shape[:2]
        target = rng.uniform(12.0, 22.0)  # line height in px: letters 8-14 px tall
        if h > target:
            factor = target / h
            small = cv2.resize(crop, (max(4, int(w * factor)), max(4, int(h * factor))), interpolation=cv2.INTER_AREA)
            crop = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.2:
        buffer = io.BytesIO()
        Image.fromarray(crop).save(buffer, format="JPEG", quality=rng.randint(30, 95))
        crop = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    return crop


def _lines_of(job: tuple[str, int, int, str, bool]) -> list[tuple[np.ndarray, dict]]:
    source, seed, index, pool, augmented = job
    rng = random.Random(f"augment-{source}-{seed}-{index}")
    produced = card_lines(seed, index, fonts=pool) if source == "card" else sheet_lines(seed, index, pool=pool)
    out = []
    try:
        for line in produced:
            crop = augment(line.image, rng) if augmented else line.image
            prepared, _scale = line_image.prepare(crop)
            out.append((np.round(prepared * 255).astype(np.uint8),
                        {"text": line.text, "kind": line.kind, "field": line.field, "condition": line.condition,
                         "font": line.font, "source": f"{source}-{seed}-{index}"}))
    except Exception as exc:  # noqa: BLE001 - one broken card must not stop a night's rendering
        print(f"{source} {seed}/{index}: {type(exc).__name__}: {exc}", flush=True)
    return out


def write_shard(path: Path, items: Sequence[tuple[np.ndarray, dict]]) -> None:
    widths = np.array([image.shape[1] for image, _ in items], dtype=np.int32)
    pixels = np.concatenate([image for image, _ in items], axis=1) if items else np.zeros((line_image.HEIGHT, 0), np.uint8)
    meta = json.dumps([m for _, m in items], ensure_ascii=False)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, pixels=pixels, widths=widths, meta=np.array(meta))
    tmp.rename(path)


def read_shard(path: Path) -> tuple[list[np.ndarray], list[dict]]:
    with np.load(path) as data:
        pixels, widths = data["pixels"], data["widths"]
        meta = json.loads(str(data["meta"]))
    offsets = np.concatenate([[0], np.cumsum(widths)])
    return [pixels[:, offsets[i]:offsets[i + 1]] for i in range(len(widths))], meta


def jobs(seed: int, cards: int, sheets: int, pool: str, augmented: bool, start: int = 0
         ) -> list[tuple[str, int, int, str, bool]]:
    """Cards and sheets interleaved, so that every shard mixes both."""
    work: list[tuple[str, int, int, str, bool]] = []
    for i in range(max(cards, sheets)):
        if i < cards:
            work.append(("card", seed, start + i, pool, augmented))
        if i < sheets:
            work.append(("sheet", seed, start + i, pool, augmented))
    return work


def render(out: Path, *, seed: int, cards: int, sheets: int, pool: str = "training", augmented: bool = True,
           processes: int = 2, start: int = 0, prefix: str = "shard") -> int:
    """Render into `out`, resuming after the shards already there; returns the lines written."""
    out.mkdir(parents=True, exist_ok=True)
    work = jobs(seed, cards, sheets, pool, augmented, start)
    state = out / f"{prefix}-progress.json"
    done = json.loads(state.read_text())["jobs_done"] if state.exists() else 0
    shard = len(list(out.glob(f"{prefix}-*.npz")))
    buffer: list[tuple[np.ndarray, dict]] = []
    written = 0
    started = time.monotonic()
    pool_families(pool)  # discover the fonts once, before the workers fork
    with multiprocessing.get_context("fork").Pool(processes) as pool_:
        for count, lines in enumerate(pool_.imap(_lines_of, work[done:], chunksize=1), start=done + 1):
            buffer.extend(lines)
            # A shard is written only at a job boundary, so a restart resumes at the next job.
            if len(buffer) >= SHARD_LINES or count == len(work):
                write_shard(out / f"{prefix}-{shard:05d}.npz", buffer)
                written += len(buffer)
                shard += 1
                buffer = []
                state.write_text(json.dumps({"jobs_done": count, "jobs": len(work)}))
                print(f"{count}/{len(work)} jobs, {shard} shards, {time.monotonic() - started:.0f} s", flush=True)
    return written


def iter_lines(directory: Path, prefix: str = "shard") -> Iterator[tuple[np.ndarray, dict]]:
    for path in sorted(directory.glob(f"{prefix}-*.npz")):
        images, meta = read_shard(path)
        yield from zip(images, meta)


def count_lines(paths: Iterable[Path]) -> int:
    total = 0
    for path in paths:
        with np.load(path) as data:
            total += len(data["widths"])
    return total
