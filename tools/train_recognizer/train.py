"""Training the line recogniser on pre-rendered shards, on the CPU, resumably.

Batches are drawn from buckets of similar width (little padding), with a light augmentation
on the fly (contrast, ink weight, noise, a horizontal stretch). Every `CHECKPOINT_EVERY` steps
the state (model, optimiser, schedule, step, random generators) is saved to `work/last.pt`; a
new run with the same `--work` resumes there. Every `VALIDATE_EVERY` steps the character error
rate on the validation shards picks `work/best.pt`. Deterministic for a seed on one machine.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn

from services.extraction.charset import ALPHABET, encode
from services.extraction.line_image import WIDTH_STEP
from tools.train_recognizer.model import LineRecognizer
from tools.train_recognizer.render import read_shard

CHECKPOINT_EVERY = 250
VALIDATE_EVERY = 1000
MODEL_WIDTH = 1.0


class Lines:
    """Line images and their encoded texts, with width buckets for batching."""

    def __init__(self, directories: Sequence[Path], *, limit: Optional[int] = None) -> None:
        self.images: list[np.ndarray] = []
        self.texts: list[str] = []
        self.meta: list[dict] = []
        for directory in directories:
            for path in sorted(Path(directory).glob("shard-*.npz")):
                images, meta = read_shard(path)
                for image, info in zip(images, meta):
                    # CTC needs a frame per character at least, and one between repeated ones.
                    frames = image.shape[1] // WIDTH_STEP
                    text = info["text"]
                    repeats = sum(1 for a, b in zip(text, text[1:]) if a == b)
                    if len(text) + repeats <= frames:
                        self.images.append(image)
                        self.texts.append(text)
                        self.meta.append(info)
                if limit and len(self.images) >= limit:
                    break
        self.targets = [torch.tensor(encode(t), dtype=torch.long) for t in self.texts]
        order = np.argsort([im.shape[1] for im in self.images], kind="stable")
        self.buckets = [order[i:i + 512] for i in range(0, len(order), 512)]

    def __len__(self) -> int:
        return len(self.images)


def _augment(image: np.ndarray, rng: random.Random) -> np.ndarray:
    line = image.astype(np.float32) / 255.0
    if rng.random() < 0.5:  # contrast and faded ink
        line = np.clip(line * rng.uniform(0.6, 1.15), 0, 1)
    if rng.random() < 0.3:  # heavier or lighter strokes
        power = rng.uniform(0.6, 1.5)
        line = line ** power
    if rng.random() < 0.3:
        line = np.clip(line + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(0.02, 0.08),
                                                                                  line.shape), 0, 1)
    if rng.random() < 0.3:  # narrower or wider type
        factor = rng.uniform(0.85, 1.15)
        width = max(WIDTH_STEP * 4, int(round(line.shape[1] * factor / WIDTH_STEP)) * WIDTH_STEP)
        import cv2

        line = cv2.resize(line, (width, line.shape[0]), interpolation=cv2.INTER_LINEAR)
    return line.astype(np.float32)


def collate(images: list[np.ndarray], targets: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    width = max(im.shape[1] for im in images)
    batch = np.zeros((len(images), 1, images[0].shape[0], width), np.float32)
    for i, im in enumerate(images):
        batch[i, 0, :, :im.shape[1]] = im
    frames = torch.tensor([im.shape[1] // WIDTH_STEP for im in images], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    return torch.from_numpy(batch), torch.cat(targets), frames, lengths


def greedy(logp: torch.Tensor, frames: torch.Tensor) -> list[str]:
    best = logp.argmax(-1)
    out = []
    for row, n in zip(best, frames):
        chars, previous = [], 0
        for c in row[: int(n)].tolist():
            if c != previous and c != 0:
                chars.append(ALPHABET[c - 1])
            previous = c
        out.append("".join(chars))
    return out


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@torch.no_grad()
def evaluate(model: nn.Module, lines: Lines, batch: int = 64) -> dict[str, float]:
    model.eval()
    errors = total = exact = 0
    order = np.argsort([im.shape[1] for im in lines.images])
    for start in range(0, len(order), batch):
        index = order[start:start + batch]
        images = [lines.images[i].astype(np.float32) / 255.0 for i in index]
        x, _, frames, _ = collate(images, [lines.targets[i] for i in index])
        for i, text in zip(index, greedy(model(x), frames)):
            truth = lines.texts[i]
            distance = edit_distance(text, truth)
            errors += distance
            total += len(truth)
            exact += distance == 0
    model.train()
    return {"cer": errors / max(1, total), "exact": exact / max(1, len(lines))}


def _schedule(step: int, steps: int, peak: float = 2e-3, warmup: int = 300) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def train(data: Sequence[Path], work: Path, *, steps: int = 12000, batch: int = 48, seed: int = 1, threads: int = 2,
          val: Optional[Path] = None, init: Optional[Path] = None, peak_lr: float = 2e-3, warmup: int = 300) -> None:
    """`init`: an exported ONNX model to start from (a fresh `work` only); `peak_lr` and
    `warmup` shape the schedule (a warm start wants a lower peak and a short warm-up)."""
    torch.set_num_threads(threads)
    work.mkdir(parents=True, exist_ok=True)
    log = (work / "train.log").open("a", encoding="utf-8")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    lines = Lines(data)
    validation = Lines([val], limit=3000) if val else None
    print(f"{len(lines)} training lines, {len(validation) if validation else 0} validation lines", flush=True)
    model = LineRecognizer(MODEL_WIDTH)
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    step, best = 0, float("inf")
    base = ""  # the version of the model a warm start began from
    last = work / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, best = state["step"], state["best"]
        base = state.get("base", "")
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed at step {step} (best CER {best:.4f})", flush=True)
    elif init is not None:
        from tools.train_recognizer.warm_start import load_onnx_weights

        sample_index = [int(i) for i in lines.buckets[len(lines.buckets) // 2][:64]]
        sample, _, _, _ = collate([lines.images[i].astype(np.float32) / 255.0 for i in sample_index],
                                  [lines.targets[i] for i in sample_index])
        load_onnx_weights(model, init, sample)
        import onnx

        base = {p.key: p.value for p in onnx.load(str(init)).metadata_props}.get("version", init.name)
        if validation is not None:
            start = evaluate(model, validation)
            print(f"started from {init}: validation CER {start['cer']:.4f}, exact {start['exact']:.3f}", flush=True)
    model.train()
    started, losses = time.monotonic(), []
    while step < steps:
        bucket = lines.buckets[rng.randrange(len(lines.buckets))]
        index = [int(bucket[rng.randrange(len(bucket))]) for _ in range(batch)]
        x, targets, frames, lengths = collate([_augment(lines.images[i], rng) for i in index],
                                              [lines.targets[i] for i in index])
        for group in optimiser.param_groups:
            group["lr"] = _schedule(step, steps, peak=peak_lr, warmup=warmup)
        logp = model(x)
        frames = torch.clamp(frames, max=logp.shape[1])
        loss = ctc(logp.transpose(0, 1), targets, frames, lengths)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % 50 == 0:
            print(f"step {step}: loss {np.mean(losses[-50:]):.3f}, {time.monotonic() - started:.0f} s", flush=True)
        record = None
        if step % VALIDATE_EVERY == 0 or step == steps:
            record = {"step": step, "loss": float(np.mean(losses[-200:])), "seconds": round(time.monotonic() - started)}
            if validation is not None:
                figures = evaluate(model, validation)
                record.update(figures)
                if figures["cer"] < best:
                    best = figures["cer"]
                    torch.save({"model": model.state_dict(), "step": step, "cer": best, "width": MODEL_WIDTH,
                                "base": base}, work / "best.pt")
        if step % CHECKPOINT_EVERY == 0 or step == steps:
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step, "best": best,
                        "rng": rng.getstate(), "torch_rng": torch.get_rng_state(), "width": MODEL_WIDTH,
                        "seed": seed, "steps": steps, "base": base}, work / "last.tmp")
            (work / "last.tmp").rename(last)
            if record is None:
                record = {"step": step, "loss": float(np.mean(losses[-200:])),
                          "seconds": round(time.monotonic() - started)}
        if record is not None:
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps(record), flush=True)
    if validation is None:
        torch.save({"model": model.state_dict(), "step": step, "cer": None, "width": MODEL_WIDTH, "base": base},
                   work / "best.pt")
