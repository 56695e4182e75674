"""Decoding the recogniser's per-frame posteriors (CTC), within a field's own grammar.

- `greedy`: the best class per frame, repeats merged, blanks dropped; with `allowed`, only those
  characters compete (digits for a date, VIN characters for a chassis): a constraint on the
  posteriors, not a repair of the text afterwards. Each character keeps its probability, its
  margin over the runner-up and the runners-up themselves, and where it lies (frames).
- `score`: the log-probability the posteriors give a whole text (the CTC forward sum): how a
  lexicon entry (a brand, a colour, a unit's name) is weighed against what was read.
- `beam`: the best text whose every prefix a grammar accepts (a plate's pattern, a date's), by
  a prefix beam search over the posteriors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from services.extraction.charset import ALPHABET, BLANK, INDEX

NEG = -1e30


@dataclass(frozen=True)
class Emission:
    char: str
    start: int  # first frame
    end: int  # last frame
    prob: float  # the character's probability at its best frame
    margin: float  # minus the best rival character's there (blank excluded)
    alternatives: tuple[tuple[str, float], ...]


def mask(allowed: str) -> Optional[np.ndarray]:
    """Classes a field may produce (the blank and the space always), or None for all."""
    if not allowed:
        return None
    keep = np.zeros(len(ALPHABET) + 1, bool)
    keep[BLANK] = True
    keep[INDEX[" "]] = True
    for ch in allowed:
        if ch in INDEX:
            keep[INDEX[ch]] = True
    return keep


def greedy(logp: np.ndarray, allowed: str = "") -> list[Emission]:
    probs = np.exp(logp)
    keep = mask(allowed)
    if keep is not None:
        probs = np.where(keep[None, :], probs, 0.0)
    best = probs.argmax(axis=1)
    emissions: list[Emission] = []
    t, frames = 0, len(best)
    while t < frames:
        c = int(best[t])
        end = t
        while end + 1 < frames and best[end + 1] == c:
            end += 1
        if c != BLANK:
            emissions.append(_emission(probs, c, t, end))
        t = end + 1
    return emissions


def score(logp: np.ndarray, text: str) -> float:
    """log P(text | posteriors): the CTC forward algorithm over the extended label sequence."""
    labels = [INDEX[ch] for ch in text if ch in INDEX]
    if not labels:
        return float(logp[:, BLANK].sum())
    extended = [BLANK]
    for label in labels:
        extended += [label, BLANK]
    S, T = len(extended), logp.shape[0]
    if T < len(labels):
        return NEG
    ext = np.array(extended)
    emit = logp[:, ext]  # (T, S)
    # A label may skip the blank before it unless it repeats the one before.
    skip = np.zeros(S, bool)
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    alpha = np.full(S, NEG)
    alpha[0] = emit[0, 0]
    if S > 1:
        alpha[1] = emit[0, 1]
    for t in range(1, T):
        stay = alpha
        step = np.concatenate([[NEG], alpha[:-1]])
        jump = np.where(skip, np.concatenate([[NEG, NEG], alpha[:-2]]), NEG)
        alpha = np.logaddexp(np.logaddexp(stay, step), jump) + emit[t]
    return float(np.logaddexp(alpha[-1], alpha[-2] if S > 1 else NEG))


def best_of(logp: np.ndarray, candidates: Sequence[str]) -> tuple[str, float]:
    """The candidate the posteriors like best, and its log-probability per frame."""
    scored = [(score(logp, c), c) for c in candidates if c]
    if not scored:
        return "", NEG
    value, text = max(scored)
    return text, value / max(1, logp.shape[0])


def beam(logp: np.ndarray, accepts_prefix: Callable[[str], bool], complete: Callable[[str], bool], *,
         width: int = 8, per_frame: int = 6) -> Optional[tuple[str, float]]:
    """The most probable complete text whose prefixes the grammar accepts (prefix beam search:
    each prefix keeps the probability of ending in a blank and of ending in its last char)."""
    T = logp.shape[0]
    beams: dict[str, tuple[float, float]] = {"": (0.0, NEG)}  # prefix -> (log p blank-ending, non-blank)
    for t in range(T):
        row = logp[t]
        top = [int(c) for c in np.argsort(row)[::-1][:per_frame] if c != BLANK]
        following: dict[str, list[float]] = {}

        def add(prefix: str, blank: float, nonblank: float) -> None:
            entry = following.setdefault(prefix, [NEG, NEG])
            entry[0] = np.logaddexp(entry[0], blank)
            entry[1] = np.logaddexp(entry[1], nonblank)

        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            add(prefix, total + row[BLANK], NEG)
            if prefix:
                last = INDEX[prefix[-1]]
                add(prefix, NEG, pnb + row[last])  # the last character held
            for c in top:
                char = ALPHABET[c - 1]
                extended = prefix + char
                if not accepts_prefix(extended):
                    continue
                if prefix and c == INDEX[prefix[-1]]:
                    add(extended, NEG, pb + row[c])  # a repeat needs a blank between
                else:
                    add(extended, NEG, total + row[c])
        ranked = sorted(following.items(), key=lambda item: -np.logaddexp(*item[1]))[:width]
        beams = {prefix: (values[0], values[1]) for prefix, values in ranked}
    finished = [(float(np.logaddexp(*values)), prefix) for prefix, values in beams.items() if complete(prefix)]
    if not finished:
        return None
    value, text = max(finished)
    return text, value / max(1, T)


def align_text(logp: np.ndarray, text: str) -> Optional[list[Emission]]:
    """Where each character of `text` lies in the posteriors (the best CTC path that spells it,
    by Viterbi), with its probability and margin there: a grammar's decoding gets the same kind
    of characters as `greedy` does."""
    labels = [INDEX[ch] for ch in text if ch in INDEX]
    if not labels or logp.shape[0] < len(labels):
        return None
    extended = [BLANK]
    for label in labels:
        extended += [label, BLANK]
    ext = np.array(extended)
    S, T = len(ext), logp.shape[0]
    emit = logp[:, ext]
    skip = np.zeros(S, bool)
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    score = np.full((T, S), NEG)
    back = np.zeros((T, S), np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    score[0, 0] = emit[0, 0]
    score[0, 1] = emit[0, 1]
    for t in range(1, T):
        previous = score[t - 1]
        options = np.stack([previous,
                            np.concatenate([[NEG], previous[:-1]]),
                            np.where(skip, np.concatenate([[NEG, NEG], previous[:-2]]), NEG)])
        back[t] = options.argmax(axis=0)
        score[t] = options.max(axis=0) + emit[t]
    s = S - 1 if score[-1, S - 1] >= score[-1, S - 2] else S - 2
    if score[-1, s] <= NEG / 2:
        return None
    path = np.zeros(T, int)
    for t in range(T - 1, -1, -1):
        path[t] = s
        s -= int(back[t, s])
    probs = np.exp(logp)
    emissions: list[Emission] = []
    for k, label in enumerate(labels):
        frames = np.nonzero(path == 2 * k + 1)[0]
        emissions.append(_emission(probs, label, int(frames[0]), int(frames[-1])))
    return emissions


def _emission(probs: np.ndarray, label: int, start: int, end: int) -> Emission:
    """Class `label` emitted over frames start..end: its probability at its peak frame, its margin
    over the best rival there and the rivals worth knowing."""
    peak = start + int(np.argmax(probs[start:end + 1, label]))
    row = probs[peak].copy()
    row[BLANK] = 0.0
    p = float(row[label])
    row[label] = 0.0
    rivals = np.argsort(row)[::-1][:3]
    alternatives = tuple((ALPHABET[r - 1], round(float(row[r]), 4)) for r in rivals if row[r] > 0.01)
    return Emission(ALPHABET[label - 1], start, end, p, p - float(row[rivals[0]]), alternatives)
