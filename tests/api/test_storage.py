"""What the server stores: every request that reaches the engine is a document with its images
and one extraction, in the review queue unless opted out; a refused input writes nothing."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Iterator

import pytest
import requests

from db.models import Document
from db.session import Database, UnitOfWork
from services.accounts.api_keys import ApiKeyService
from services.domain.records import DocumentStatus
from tests.support.api_server import (
    NO_CONTENT_WIDTH,
    ImageServer,
    LiveServer,
    answer,
    b64,
    count_rows,
    live_server,
    png,
    seed_post,
    server_settings,
)
from tests.support.factories import BACK_VALUES, plate_checker

ONE = "vehicle_registration"
TWO = "vehicle_registrations"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(server_settings(tmp_path_factory.mktemp("api-storage")), checker=plate_checker) as live:
        yield live


@pytest.fixture
def database(server: LiveServer) -> Iterator[Database]:
    database = server.database()
    yield database
    database.dispose()


def document(database: Database, response: requests.Response) -> SimpleNamespace:
    """The stored document of an answer, copied out of its session (which rolls back on exit)."""
    document_id = int(response.headers["X-Document-Id"])
    with UnitOfWork(database, write=False) as uow:
        found: Document | None = uow.documents.get_full(document_id)
        assert found is not None
        return SimpleNamespace(
            source=found.source, status=found.status, enqueue_review=found.enqueue_review,
            api_key_id=found.api_key_id, source_detail=found.source_detail,
            images=[SimpleNamespace(data=i.data, filename=i.filename, side=i.side) for i in found.images],
            fields=[SimpleNamespace(name=f.name, side=f.side, value=f.value) for f in found.fields],
            extractions=[SimpleNamespace(error_code=e.error_code, engine=e.engine) for e in found.extractions],
        )


def test_a_request_is_stored_as_a_document_with_its_image_and_one_extraction(server: LiveServer,
                                                                              database: Database) -> None:
    keys = ApiKeyService(database)
    created = keys.create("storage-test")
    image = png(text="stored")
    before = count_rows(database)
    response = seed_post(server, ONE, "file", files={"img": ("front-photo.png", image)},
                         auth=(created.key_id, created.secret))
    assert answer(response)["errorCode"] == "0"
    after = count_rows(database)
    assert (after["documents"], after["images"], after["extractions"]) == (
        before["documents"] + 1, before["images"] + 1, before["extractions"] + 1)

    stored = document(database, response)
    assert stored.source == "api"
    assert stored.status == DocumentStatus.NEEDS_REVIEW.value
    assert stored.enqueue_review is True
    assert stored.api_key_id is not None
    assert "front-photo.png" in stored.source_detail
    [row] = stored.images
    assert row.data == image and row.filename == "front-photo.png" and row.side == "any"
    [extraction] = stored.extractions
    assert extraction.error_code == 0 and extraction.engine == "scripted"
    plate = next(f for f in stored.fields if f.name == "plate")
    assert plate.value == BACK_VALUES["plate"]
    assert [k.request_count for k in keys.list() if k.key_id == created.key_id] == [1]


def test_a_two_sided_request_stores_front_and_back(server: LiveServer, database: Database) -> None:
    response = seed_post(server, TWO, "base64", json={"img1": b64(png(text="F")), "img2": b64(png(text="B"))})
    stored = document(database, response)
    assert sorted(i.side for i in stored.images) == ["back", "front"]
    assert {f.side for f in stored.fields} == {"front", "back"}
    assert len(stored.extractions) == 1


def test_a_url_request_records_the_url_as_its_source(server: LiveServer, database: Database) -> None:
    with ImageServer() as images:
        url = images.image("/card.png", png())
        response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img={url}&format_type=url", auth=server.auth,
                                timeout=30)
    assert document(database, response).source_detail == url


def test_an_engine_failure_is_stored_as_a_failed_document_outside_the_queue(server: LiveServer,
                                                                             database: Database) -> None:
    response = seed_post(server, ONE, "file", files={"img": png(NO_CONTENT_WIDTH, 90)})
    stored = document(database, response)
    assert stored.status == DocumentStatus.FAILED.value
    assert stored.extractions[0].error_code == 1


def test_review_false_stores_the_request_outside_the_review_queue(server: LiveServer, database: Database) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}?format_type=file&review=false", auth=server.auth,
                             files={"img": png()}, timeout=30)
    assert answer(response)["errorCode"] == "0"
    stored = document(database, response)
    assert stored.enqueue_review is False
    assert len(stored.extractions) == 1


@pytest.mark.parametrize("call", ["bad file", "bad base64", "missing url", "wrong key", "bad format_type"])
def test_a_refused_input_writes_nothing(server: LiveServer, database: Database, call: str) -> None:
    before = count_rows(database)
    if call == "bad file":
        response = seed_post(server, ONE, "file", files={"img": b"GIF89a not really"})
    elif call == "bad base64":
        response = seed_post(server, TWO, "base64", json={"img1": b64(png()), "img2": "%%%"})
    elif call == "missing url":
        response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img=http://127.0.0.1:9/x.png&format_type=url",
                                auth=server.auth, timeout=30)
    elif call == "wrong key":
        response = seed_post(server, ONE, "file", files={"img": png()}, auth=("test-key", "nope"))
    else:
        response = seed_post(server, ONE, "gif", files={"img": png()})
    assert answer(response)["errorCode"] != "0"
    assert "X-Document-Id" not in response.headers
    assert count_rows(database) == before


def test_the_server_setting_keeps_every_api_request_out_of_the_review_queue(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = replace(server_settings(tmp_path_factory.mktemp("api-no-review")), api_enqueue_review=False,
                       api_workers=1)
    with live_server(settings, checker=plate_checker) as live:
        response = requests.post(f"{live.url}/api/v2/ocr/{ONE}?format_type=file&review=true", auth=live.auth,
                                 files={"img": png()}, timeout=30)
        database = live.database()
        try:
            assert document(database, response).enqueue_review is False
        finally:
            database.dispose()


def test_the_server_migrates_a_new_database_at_start(server: LiveServer, database: Database) -> None:
    from db.migrate import pending_changes

    assert pending_changes(server.settings.database_url) == []


def test_the_extraction_start_is_recorded_so_the_task_reaper_can_tell_lost_from_running(
        server: LiveServer, database: Database) -> None:
    from db.repositories.tasks import STARTED

    response = seed_post(server, ONE, "file", files={"img": png()})
    document_id = int(response.headers["X-Document-Id"])
    with UnitOfWork(database, write=False) as uow:
        actions = [(e.action, e.actor) for e in uow.audit.for_document(document_id)]
        assert any(action == STARTED and actor.startswith("api:") for action, actor in actions)
        from datetime import datetime, timedelta, timezone

        later = datetime.now(timezone.utc) + timedelta(hours=1)
        # Finished: neither a lost nor a never-started extraction, however late the reaper looks.
        assert document_id not in [s.document_id for s in uow.tasks.stalled(later)]
        assert document_id not in uow.tasks.never_started(later)
