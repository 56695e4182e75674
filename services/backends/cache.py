"""One extractor per process, thread and backend kind.

The local engine loads its models and OCR data once, which is expensive: a worker keeps the one it
made for its whole life. The OCR engines are not safe to share between threads, and a child
forked from a process that had already made one must build its own instead of sharing native
handles, so the key is (process, thread, kind).
"""

from __future__ import annotations

import os
import threading

from services.backends.base import Extractor, ExtractorFactory
from services.core.config import Settings


class PerThreadExtractors:
    """An extractor factory that makes each (process, thread, kind)'s extractor once."""

    def __init__(self, make: ExtractorFactory) -> None:
        self.make = make
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, int, str], Extractor] = {}

    def __call__(self, kind: str, settings: Settings) -> Extractor:
        key = (os.getpid(), threading.get_ident(), kind)
        with self._lock:
            extractor = self._cache.get(key)
        if extractor is None:
            extractor = self.make(kind, settings)
            with self._lock:
                extractor = self._cache.setdefault(key, extractor)
        return extractor
