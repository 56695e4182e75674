"""Fields derived from another field: the address codes and official unit names from the
address, the issuing province's code from the issuing unit (which follow from which is the
schema's `DERIVED_FROM`)."""

from __future__ import annotations

from services.domain.normalize import normalize_address, normalize_issuer
from services.domain.schema import DERIVED_FROM


def derived_fields(side: str, name: str, value: str) -> dict[str, str]:
    """The derived fields to set when `name` on `side` takes `value` (only the back side carries
    codes in the seed schema; the caller ignores names its side lacks)."""
    if name not in DERIVED_FROM:
        return {}
    if not value.strip():
        return {derived: "" for derived in DERIVED_FROM[name]}
    result = normalize_address(value) if name == "address" else normalize_issuer(value)
    return {derived: result.derived.get(derived, "") for derived in DERIVED_FROM[name]}
