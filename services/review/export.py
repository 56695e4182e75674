"""Exports for team leads: one row per document, every field with its original value, the
correction, the confidence, who corrected it and when, and who reviewed the document when.
Times are in the configured time zone (`APP_TIMEZONE`), with their offset; the spreadsheet has
real date cells, a frozen header with a filter, and columns sized for their content.

Rows are streamed from the database (DocumentRepository.iter_export: plain rows, a batch at a time)
and written as they come, so an export of 100 000 documents holds a batch in memory, not the table.
The CSV path is the one with a time target (100 000 documents in under 15 s): the row builder and
the formula neutralisation below are written for that, and tests/services/test_export.py pins every format
byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone, tzinfo
from operator import itemgetter
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Sequence

import xlsxwriter
from sqlalchemy import Row

from db.session import Database, UnitOfWork
from services.domain.records import DocumentFilter
from services.domain.schema import TWO_SIDED_FIELDS

FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
DOCUMENT_COLUMNS = (
    "document_id", "status", "kind", "source", "source_detail", "province_code", "created_at",
    "reviewed_by", "reviewed_at", "decision_note",
)
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record_fields() -> tuple[str, ...]:
    return tuple(spec.name for spec in TWO_SIDED_FIELDS)


def columns() -> list[str]:
    out = list(DOCUMENT_COLUMNS)
    for name in record_fields():
        out += [name, f"{name}_original", f"{name}_corrected", f"{name}_confidence", f"{name}_corrected_by",
                f"{name}_corrected_at"]
    return out


DATE_COLUMNS = frozenset(["created_at", "reviewed_at"] + [f"{name}_corrected_at" for name in record_fields()])
TimeCell = Callable[[Optional[datetime]], Any]


def neutralise(value: Any) -> Any:
    """Make a text cell inert in Excel / LibreOffice: a leading formula character is escaped with
    a quote, which spreadsheets show as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def iso_in(zone: tzinfo) -> TimeCell:
    """A time as ISO 8601 in `zone`, with its offset: `2026-03-01T15:30:15+07:00`."""
    def cell(value: Optional[datetime]) -> str:
        return value.astimezone(zone).isoformat(timespec="seconds") if value else ""

    return cell


_RECORD_FIELDS = record_fields()
_NO_FIELD = ("", "", "", "", "", "")
_FIELD_NAME = itemgetter(1)  # EXPORT_FIELD_COLUMNS: document_id, name, value, ...


def _record(document: Row[Any], fields: Sequence[Row[Any]], names: dict[int, str], time: TimeCell) -> list[Any]:
    """One export row, its cells in `columns()` order; text is not yet neutralised.

    The back carries every record field but the certificate number, and wins where both sides
    have one (review makes the two agree before approval): `fields` come ordered by side, and
    "back" sorts before "front" (tests/services/test_export.py checks that), so the first of a name wins.

    This runs for every document of an export (100 000 for the scale target), hence rows
    unpacked by position, the pick done by dict() from the reversed list (a later entry
    overwrites an earlier one), and no dict per row.
    """
    (document_id, status, kind, source, source_detail, province_code, created_at, reviewed_by, reviewed_at,
     decision_note) = document
    row: list[Any] = [
        document_id, status, kind, source, source_detail, province_code or "", time(created_at),
        names.get(reviewed_by, "") if reviewed_by else "", time(reviewed_at), decision_note,
    ]
    reverse = fields[::-1]
    chosen = dict(zip(map(_FIELD_NAME, reverse), reverse))
    for name in _RECORD_FIELDS:
        field = chosen.get(name)
        if field is None:
            row += _NO_FIELD
            continue
        _document_id, _name, value, corrected, confidence, corrected_by, corrected_at = field
        row += (
            value if corrected is None else corrected,
            value,
            "" if corrected is None else corrected,
            "" if confidence is None else round(confidence, 4),
            names.get(corrected_by, "") if corrected_by else "",
            time(corrected_at) if corrected_by else "",
        )
    return row


