"""Exports for team leads: one row per document, every field with its original value, the
correction, the confidence, and who reviewed it when.

Rows are streamed from the database in chunks and written as they come, so an export of 100 000
documents holds one chunk in memory, not the whole table.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import IO, Any, Iterator, Optional, Sequence

import xlsxwriter

from db.models import Document, FieldValue
from db.repositories import DocumentFilter
from db.session import Database, UnitOfWork
from services.schema import TWO_SIDED_FIELDS, Side

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
        out += [name, f"{name}_original", f"{name}_corrected", f"{name}_confidence", f"{name}_corrected_by"]
    return out


def neutralise(value: Any) -> Any:
    """Make a text cell inert in Excel / LibreOffice: a leading formula character is escaped with
    a quote, which spreadsheets show as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _iso(value: Optional[datetime]) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _record(document: Document, fields: Sequence[FieldValue], names: dict[int, str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "document_id": document.id,
        "status": document.status,
        "kind": document.kind,
        "source": document.source,
        "source_detail": document.source_detail,
        "province_code": document.province_code or "",
        "created_at": _iso(document.created_at),
        "reviewed_by": names.get(document.reviewed_by, "") if document.reviewed_by else "",
        "reviewed_at": _iso(document.reviewed_at),
        "decision_note": document.decision_note,
    }
    # The back carries every record field but the certificate number; it wins where both sides
    # have the field (review makes the two agree before approval).
    chosen: dict[str, FieldValue] = {}
    for f in sorted(fields, key=lambda f: f.side != Side.BACK.value):
        chosen.setdefault(f.name, f)
    for name in record_fields():
        f = chosen.get(name)
        row[name] = f.current_value if f else ""
        row[f"{name}_original"] = f.value if f else ""
        row[f"{name}_corrected"] = f.corrected_value if f and f.corrected_value is not None else ""
        row[f"{name}_confidence"] = round(f.confidence, 4) if f and f.confidence is not None else ""
        row[f"{name}_corrected_by"] = names.get(f.corrected_by, "") if f and f.corrected_by else ""
    return row


class ExportService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def count(self, flt: DocumentFilter) -> int:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.documents.count_documents(flt)

    def rows(self, flt: DocumentFilter, *, chunk: int = 1000) -> Iterator[dict[str, Any]]:
        with UnitOfWork(self.database, write=False) as uow:
            names = {u.id: u.username for u in uow.users.list()}
            for document, fields in uow.documents.iter_export(flt, chunk=chunk):
                yield _record(document, fields, names)

    def write(self, flt: DocumentFilter, fmt: str, out: IO[bytes]) -> int:
        """Write the export to a binary file object; returns the number of documents."""
        if fmt == "csv":
            return write_csv(self.rows(flt), out)
        if fmt == "json":
            return write_json(self.rows(flt), out)
        if fmt == "xlsx":
            return write_xlsx(self.rows(flt), out)
        raise ValueError(f"unknown export format {fmt!r}; choose one of {FORMATS}")


def write_csv(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    """UTF-8 with a byte-order mark, so that Excel shows Vietnamese letters."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        header = columns()
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow([neutralise(row[c]) for c in header])
            count += 1
        text.flush()
        return count
    finally:
        text.detach()


def write_json(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    """A JSON array written one document at a time."""
    out.write(b"[")
    count = 0
    for row in rows:
        out.write((b",\n" if count else b"\n") + json.dumps(row, ensure_ascii=False).encode("utf-8"))
        count += 1
    out.write(b"\n]\n")
    return count


def write_xlsx(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    # constant_memory writes each row to disk as it is finished.
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "in_memory": False})
    sheet = workbook.add_worksheet("documents")
    header = columns()
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, name in enumerate(header):
            value = row[name]
            if isinstance(value, str):
                sheet.write_string(count, col, neutralise(value))
            elif value == "" or value is None:
                continue
            else:
                sheet.write_number(count, col, value)
    workbook.close()
    return count
