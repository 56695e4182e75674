"""Start training from a shipped ONNX model instead of from scratch.

The exporter folds each batch norm into the convolution before it, so the ONNX file holds one
weight and one bias per convolution and no normalisation statistics. Loading it back: each
convolution takes the folded weight, and the batch norm after it is rebuilt so that in eval mode
it adds exactly the folded bias (the model then reads exactly as the ONNX file does), with
running statistics measured on real lines so that the first training steps, which normalise by
the batch, do not start from a different function.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

_CONV = (nn.Conv1d, nn.Conv2d)
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d)


def _convolutions(model: nn.Module) -> list[tuple[nn.Module, nn.Module | None]]:
    """Each convolution with the batch norm registered right after it (if any), in order."""
    pairs: list[list] = []
    for module in model.modules():
        if isinstance(module, _CONV):
            pairs.append([module, None])
        elif isinstance(module, _NORM) and pairs and pairs[-1][1] is None:
            pairs[-1][1] = module
    return [(conv, norm) for conv, norm in pairs]


def _onnx_convolutions(path: Path) -> list[tuple[np.ndarray, np.ndarray | None]]:
    graph = onnx.load(str(path)).graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    out = []
    for node in graph.node:
        if node.op_type == "Conv":
            weight = values[node.input[1]]
            bias = values[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            out.append((weight, bias))
    return out


def load_onnx_weights(model: nn.Module, path: Path, sample: torch.Tensor) -> None:
    """Put the ONNX file's weights into `model` (same architecture); `sample` is a batch of real
    lines for the normalisation statistics. Raises ValueError when the shapes do not match."""
    ours, theirs = _convolutions(model), _onnx_convolutions(path)
    if len(ours) != len(theirs):
        raise ValueError(f"{path}: {len(theirs)} convolutions, the model has {len(ours)}")
    biases: list[torch.Tensor | None] = []
    with torch.no_grad():
        for (conv, norm), (weight, bias) in zip(ours, theirs):
            if tuple(conv.weight.shape) != weight.shape:
                raise ValueError(f"{path}: a convolution of shape {weight.shape}, "
                                 f"the model has {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(np.array(weight)))
            if norm is None:
                if bias is not None:
                    conv.bias.copy_(torch.from_numpy(np.array(bias)))
                biases.append(None)
                continue
            folded = torch.from_numpy(np.array(bias)) if bias is not None else torch.zeros(conv.out_channels)
            biases.append(folded)
            # Identity plus the folded bias, exactly, in eval mode.
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)
            norm.weight.fill_(1.0)
            norm.bias.copy_(folded)
    # What each norm sees on real lines (the model is exact now, so one pass gives every input).
    seen: dict[int, torch.Tensor] = {}
    hooks = [norm.register_forward_hook(lambda m, inputs, _out, i=i: seen.__setitem__(i, inputs[0].detach()))
             for i, (_conv, norm) in enumerate(ours) if norm is not None]
    model.eval()
    with torch.no_grad():
        model(sample)
    for hook in hooks:
        hook.remove()
    with torch.no_grad():
        for i, (_conv, norm) in enumerate(ours):
            if norm is None:
                continue
            z = seen[i].transpose(0, 1).reshape(norm.num_features, -1)
            mean, var = z.mean(dim=1), torch.clamp(z.var(dim=1), min=2 * norm.eps)
            # (z - mean) / sqrt(var) * sqrt(var) + mean + bias == z + bias, in eval mode.
            norm.running_mean.copy_(mean)
            norm.running_var.copy_(var - norm.eps)
            norm.weight.copy_(torch.sqrt(var))
            norm.bias.copy_(mean + biases[i])
