"""Extraction backends behind one interface: the local engine, a self-hosted server, the cloud.

`make_extractor(spec, settings)` is the one way every process (task workers, the API server's
worker pool) gets an extractor; `PerThreadExtractors` keeps one per process and thread.
"""

from __future__ import annotations

import importlib
from typing import Literal, Optional

from services.backends.base import Extractor
from services.core.config import Settings

BackendKind = Literal["local", "server", "cloud"]
BACKEND_KINDS: tuple[str, ...] = ("local", "server", "cloud")


def make_extractor(spec: str, settings: Settings) -> Extractor:
    """The extractor of a backend kind (`local`, `server`, `cloud`), configured from the settings,
    or a custom one named `package.module:factory` (the factory is called with the settings)."""
    if spec == "local":
        from services.backends.local import LocalExtractor

        return LocalExtractor(settings.tessdata_dir, settings.max_upload_bytes, settings.max_image_pixels,
                              settings.recognizer_model, settings.engine_time_budget)
    if spec in ("server", "cloud"):
        from services.backends.ocr_client import OcrClient
        from services.backends.remote import CloudExtractor, ServerExtractor

        if spec == "server":
            if not settings.ocr_server_url:
                raise ValueError("OCR_SERVER_URL is not set: the server backend needs the server's address")
            return ServerExtractor(OcrClient.for_server(settings))
        if not (settings.ocr_cloud_key and settings.ocr_cloud_secret):
            raise ValueError("OCR_CLOUD_KEY and OCR_CLOUD_SECRET are not set: the cloud backend needs a key")
        return CloudExtractor(OcrClient.for_cloud(settings))
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"unknown backend {spec!r}: use one of {', '.join(BACKEND_KINDS)} or package.module:factory")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(settings)


def preflight(kind: str, settings: Settings) -> Optional[str]:
    """Why the backend cannot work here (its model file missing or damaged, its settings
    incomplete), or None: asked once at start-up, so that a process does not start half-broken."""
    if kind != "local":
        try:
            make_extractor(kind, settings)
        except ValueError as exc:
            return str(exc)
        return None
    from pathlib import Path

    from services.extraction.recognizer import MODEL_FILE, LineRecognizer, ModelError

    try:
        LineRecognizer(Path(settings.recognizer_model) if settings.recognizer_model else MODEL_FILE)
    except ModelError as exc:
        return str(exc)
    return None


__all__ = ["BACKEND_KINDS", "BackendKind", "Extractor", "make_extractor", "preflight"]
