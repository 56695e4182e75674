"""The embedded default backend: the local engine, in this process."""

from __future__ import annotations

from typing import Sequence

from services.domain.results import ExtractionOutcome


class LocalExtractor:
    name = "local"

    def __init__(self, tessdata_dir: str | None = None, max_bytes: int | None = None,
                 max_pixels: int | None = None, recognizer_model: str | None = None,
                 time_budget: float | None = None) -> None:
        from pathlib import Path

        from services.extraction.engine import Engine, EngineConfig

        config = EngineConfig()
        if tessdata_dir:
            config.tessdata_dir = tessdata_dir
        if recognizer_model:
            config.recognizer_model = Path(recognizer_model)
        if time_budget:
            config.time_budget = time_budget
        if max_bytes:
            config.max_bytes = max_bytes
        if max_pixels:
            config.max_pixels = max_pixels
        self.engine = Engine(config)

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        return self.engine.extract(images, thumb=thumb)
