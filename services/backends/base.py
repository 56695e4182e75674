"""The one interface every extraction backend implements."""

from __future__ import annotations

from typing import Callable, Protocol, Sequence, runtime_checkable

from services.core.config import Settings
from services.domain.results import ExtractionOutcome


@runtime_checkable
class Extractor(Protocol):
    """Reads one certificate.

    One image: a single side, whichever it is (the seed's `vehicle_registration`). Two images:
    front then back (the seed's `vehicle_registrations`). Errors come back as the outcome's
    seed error code, never as exceptions, except for programming errors.
    """

    name: str

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome: ...


# (backend kind or `package.module:factory`, settings) -> extractor; `make_extractor` is one.
ExtractorFactory = Callable[[str, Settings], Extractor]