class ExportService:
    def __init__(self, database: Database, zone: tzinfo = timezone.utc) -> None:
        self.database = database
        self.zone = zone

    def count(self, flt: DocumentFilter) -> int:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.documents.count_documents(flt)

    def rows(self, flt: DocumentFilter, *, batch: int = 2000, time: Optional[TimeCell] = None
             ) -> Iterator[list[Any]]:
        """The export's rows, cells in `columns()` order, streamed from one read transaction;
        times as `time` makes them (ISO 8601 in the export's zone by default)."""
        time = time or iso_in(self.zone)
        with UnitOfWork(self.database, write=False) as uow:
            names = {u.id: u.username for u in uow.users.list()}
            for document, fields in uow.documents.iter_export(flt, batch=batch):
                yield _record(document, fields, names, time)

    def write(self, flt: DocumentFilter, fmt: str, out: IO[bytes]) -> int:
        """Write the export to a binary file object; returns the number of documents."""
        if fmt == "csv":
            return write_csv(self.rows(flt), out)
        if fmt == "json":
            return write_json(self.rows(flt), out)
        if fmt == "xlsx":
            zone = self.zone
            # Spreadsheets hold no time zones: local times of the export's zone, as real dates.
            return write_xlsx(self.rows(flt, time=lambda v: v.astimezone(zone).replace(tzinfo=None, microsecond=0) if v else ""), out)
        raise ValueError(f"unknown export format {fmt!r}; choose one of {FORMATS}")


def write_csv(rows: Iterable[list[Any]], out: IO[bytes]) -> int:
    """UTF-8 with a byte-order mark, so that Excel shows Vietnamese letters."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    counted = _Counted(rows)
    try:
        writer = csv.writer(text)
        writer.writerow(columns())
        writer.writerows(map(_neutralise_row, counted))
        text.flush()
        return counted.count
    finally:
        text.detach()


# A text cell that starts with a formula character, in a row's text cells each preceded by NUL
# (a pattern that starts with a literal character is searched for fast).
_FORMULA_CELL = re.compile("\x00[" + re.escape("".join(_FORMULA_STARTS)) + "]")


def _neutralise_row(row: list[Any]) -> list[Any]:
    """`neutralise` applied to every cell. Most rows have nothing to neutralise, and one search
    over the row's text says so in a third of the time of a test of each of its 135 cells (a
    second per 100 000 documents); a false alarm (a NUL inside a value) only costs the slow way."""
    if _FORMULA_CELL.search("\x00" + "\x00".join([cell for cell in row if cell.__class__ is str])) is None:
        return row
    return [neutralise(cell) for cell in row]


def write_json(rows: Iterable[list[Any]], out: IO[bytes]) -> int:
    """A JSON array written one document at a time, each an object keyed by column."""
    header = columns()
    out.write(b"[")
    count = 0
    for row in rows:
        out.write((b",\n" if count else b"\n") + json.dumps(dict(zip(header, row)), ensure_ascii=False).encode("utf-8"))
        count += 1
    out.write(b"\n]\n")
    return count


def _width(name: str) -> float:
    """A column's width in characters, from what it holds."""
    if name in DATE_COLUMNS:
        return 20
    if name.endswith(("_confidence", "_code")) or name in ("document_id", "status", "kind", "source"):
        return max(10, min(len(name) + 2, 16))
    if name in ("address", "address_original", "address_corrected", "issued_at", "source_detail", "decision_note"):
        return 40
    return max(12, min(len(name) + 2, 24))


def write_xlsx(rows: Iterable[list[Any]], out: IO[bytes]) -> int:
    # constant_memory writes each row to disk as it is finished.
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "in_memory": False})
    sheet = workbook.add_worksheet("documents")
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    header = columns()
    dates = {i for i, name in enumerate(header) if name in DATE_COLUMNS}
    for col, name in enumerate(header):
        sheet.set_column(col, col, _width(name), when if col in dates else None)
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, header, bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, str):
                if value:
                    sheet.write_string(count, col, neutralise(value))
            elif value is None:
                continue
            elif isinstance(value, datetime):
                sheet.write_datetime(count, col, value, when)
            else:
                sheet.write_number(count, col, value)
    sheet.autofilter(0, 0, max(count, 1), len(header) - 1)
    workbook.close()
    return count


class _Counted:
    """Passes items through, counting them (csv.writer.writerows does not say how many)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self.items:
            self.count += 1
            yield item
