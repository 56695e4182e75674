"""Which fields a certificate carries, by the kind of vehicle it registers.

A motorbike's card has no seat, load or year rows; a truck's no standing places or berths; a
bus's no pay load. Fields a kind does not carry are "not applicable": empty, never failing a
check, folded away on the review screen. A car (ô tô of unknown body) may carry any of them.
"""

from __future__ import annotations

from typing import Mapping

from services.domain.schema import VehicleKind

# Fields printed only on a car's (ô tô) card.
CAR_ONLY: tuple[str, ...] = ("pay_load", "year_of_manufacture", "lie", "sit", "stand")

NOT_APPLICABLE: Mapping[VehicleKind, frozenset[str]] = {
    VehicleKind.MOTORBIKE: frozenset(CAR_ONLY),
    VehicleKind.TRUCK: frozenset({"lie", "stand"}),
    VehicleKind.BUS: frozenset({"pay_load"}),
    VehicleKind.CAR: frozenset(),
    VehicleKind.UNKNOWN: frozenset(),
}
REVIEW_KINDS: tuple[VehicleKind, ...] = (VehicleKind.MOTORBIKE, VehicleKind.CAR, VehicleKind.TRUCK, VehicleKind.BUS,
                                         VehicleKind.UNKNOWN)


def kind_of(value: str) -> VehicleKind:
    try:
        return VehicleKind(value)
    except ValueError:
        return VehicleKind.UNKNOWN


def applies(field_name: str, kind: str | VehicleKind) -> bool:
    """Whether a certificate of this kind carries the field."""
    return field_name not in NOT_APPLICABLE[kind_of(kind) if isinstance(kind, str) else kind]
