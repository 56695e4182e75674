"""Upload planning and submission: pairs by file name, zips unpacked safely, bad files refused
with a reason and nothing stored for them."""

from __future__ import annotations

import io
import zipfile

import pytest

from db.session import Database
from services.domain.people import Role
from services.domain.records import DocumentFilter
from services.domain.schema import ErrorCode, SeedError
from services.review.uploads import (
    BatchLimits,
    UploadedFile,
    UploadService,
    plan_batch,
    side_of,
    single,
    url_plan,
)
from tests.support.factories import intake, make_user, png_bytes, review_service

LIMITS = BatchLimits(max_file_bytes=1_000_000, max_files=20, max_total_bytes=5_000_000)


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name,expected", [
    ("car7_front.jpg", ("car7", "front")),
    ("CAR7-BACK.PNG", ("car7", "back")),
    ("dir/car 7 front.jpeg", ("car 7", "front")),
    ("front.jpg", ("front", "any")),
    ("scan_0001.jpg", ("scan_0001", "any")),
])
def test_the_side_comes_from_the_file_name(name: str, expected: tuple[str, str]) -> None:
    assert side_of(name) == expected


def test_front_and_back_files_pair_into_one_document_and_others_stand_alone() -> None:
    plan = plan_batch([UploadedFile("a_back.png", b"1"), UploadedFile("a_front.png", b"2"),
                       UploadedFile("b_front.png", b"3"), UploadedFile("loose.png", b"4")], LIMITS)
    assert [(d.name, [i.side for i in d.images]) for d in plan.documents] == [
        ("loose.png", ["any"]), ("a_front.png + a_back.png", ["front", "back"]), ("b_front.png", ["front"])]
    assert [i.load() for i in plan.documents[1].images] == [b"2", b"1"]  # front first
    assert plan.refused == []


def test_a_zip_of_pairs_is_unpacked_and_its_bad_members_are_refused_with_reasons() -> None:
    archive = zipped({"x/a_front.png": b"f", "x/a_back.png": b"b", "__MACOSX/._a_front.png": b"junk",
                      "inner.zip": b"PK", ".hidden": b"h"})
    plan = plan_batch([UploadedFile("cards.zip", archive)], LIMITS)
    assert [d.name for d in plan.documents] == ["a_front.png + a_back.png"]
    assert [(r.name, r.detail) for r in plan.refused] == [
        ("cards.zip: inner.zip", "archives inside an archive are not accepted")]


def test_a_zip_bomb_member_is_refused_without_inflating_more_than_the_cap() -> None:
    bomb = zipped({"bomb_front.png": b"\0" * 50_000_000})  # 50 MB of zeros, ~50 KB packed
    assert len(bomb) < 200_000
    plan = plan_batch([UploadedFile("bomb.zip", bomb)], LIMITS)
    assert [(r.name, r.detail) for r in plan.refused] == [
        ("bomb.zip: bomb_front.png", "the file is larger than 976 KB")]
    assert plan.documents == []


def test_a_zip_header_that_lies_about_the_size_is_caught_while_reading() -> None:
    archive = bytearray(zipped({"liar_front.png": b"\0" * 3_000_000}))
    # Rewrite the declared uncompressed size (central directory) to 10 bytes.
    central = archive.rfind(b"PK\x01\x02")
    archive[central + 24:central + 28] = (10).to_bytes(4, "little")
    plan = plan_batch([UploadedFile("liar.zip", bytes(archive))], LIMITS)
    assert len(plan.documents) == 1
    with pytest.raises((SeedError, zipfile.BadZipFile)):
        plan.documents[0].images[0].load()


def test_a_corrupt_zip_and_a_tar_are_refused() -> None:
    plan = plan_batch([UploadedFile("broken.zip", b"PK\x03\x04 not really"), UploadedFile("cards.tar", b"x")], LIMITS)
    assert plan.documents == []
    assert [r.name for r in plan.refused] == ["broken.zip", "cards.tar"]


def test_a_batch_stops_at_the_file_limit() -> None:
    files = [UploadedFile(f"card{i}.png", b"x") for i in range(25)]
    plan = plan_batch(files, LIMITS)
    assert len(plan.documents) == 20
    assert len(plan.refused) == 5 and "more than 20 files" in plan.refused[0].detail


def test_submitting_stores_good_documents_queues_them_and_refuses_bad_ones_storing_nothing(
        database: Database) -> None:
    rita = make_user(database, "rita", Role.REVIEWER)
    queued: list[int] = []
    service = UploadService(intake(database), LIMITS, lambda: "local")
    plan = plan_batch([UploadedFile("a_front.png", png_bytes("f")), UploadedFile("a_back.png", png_bytes("b")),
                       UploadedFile("notes_front.jpg", b"%PDF-1.4 not an image")], LIMITS)
    report = service.submit(plan, rita, source="batch", enqueue=queued.append)
    review = review_service(database)
    assert [name for _, name in report.documents] == ["a_front.png + a_back.png"]
    assert queued == [report.documents[0][0]]
    assert [(r.name, r.detail) for r in report.refused] == [("notes_front.jpg",
                                                            "not a JPEG, PNG, WebP, BMP or TIFF image")]
    assert review.count(DocumentFilter()) == 1
    progress = service.progress(report)
    assert (progress.total, progress.done) == (1, 0)


def test_a_url_that_cannot_be_fetched_is_refused_and_nothing_is_planned() -> None:
    def refuse(url: str) -> bytes:
        raise SeedError(ErrorCode.URL_UNAVAILABLE, "the address is private")

    plan = url_plan([("front", "http://10.0.0.1/a.jpg")], refuse)
    assert plan.documents == [] and plan.refused[0].detail == "the address is private"


def test_url_images_become_one_document_named_after_the_urls() -> None:
    plan = url_plan([("front", "https://example.test/a.jpg?x=1"), ("back", "https://example.test/b.jpg")],
                    lambda url: url.encode())
    (document,) = plan.documents
    assert [(i.side, i.filename) for i in document.images] == [("front", "a.jpg"), ("back", "b.jpg")]


def test_a_single_upload_keeps_the_chosen_sides() -> None:
    plan = single([("back", UploadedFile("photo.jpg", b"x"))])
    assert [(i.side, i.load()) for i in plan.documents[0].images] == [("back", b"x")]
