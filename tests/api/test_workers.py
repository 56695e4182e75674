"""Extraction runs in worker processes: a slow image never blocks other requests, an extraction
past its time limit is stopped with a clear answer, and a crashing extractor leaves the server
serving and no document stuck."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Iterator

import pytest
import requests

from db.session import UnitOfWork
from services.domain.records import DocumentStatus
from tests.support.api_server import (
    CRASH_WIDTH,
    HANG_WIDTH,
    SLOW_SECONDS,
    SLOW_WIDTH,
    LiveServer,
    answer,
    live_server,
    png,
    seed_post,
    server_settings,
)
from tests.support.factories import plate_checker

ONE = "vehicle_registration"
TIME_LIMIT = 4.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = replace(server_settings(tmp_path_factory.mktemp("api-workers")), api_workers=2,
                       api_extract_timeout=TIME_LIMIT)
    with live_server(settings, checker=plate_checker) as live:
        yield live


def timed_post(server: LiveServer, image: bytes) -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = seed_post(server, ONE, "file", files={"img": image})
    return time.monotonic() - started, response


def test_a_fast_request_is_answered_while_a_slow_image_is_being_read(server: LiveServer) -> None:
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(timed_post, server, png(SLOW_WIDTH, 100))
        time.sleep(0.3)  # the slow one is in its worker
        fast_seconds, fast = timed_post(server, png())
        slow_seconds, slow_response = slow.result()
    assert answer(fast)["errorCode"] == "0" and answer(slow_response)["errorCode"] == "0"
    assert slow_seconds >= SLOW_SECONDS
    assert fast_seconds < SLOW_SECONDS / 2


def test_the_event_loop_answers_while_every_worker_is_busy(server: LiveServer) -> None:
    with ThreadPoolExecutor(2) as pool:
        busy = [pool.submit(timed_post, server, png(SLOW_WIDTH, 100)) for _ in range(2)]
        time.sleep(0.3)
        started = time.monotonic()
        health = requests.get(f"{server.url}/healthz", timeout=10)
        refused = seed_post(server, ONE, "nope", files={"img": png()})
        elapsed = time.monotonic() - started
        results = [future.result()[1] for future in busy]
    assert health.status_code == 200 and answer(refused)["errorCode"] == "6"
    assert elapsed < SLOW_SECONDS / 2
    assert all(answer(r)["errorCode"] == "0" for r in results)


def test_an_extraction_past_the_time_limit_gets_code_3_and_its_worker_is_replaced(server: LiveServer) -> None:
    seconds, response = timed_post(server, png(HANG_WIDTH, 100))
    body = answer(response)
    assert body["errorCode"] == "3" and "time limit" in body["errorMessage"]
    assert TIME_LIMIT <= seconds < TIME_LIMIT + 3
    document_id = int(response.headers["X-Document-Id"])
    database = server.database()
    try:
        with UnitOfWork(database, write=False) as uow:
            assert uow.documents.get(document_id).status == DocumentStatus.FAILED.value
    finally:
        database.dispose()
    deadline = time.monotonic() + 60
    while requests.get(f"{server.url}/healthz", timeout=10).json()["workers"] < 2:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)
    assert answer(timed_post(server, png())[1])["errorCode"] == "0"


def test_an_extractor_that_raises_gives_a_500_in_the_seed_wrapper_and_a_failed_document(
        server: LiveServer) -> None:
    database = server.database()
    try:
        from tests.support.api_server import count_rows

        before = count_rows(database)
        response = seed_post(server, ONE, "file", files={"img": png(CRASH_WIDTH, 100)})
        assert response.status_code == 500
        body = answer(response)
        assert body["errorCode"] == "4" and "reference" in body["errorMessage"]
        assert "scripted crash" not in response.text  # no internals to the client
        after = count_rows(database)
        assert after["documents"] == before["documents"] + 1
        with UnitOfWork(database, write=False) as uow:
            statuses = uow.documents.status_counts()
        assert statuses.get(DocumentStatus.EXTRACTING.value, 0) == 0
    finally:
        database.dispose()
    assert answer(timed_post(server, png())[1])["errorCode"] == "0"
