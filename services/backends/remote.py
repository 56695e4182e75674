"""Backends that call a seed-compatible HTTP API: our own server elsewhere, or the cloud API.

Seed error codes come back as outcomes, as the `Extractor` protocol asks. A service that cannot
be reached (after the client's retries) raises `RemoteUnavailable` instead: that is no fact about
the image, so the caller (the task queue) should retry later rather than store a failed
extraction.
"""

from __future__ import annotations

from typing import Sequence

from services.backends.ocr_client import OcrApiError, OcrClient, OcrClientError
from services.domain.results import ExtractionOutcome


class RemoteUnavailable(RuntimeError):
    """The remote service did not give an answer (down, unreachable, 5xx, malformed reply)."""


class RemoteExtractor:
    name = "remote"

    def __init__(self, client: OcrClient) -> None:
        self.client = client

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        if not 1 <= len(images) <= 2:
            raise ValueError("a certificate has one or two images")
        try:
            response = self.client.extract(list(images), thumb=thumb)
        except OcrApiError as exc:
            return ExtractionOutcome(error=exc.code, detail=exc.detail, engine=self.name)
        except OcrClientError as exc:
            raise RemoteUnavailable(f"{self.name} backend at {self.client.base_url}: {exc}") from exc
        outcome = ExtractionOutcome.from_seed(response, engine=self.name)
        # A two-image call is two-sided even if a remote answered with separate side items.
        outcome.two_sided = outcome.two_sided or len(images) == 2
        return outcome


class ServerExtractor(RemoteExtractor):
    """Our own API server (`python -m services.api`), run elsewhere."""

    name = "server"


class CloudExtractor(RemoteExtractor):
    """The cloud API the seed describes."""

    name = "cloud"
