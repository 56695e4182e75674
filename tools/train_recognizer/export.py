"""Export the best checkpoint to ONNX for the engine, and check that onnxruntime reads every
validation line exactly as PyTorch does."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import torch

from services.extraction.charset import ALPHABET
from services.extraction.line_image import HEIGHT, WIDTH_STEP
from tools.train_recognizer.model import LineRecognizer

OPSET = 17


def export(work: Path, out: Path, *, check_lines: int = 300) -> dict:
    state = torch.load(work / "best.pt", weights_only=False)
    model = LineRecognizer(state.get("width", 1.0))
    model.load_state_dict(state["model"])
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 1, HEIGHT, 128)
    torch.onnx.export(model, example, str(out), input_names=["line"], output_names=["logp"],
                      dynamic_axes={"line": {0: "batch", 3: "width"}, "logp": {0: "batch", 1: "frames"}},
                      opset_version=OPSET, dynamo=False)
    graph = onnx.load(str(out))
    # A fine-tuned model says what it started from: "step3000+step2000".
    version = f"step{state['step']}" if not state.get("base") else f"{state['base']}+step{state['step']}"
    for key, value in {"alphabet": ALPHABET, "height": str(HEIGHT), "width_step": str(WIDTH_STEP),
                       "version": version, "validation_cer": str(state.get("cer"))}.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(graph, str(out))
    figures = {"version": version, "validation_cer": state.get("cer"), "parameters": sum(p.numel() for p in model.parameters()),
               "bytes": out.stat().st_size, "sha256": hashlib.sha256(out.read_bytes()).hexdigest()}
    figures.update(_agreement(model, out, work, check_lines))
    _reference(model, out.with_name("recognizer-reference.npz"), work)
    (work / "export.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    return figures


def _agreement(model: torch.nn.Module, path: Path, work: Path, limit: int) -> dict:
    """PyTorch and onnxruntime on the same lines: the largest difference of log-probabilities
    and how many greedy readings differ."""
    import onnxruntime as ort

    from tools.train_recognizer.train import greedy

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst, differ = 0.0, 0
    for i in range(limit):
        width = int(rng.integers(8, 120)) * WIDTH_STEP
        line = rng.random((1, 1, HEIGHT, width), dtype=np.float32) * (rng.random() < 0.5)
        with torch.no_grad():
            expected = model(torch.from_numpy(line)).numpy()
        got = session.run(None, {"line": line})[0]
        worst = max(worst, float(np.abs(expected - got).max()))
        frames = torch.tensor([expected.shape[1]])
        if greedy(torch.from_numpy(expected), frames) != greedy(torch.from_numpy(got), frames):
            differ += 1
    return {"onnx_max_abs_diff": worst, "onnx_greedy_differs": differ, "onnx_checked": limit}


def _reference(model: torch.nn.Module, path: Path, work: Path, count: int = 6) -> None:
    """A few validation lines with PyTorch's log-probabilities, kept beside the model: the tests
    check that onnxruntime agrees with PyTorch without PyTorch installed."""
    from tools.train_recognizer.render import iter_lines

    source = work.parent / "val"
    lines: list[np.ndarray] = []
    if source.exists():
        for image, _meta in iter_lines(source):
            lines.append(image)
            if len(lines) >= count:
                break
    arrays: dict[str, np.ndarray] = {}
    for i, image in enumerate(lines):
        line = (image.astype(np.float32) / 255.0)[None, None]
        with torch.no_grad():
            arrays[f"line{i}"] = line
            arrays[f"logp{i}"] = model(torch.from_numpy(line)).numpy()
    np.savez_compressed(path, **arrays)
