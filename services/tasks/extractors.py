"""One extractor per worker process and backend kind.

The local engine loads its models and OCR data once, which is expensive: a worker keeps the one it
made for its whole life. The cache is keyed by process id as well, so a child forked from a
process that had already made one builds its own instead of sharing native handles.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Optional

from services.backends.base import Extractor
from services.config import Settings

ExtractorFactory = Callable[[str, Settings], Extractor]

_lock = threading.Lock()
_cache: dict[tuple[int, int, str], Extractor] = {}


def default_factory(kind: str, settings: Settings) -> Extractor:
    """The backends' own factory when present; the local engine otherwise."""
    try:
        from services.backends import make_extractor  # type: ignore[attr-defined]
    except ImportError:
        make_extractor = None
    if make_extractor is not None:
        return make_extractor(kind, settings)
    if kind != "local":
        raise RuntimeError(f"the {kind!r} backend is not available in this installation")
    from services.backends.local import LocalExtractor

    return LocalExtractor(settings.tessdata_dir, settings.max_upload_bytes, settings.max_image_pixels)


# Replaced by tests (and by anyone embedding the worker) to run another extractor.
factory: ExtractorFactory = default_factory


def get_extractor(kind: str, settings: Settings, make: Optional[ExtractorFactory] = None) -> Extractor:
    # One per thread too: the OCR engines are not safe to share between threads.
    key = (os.getpid(), threading.get_ident(), kind)
    with _lock:
        extractor = _cache.get(key)
    if extractor is None:
        extractor = (make or factory)(kind, settings)
        with _lock:
            _cache[key] = extractor
    return extractor


def clear() -> None:
    with _lock:
        _cache.clear()
