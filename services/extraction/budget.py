"""A time budget for reading one image: work that is not needed is not done, and when the
budget runs out the engine answers with what it has read so far.

The engine asks `spent(share)` before each optional step (another orientation, another reading
attempt, a re-read of a value): past `share` of the budget, the step is skipped. Skipping a
fallback early is how work that is not needed is not done; its cost shows in the field's own
evidence (fewer reads, less agreement). Only a step skipped once the whole budget is gone marks
the reading `cut_short`, and then every confidence says so: the reading stopped before it was
done, whatever its evidence looks like.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    seconds: float
    started: float = field(default_factory=time.monotonic)
    cut_short: bool = False  # some work was skipped for want of time

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def spent(self, share: float = 1.0) -> bool:
        """True once `share` of the budget has gone; past the whole budget, the reading is
        marked cut short too."""
        elapsed = self.elapsed
        if elapsed >= share * self.seconds:
            # An early stop at a share is by design; a skip for want of any time left is not.
            self.cut_short = self.cut_short or elapsed >= self.seconds
            return True
        return False


def unlimited() -> Budget:
    return Budget(float("inf"))
