"""The text-line recogniser: a small convolutional CTC model.

A line HEIGHT pixels tall goes through a convolutional stack that halves the height five times
and the width twice (one output frame per WIDTH_STEP input columns), then depthwise-separable
1-D convolutions over the frames give each frame some context (about 20 frames, a few letters
either side), and a linear layer scores every class of the alphabet per frame. Convolutions
only, no recurrence: fast on one CPU thread, and exported to ONNX as plain operators.
"""

from __future__ import annotations

import torch
from torch import nn

from services.extraction.charset import CLASSES
from services.extraction.line_image import HEIGHT


def _conv(cin: int, cout: int, kernel=3, padding=1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=padding, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


def _separable(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class _Context(nn.Module):
    """A residual depthwise-separable 1-D convolution over the frames."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(channels, channels, kernel, padding=dilation * (kernel // 2), dilation=dilation,
                                   groups=channels, bias=False)
        self.pointwise = nn.Conv1d(channels, channels, 1, bias=False)
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.norm(self.pointwise(self.depthwise(x))))


class LineRecognizer(nn.Module):
    def __init__(self, width: float = 1.0, classes: int = CLASSES) -> None:
        super().__init__()
        c = [max(8, int(round(n * width))) for n in (32, 64, 128, 160, 192, 256)]
        self.features = nn.Sequential(
            _conv(1, c[0]), nn.MaxPool2d(2),                      # 16 x W/2
            _conv(c[0], c[1]), nn.MaxPool2d(2),                   # 8 x W/4
            _separable(c[1], c[2]), _separable(c[2], c[2]),
            nn.MaxPool2d((2, 1)),                                 # 4 x W/4
            _separable(c[2], c[3]), _separable(c[3], c[3]),
            nn.MaxPool2d((2, 1)),                                 # 2 x W/4
            _separable(c[3], c[4]),
            nn.Conv2d(c[4], c[5], (2, 1), bias=False), nn.BatchNorm2d(c[5]), nn.ReLU(inplace=True),  # 1 x W/4
        )
        self.context = nn.Sequential(*[_Context(c[5], 5, d) for d in (1, 2, 4)])
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Conv1d(c[5], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 1, HEIGHT, W) -> (batch, W / 4, classes) log-probabilities."""
        features = self.features(x).squeeze(2)  # (batch, channels, frames)
        scores = self.head(self.dropout(self.context(features)))
        return torch.log_softmax(scores.transpose(1, 2), dim=-1)


def input_height() -> int:
    return HEIGHT
