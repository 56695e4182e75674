"""Extraction backends behind one interface: the local engine, a self-hosted server, the cloud.

`make_extractor(kind, settings)` is how the app and the API server choose one.
"""

from __future__ import annotations

from typing import Literal

from services.backends.base import Extractor
from services.config import Settings

BackendKind = Literal["local", "server", "cloud"]
BACKEND_KINDS: tuple[str, ...] = ("local", "server", "cloud")


def make_extractor(kind: str, settings: Settings) -> Extractor:
    """The extractor of a backend kind, configured from the settings."""
    if kind == "local":
        from services.backends.local import LocalExtractor

        return LocalExtractor(settings.tessdata_dir, settings.max_upload_bytes, settings.max_image_pixels)
    if kind in ("server", "cloud"):
        from services.backends.remote import CloudExtractor, ServerExtractor
        from services.ocr_client import OcrClient

        if kind == "server":
            if not settings.ocr_server_url:
                raise ValueError("OCR_SERVER_URL is not set: the server backend needs the server's address")
            return ServerExtractor(OcrClient.for_server(settings))
        if not (settings.ocr_cloud_key and settings.ocr_cloud_secret):
            raise ValueError("OCR_CLOUD_KEY and OCR_CLOUD_SECRET are not set: the cloud backend needs a key")
        return CloudExtractor(OcrClient.for_cloud(settings))
    raise ValueError(f"unknown backend {kind!r}: use one of {', '.join(BACKEND_KINDS)}")


__all__ = ["BACKEND_KINDS", "BackendKind", "Extractor", "make_extractor"]
