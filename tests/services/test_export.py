"""Exports: the files' format is pinned byte for byte by golden files, on SQLite and PostgreSQL.

The golden files under tests/services/golden/export/ were written by the first export implementation (ORM
entities, one dict per document) from the documents `seed_cases` inserts; the streaming
implementation that replaced it must write the same bytes. After a deliberate format change,
rewrite them with `UPDATE_GOLDEN=1 pytest tests/services/test_export.py -k sqlite` and review the diff.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import pytest
from sqlalchemy import insert

from db.models import Batch, Document, FieldValue, User
from db.session import Database
from services.domain.records import DocumentFilter
from services.domain.schema import BACK_FIELDS, FRONT_FIELDS, Side
from services.review.export import ExportService, columns, write_csv

GOLDEN = Path(__file__).parent / "golden" / "export"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
T0 = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)
# xlsx members that hold the time the file was written, not its content.
XLSX_VOLATILE = {"docProps/core.xml"}

USERS = ((1, "rita"), (2, "-minh"), (3, "lan"))


def _document(document_id: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": document_id, "source": "upload", "source_detail": f"card_{document_id}.jpg",
        "status": "needs_review", "kind": "motorbike", "backend": "local", "enqueue_review": True,
        "version": 1, "min_confidence": None, "review_reasons": [], "province_code": "01", "error": "",
        "decision_note": "", "created_at": T0 + timedelta(days=document_id), "updated_at": T0,
        "reviewed_by": None, "reviewed_at": None, "batch_id": None,
    }
    row.update(values)
    return row


def _fields(document_id: int, side: str, values: dict[str, str], *, confidence: Optional[float] = 0.97,
            corrections: Optional[dict[str, tuple[str, int]]] = None) -> list[dict[str, Any]]:
    specs = FRONT_FIELDS if side == "front" else BACK_FIELDS
    corrections = corrections or {}
    rows = []
    for spec in specs:
        corrected, by = corrections.get(spec.name, (None, None))
        rows.append({
            "document_id": document_id, "side": side, "name": spec.name, "value": values.get(spec.name, ""),
            "confidence": confidence if spec.has_confidence else None, "box": None, "check_ok": True,
            "check_reason": "", "note": "", "corrected_value": corrected, "corrected_by": by,
            "corrected_at": T0 if by else None, "status": "corrected" if by else "extracted",
        })
    return rows


BACK = {
    "name": "NGUYỄN VĂN AN", "address": "Số 12, Ngõ 5 \"Láng Hạ\"\nĐống Đa, Hà Nội", "engine": "JF83E1234567",
    "chassis": "RLHJF8300KY123456", "brand": "HONDA", "model": "VISION", "color": "Đỏ Đen", "capacity": "110",
    "issued_at": "Phòng CSGT Công an TP Hà Nội", "issued_at_code": "01", "plate": "29B1-123.45",
    "last_issue_date": "08/01/2020", "first_issue_date": "08/01/2020", "address_town_code": "01",
}
FRONT = {"id": "012345", "name": "NGUYEN VAN AN (front)", "address": "front address", "plate": "29B1-123.45",
         "issued_at": "Hà Nội"}


def seed_cases(database: Database) -> None:
    """Documents that exercise every rule of the export row, with fixed ids and times."""
    documents = [
        # Both sides: the back wins for shared fields, the certificate number comes from the front;
        # corrections (one to an empty string), formula-like text, reviewer names.
        _document(1, status="approved", reviewed_by=1, reviewed_at=T0 + timedelta(days=2, hours=3),
                  decision_note="=1+1, \"quoted\"\nsecond line", source_detail="+84 card.jpg", batch_id=1),
        # Front only, not reviewed, no province; confidences that need rounding.
        _document(2, province_code=None, source="api", source_detail="@SUM(A1)"),
        # Failed extraction: no fields at all.
        _document(3, status="failed", kind="unknown", error="unreadable", source_detail="\tTAB.png",
                  created_at=datetime(2026, 5, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)),
        # Back only, rejected by a reviewer whose name starts with a formula character; a field the
        # record does not know is ignored.
        _document(4, status="rejected", reviewed_by=2, reviewed_at=T0 + timedelta(days=5),
                  decision_note="-photocopy", province_code="79", kind="car", batch_id=1),
        # Claimed, with formula-like values in the fields and no confidence anywhere.
        _document(5, status="in_review", source_detail="\rCR.png", province_code="79"),
    ]
    fields = (
        _fields(1, "front", FRONT, confidence=0.91)
        + _fields(1, "back", BACK, confidence=0.123456789,
                  corrections={"color": ("=HYPERLINK(\"x\")", 1), "plate": ("", 2), "name": ("NGUYỄN VĂN BÌNH", 3)})
        + _fields(2, "front", FRONT | {"name": "+84 912 345 678", "plate": "-5"}, confidence=0.99995)
        + _fields(4, "back", BACK | {"model": "@model", "capacity": "\t110"}, confidence=1.0)
        + [{"document_id": 4, "side": "back", "name": "not_a_record_field", "value": "x", "confidence": 0.5,
            "box": None, "check_ok": True, "check_reason": "", "note": "", "corrected_value": None,
            "corrected_by": None, "corrected_at": None, "status": "extracted"}]
        + _fields(5, "back", BACK | {"engine": "=cmd|' /C calc'!A0", "chassis": "\rX"}, confidence=None)
    )
    with database.engine.begin() as connection:
        connection.execute(insert(User.__table__), [
            {"id": i, "username": name, "password_hash": "x", "role": "reviewer", "active": True,
             "failed_logins": 0, "created_at": T0} for i, name in USERS])
        connection.execute(insert(Batch.__table__), [{"id": 1, "name": "b", "created_at": T0, "total": 2}])
        connection.execute(insert(Document.__table__), documents)
        connection.execute(insert(FieldValue.__table__), fields)


@pytest.fixture
def cases(database: Database) -> Database:
    seed_cases(database)
    return database


def export(database: Database, fmt: str, flt: DocumentFilter = DocumentFilter()) -> bytes:
    out = io.BytesIO()
    ExportService(database).write(flt, fmt, out)
    return out.getvalue()


def xlsx_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name not in XLSX_VOLATILE}


def _matches_golden(name: str, data: bytes) -> bool:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data == path.read_bytes()


def test_the_csv_is_byte_for_byte_the_golden_file(cases: Database) -> None:
    assert _matches_golden("cases.csv", export(cases, "csv"))


def test_the_json_is_byte_for_byte_the_golden_file(cases: Database) -> None:
    assert _matches_golden("cases.json", export(cases, "json"))


def test_the_xlsx_holds_the_golden_sheet(cases: Database) -> None:
    members = xlsx_members(export(cases, "xlsx"))
    assert _matches_golden("cases_sheet1.xml", members.pop("xl/worksheets/sheet1.xml"))
    # The rest is xlsxwriter's boilerplate (styles, content types): pinned by digest.
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())}
    assert _matches_golden("cases_xlsx_members.json", (json.dumps(digests, indent=1) + "\n").encode())


def test_the_format_rules_are_visible_in_the_rows(cases: Database) -> None:
    """What the golden files hold, said in words (so a reviewer of a golden diff knows the rules)."""
    data = export(cases, "csv")
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = {row["document_id"]: row for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert list(rows) == ["1", "2", "3", "4", "5"]
    first = rows["1"]
    assert first["name"] == "NGUYỄN VĂN BÌNH" and first["name_original"] == "NGUYỄN VĂN AN"  # back wins
    assert first["id"] == "012345"  # only the front has it
    assert first["plate"] == "" and first["plate_corrected"] == "" and first["plate_corrected_by"] == "'-minh"
    assert first["color"] == "'=HYPERLINK(\"x\")" and first["color_corrected_by"] == "rita"
    assert first["name_confidence"] == "0.1235" and first["address_town_code_confidence"] == ""
    assert first["decision_note"] == "'=1+1, \"quoted\"\nsecond line"
    assert first["created_at"] == "2026-03-02T08:30:15+00:00" and first["reviewed_by"] == "rita"
    assert rows["2"]["province_code"] == "" and rows["2"]["plate"] == "'-5" and rows["2"]["reviewed_at"] == ""
    assert rows["3"]["name"] == "" and rows["3"]["source_detail"] == "'\tTAB.png"
    assert rows["4"]["reviewed_by"] == "'-minh" and rows["4"]["capacity"] == "'\t110"
    assert rows["5"]["engine"] == "'=cmd|' /C calc'!A0" and rows["5"]["name_confidence"] == ""
    assert list(rows["1"]) == columns()


@pytest.mark.parametrize("flt, expected", [
    (DocumentFilter(statuses=("approved", "rejected")), ["1", "4"]),
    (DocumentFilter(province_codes=("79",)), ["4", "5"]),
    (DocumentFilter(reviewer_ids=(2,)), ["4"]),
    (DocumentFilter(kinds=("car", "unknown")), ["3", "4"]),
    (DocumentFilter(created_from=date(2026, 3, 3), created_to=date(2026, 3, 5)), ["2", "4"]),
    (DocumentFilter(batch_id=1), ["1", "4"]),
    (DocumentFilter(statuses=("extracting",)), []),
])
def test_filters_choose_the_documents(cases: Database, flt: DocumentFilter, expected: list[str]) -> None:
    data = export(cases, "csv", flt).decode("utf-8-sig")
    assert [row["document_id"] for row in csv.DictReader(io.StringIO(data))] == expected
    assert ExportService(cases).count(flt) == len(expected)


def test_the_batch_size_does_not_change_the_output(cases: Database) -> None:
    """Rows are fetched in batches; a batch boundary must not split or drop anything."""
    outputs = set()
    for batch in (1, 2, 3, 1000):
        out = io.BytesIO()
        write_csv(ExportService(cases).rows(DocumentFilter(), batch=batch), out)
        outputs.add(out.getvalue())
    assert outputs == {(GOLDEN / "cases.csv").read_bytes()}


def test_the_back_side_sorts_first() -> None:
    """The export reads a document's fields ordered by side and keeps the first of each name: the
    back must sort before every other side for its values to win."""
    assert min(side.value for side in Side) == Side.BACK.value


def test_times_are_written_in_the_configured_zone_with_their_offset(cases: Database) -> None:
    from zoneinfo import ZoneInfo

    out = io.BytesIO()
    ExportService(cases, ZoneInfo("Asia/Ho_Chi_Minh")).write(DocumentFilter(), "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    first = rows[0]
    assert first["created_at"] == "2026-03-02T15:30:15+07:00"
    assert first["reviewed_at"] == "2026-03-03T18:30:15+07:00"
    # Per field: the original, the correction, who made it and when.
    assert (first["name_original"], first["name_corrected"], first["name_corrected_by"], first["name_corrected_at"]) \
        == ("NGUYỄN VĂN AN", "NGUYỄN VĂN BÌNH", "lan", "2026-03-01T15:30:15+07:00")
    assert first["id_corrected_at"] == ""


def test_the_spreadsheet_has_a_frozen_header_a_filter_real_dates_and_sized_columns(cases: Database) -> None:
    import openpyxl
    from zoneinfo import ZoneInfo

    out = io.BytesIO()
    ExportService(cases, ZoneInfo("Asia/Ho_Chi_Minh")).write(DocumentFilter(), "xlsx", out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    header = [cell.value for cell in sheet[1]]
    created = sheet.cell(row=2, column=header.index("created_at") + 1).value
    assert created == datetime(2026, 3, 2, 15, 30, 15)  # a date cell, local time of the zone
    assert sheet.column_dimensions["E"].width >= 30  # source_detail: file names and URLs
