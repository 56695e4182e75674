"""The trained text-line recogniser, run with onnxruntime on one thread.

The model (`models/recognizer.onnx`, with its card `models/MODEL_CARD.md`) was trained by
`python -m tools.train_recognizer` on lines cut from generated certificates; PyTorch is not
needed here. `read` turns a region of the engine's grey card into an `OcrLine` like Tesseract's
(words with boxes, per-character probabilities, margins and runners-up), so that both readers
feed the same voting; `posteriors` gives the per-frame log-probabilities for grammar-constrained
decoding (`services.extraction.ctc`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from services.extraction import ctc, line_image
from services.extraction.charset import ALPHABET
from services.extraction.ocr import OcrChar, OcrLine, OcrWord

MODEL_FILE = Path(__file__).with_name("models") / "recognizer.onnx"
# Paper added round a region before it is read: the model saw lines with some margin.
PAD_X, PAD_Y = 0.35, 0.12  # shares of the region's height


class ModelError(RuntimeError):
    """The recogniser's model file is missing, unreadable or not for this alphabet."""


@dataclass
class LinePosteriors:
    logp: np.ndarray  # (frames, classes)
    x0: float  # the crop's left edge on the card
    y0: float
    height: float  # the crop's height on the card
    scale: float  # card pixels -> line pixels

    def frame_x(self, frame: float) -> float:
        """Card x of a frame's left edge."""
        return self.x0 + frame * line_image.WIDTH_STEP / self.scale


class LineRecognizer:
    def __init__(self, path: Path = MODEL_FILE) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - a broken installation
            raise ModelError("onnxruntime is not installed: run `make run` (or pip install -r requirements.txt)") from exc
        if not path.is_file():
            raise ModelError(f"the recogniser's model {path} is missing: restore it from git "
                             "(`git checkout -- services/extraction/models`) or train one "
                             "(`python -m tools.train_recognizer`, see its MODEL_CARD.md)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several kinds for a bad file
            raise ModelError(f"the recogniser's model {path} cannot be loaded ({type(exc).__name__}): the file is "
                             "damaged; restore it from git (`git checkout -- services/extraction/models`)") from exc
        metadata = self.session.get_modelmeta().custom_metadata_map
        if metadata.get("alphabet") != ALPHABET:
            raise ModelError(f"the recogniser's model {path} was trained for another alphabet than "
                             "services/extraction/charset.py: retrain it or restore both from git")
        if int(metadata.get("height", 0)) != line_image.HEIGHT:
            raise ModelError(f"the recogniser's model {path} reads lines {metadata.get('height')} px tall, "
                             f"the engine prepares {line_image.HEIGHT}")
        self.version = metadata.get("version", "")
        self.input = self.session.get_inputs()[0].name

    def run(self, lines: np.ndarray) -> np.ndarray:
        """(batch, 1, HEIGHT, W) float32 -> (batch, W / 4, classes) log-probabilities."""
        return self.session.run(None, {self.input: lines})[0]

    def posteriors(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> Optional[LinePosteriors]:
        x, y, w, h = box
        H, W = gray.shape[:2]
        pad_x, pad_y = int(round(PAD_X * h)), int(round(PAD_Y * h))
        x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
        x1, y1 = min(W, x + w + pad_x), min(H, y + h + pad_y)
        if x1 - x0 < 4 or y1 - y0 < 6:
            return None
        line, scale = line_image.prepare(gray[y0:y1, x0:x1])
        logp = self.run(line[None, None])[0]
        return LinePosteriors(logp=logp, x0=x0, y0=y0, height=y1 - y0, scale=scale)

    def read(self, gray: np.ndarray, box: tuple[int, int, int, int], *, allowed: str = "") -> list[OcrLine]:
        """The region read as one line, with word boxes in card coordinates."""
        post = self.posteriors(gray, box)
        if post is None:
            return []
        line = to_line(post, ctc.greedy(post.logp, allowed))
        return [line] if line.words else []


def to_line(post: LinePosteriors, emissions: list[ctc.Emission]) -> OcrLine:
    """Characters grouped into words at spaces, each word boxed from its frames."""
    words: list[OcrWord] = []
    current: list[ctc.Emission] = []

    def close() -> None:
        if not current:
            return
        left = post.frame_x(current[0].start)
        right = post.frame_x(current[-1].end + 1)
        chars = [OcrChar(e.char, e.prob, max(0.0, e.margin), e.alternatives) for e in current]
        conf = float(np.exp(np.mean(np.log([max(1e-6, e.prob) for e in current]))))
        words.append(OcrWord("".join(e.char for e in current), conf,
                             (int(left), int(post.y0), max(1, int(right - left)), int(post.height)), chars))
        current.clear()

    for emission in emissions:
        if emission.char == " ":
            close()
        else:
            current.append(emission)
    close()
    if not words:
        return OcrLine(words=[], box=(int(post.x0), int(post.y0), 0, int(post.height)))
    x = words[0].box[0]
    return OcrLine(words=words, box=(x, int(post.y0), words[-1].x2 - x, int(post.height)))


_local = threading.local()


def recognizer(path: Path = MODEL_FILE) -> LineRecognizer:
    """This thread's recogniser (sessions are kept per thread, like Tesseract's)."""
    cached = getattr(_local, "recognizers", None)
    if cached is None:
        cached = _local.recognizers = {}
    if path not in cached:
        cached[path] = LineRecognizer(path)
    return cached[path]
