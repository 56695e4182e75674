"""The bad-input corpus (tests/support/bad_inputs.py) sent to every entry point: the API's three input
modes (multipart file, base64 JSON, URL served by a local server on 127.0.0.1) and the review
app's upload (one file, and a URL). Each input gets its answer within ANSWER_WITHIN seconds, the
server keeps serving, and a refused input writes nothing to the database.

The API server here runs the real local engine, so the 1x1 image gets the engine's own answer
(code 1, no card). No socket connects anywhere but 127.0.0.1 (the `only_loopback` guard): the
private addresses redirected to are refused before any connection.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from streamlit.testing.v1 import AppTest

from db.migrate import upgrade
from db.session import Database, UnitOfWork
from services.bootstrap import Services
from services.core.config import Settings
from services.domain.people import Role
from services.domain.records import DocumentStatus
from services.domain.schema import ErrorCode
from tests.support.api_server import (
    ImageServer,
    LiveServer,
    Route,
    answer,
    b64,
    count_rows,
    live_server,
    png,
    seed_post,
    server_settings,
)
from tests.support.app import app, user, vi
from tests.support.bad_inputs import (
    ANSWER_WITHIN,
    ENGINE_NO_CARD,
    FETCH_TIMEOUT,
    MAX_UPLOAD_BYTES,
    URLS,
    Case,
    cases_for,
)
from tests.support.wiring import app_wired_to, wired_services

ONE = "vehicle_registration"
TWO = "vehicle_registrations"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = server_settings(tmp_path_factory.mktemp("api-corpus"), max_upload_bytes=MAX_UPLOAD_BYTES,
                               url_fetch_timeout=FETCH_TIMEOUT)
    with live_server(settings, extractor="local") as live:
        yield live


@pytest.fixture
def database(server: LiveServer) -> Iterator[Database]:
    database = server.database()
    yield database
    database.dispose()


def case_path(case: Case) -> str:
    return "/corpus/" + case.name.replace(" ", "-")


@pytest.fixture(scope="module")
def images() -> Iterator[ImageServer]:
    """Serves each corpus file under its own path, and the misbehaving URLs."""
    with ImageServer() as image_server:
        image_server.image("/card.png", png())
        for case in cases_for("url"):
            image_server.routes[case_path(case)] = Route(body=case.data or b"",
                                                        headers={"Content-Type": case.content_type})
        image_server.routes["/timeout"] = Route(body=png(), headers={"Content-Type": "image/png"},
                                                delay=FETCH_TIMEOUT + 3)
        image_server.routes["/html"] = Route(body=b"<html><body>Not found, but 200</body></html>",
                                             headers={"Content-Type": "text/html; charset=utf-8"})
        image_server.routes["/redirect-private"] = Route(status=302, headers={"Location": "http://10.0.0.8/card.png"})
        image_server.routes["/redirect-metadata"] = Route(
            status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        yield image_server


def url_for(images: ImageServer, what: str) -> str:
    if what == "credentials":
        return images.url("/card.png").replace("http://", "http://user:secret@")
    if what == "scheme":
        return "file:///etc/passwd"
    return images.url(f"/{what}")


def send(server: LiveServer, mode: str, *, case: Case | None = None, url: str = "") -> requests.Response:
    timeout = ANSWER_WITHIN + 5
    if mode == "file":
        assert case is not None and case.data is not None
        return seed_post(server, ONE, "file", files={"img": ("card.jpg", case.data)}, timeout=timeout)
    if mode == "base64":
        assert case is not None
        text = case.text if case.text is not None else b64(case.data or b"")
        return seed_post(server, ONE, "base64", json={"img": text}, timeout=timeout)
    return requests.get(f"{server.url}/api/v2/ocr/{ONE}", params={"img": url, "format_type": "url"},
                        auth=server.auth, timeout=timeout)


def timed(call, *args, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def assert_refused(response: requests.Response, code: str, message: str = "", status: int = 200) -> str:
    assert response.status_code == status, response.text
    body = answer(response)
    assert body["errorCode"] == code, body
    assert body["data"] == []
    assert body["errorMessage"].startswith(ErrorCode(int(code)).message), body
    assert message.lower() in body["errorMessage"].lower(), body
    return body["errorMessage"]


def assert_still_serving(server: LiveServer) -> None:
    assert requests.get(f"{server.url}/healthz", timeout=10).json()["status"] == "ok"


def assert_engine_found_no_card(response: requests.Response, database: Database, before: dict[str, int]) -> None:
    """A valid image reaches the engine: code 1, stored as one failed extraction, not queued."""
    assert_refused(response, "1")
    after = count_rows(database)
    assert after["documents"] == before["documents"] + 1 and after["extractions"] == before["extractions"] + 1
    with UnitOfWork(database, write=False) as uow:
        document = uow.documents.get(int(response.headers["X-Document-Id"]))
        assert document.status == DocumentStatus.FAILED.value


# --- the API: each file of the corpus, in each input mode ----------------------------------------

API_CASES = [pytest.param(mode, case, id=f"{mode}-{case.name}")
             for mode in ("file", "base64", "url") for case in cases_for(mode)]


@pytest.mark.parametrize("mode, case", API_CASES)
def test_the_api_answers_each_bad_input_with_its_code_in_time_and_stores_nothing(
        server: LiveServer, images: ImageServer, database: Database, mode: str, case: Case,
        only_loopback: list) -> None:  # noqa: F811 - the fixture
    before = count_rows(database)
    response, elapsed = timed(send, server, mode, case=case, url=images.url(case_path(case)))
    assert elapsed < ANSWER_WITHIN
    expected = case.expect[mode]
    if expected == ENGINE_NO_CARD:
        assert_engine_found_no_card(response, database, before)
    else:
        assert_refused(response, expected, case.message)
        assert count_rows(database) == before
    assert_still_serving(server)


@pytest.mark.parametrize("name, what, message", URLS, ids=[u[0] for u in URLS])
def test_the_api_refuses_each_bad_url_with_code_2_in_time_without_reaching_elsewhere(
        server: LiveServer, images: ImageServer, database: Database, name: str, what: str, message: str,
        only_loopback: list) -> None:  # noqa: F811 - the fixture
    before = count_rows(database)
    response, elapsed = timed(send, server, "url", url=url_for(images, what))
    assert elapsed < ANSWER_WITHIN
    assert_refused(response, "2", message)
    assert count_rows(database) == before
    assert all(address[0] == "127.0.0.1" for address in only_loopback)
    assert_still_serving(server)


@pytest.mark.parametrize("mode", ["url", "file", "base64"])
def test_img1_missing_in_the_two_sided_call_gets_code_1_and_stores_nothing(
        server: LiveServer, images: ImageServer, database: Database, mode: str) -> None:
    before = count_rows(database)
    if mode == "url":
        response = requests.get(f"{server.url}/api/v2/ocr/{TWO}", auth=server.auth, timeout=30,
                                params={"img2": images.url("/card.png"), "format_type": "url"})
    elif mode == "file":
        response = seed_post(server, TWO, "file", files={"img2": png()})
    else:
        response = seed_post(server, TWO, "base64", json={"img2": b64(png())})
    assert_refused(response, "1", "img1 is missing")
    assert count_rows(database) == before


@pytest.mark.parametrize("mode", ["url", "file", "base64"])
def test_an_unknown_format_type_gets_code_6_in_every_mode(server: LiveServer, images: ImageServer,
                                                          database: Database, mode: str) -> None:
    before = count_rows(database)
    if mode == "url":
        response = requests.get(f"{server.url}/api/v2/ocr/{ONE}", auth=server.auth, timeout=30,
                                params={"img": images.url("/card.png"), "format_type": "jpeg"})
    elif mode == "file":
        response = seed_post(server, ONE, "jpeg", files={"img": png()})
    else:
        response = seed_post(server, ONE, "jpeg", json={"img": b64(png())})
    assert_refused(response, "6", "unknown format_type")
    assert count_rows(database) == before


@pytest.mark.parametrize("mode", ["url", "file", "base64"])
def test_a_huge_query_string_gets_414_in_every_mode(server: LiveServer, database: Database, mode: str) -> None:
    before = count_rows(database)
    padding = "a" * (server.settings.api_max_query_bytes + 10)
    if mode == "url":
        response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?format_type=url&img=http://127.0.0.1/{padding}",
                                auth=server.auth, timeout=30)
    else:
        body = {"files": {"img": png()}} if mode == "file" else {"json": {"img": b64(png())}}
        response = requests.post(f"{server.url}/api/v2/ocr/{ONE}?format_type={mode}&x={padding}",
                                 auth=server.auth, timeout=30, **body)
    assert_refused(response, "2", "query string", status=414)
    assert count_rows(database) == before
    assert_still_serving(server)


def test_after_the_whole_corpus_a_good_image_is_still_read(server: LiveServer) -> None:
    # The engine finds no card on a plain picture: what matters is a timely, normal answer.
    response, elapsed = timed(seed_post, server, ONE, "file", files={"img": ("card.png", png())})
    assert elapsed < ANSWER_WITHIN and answer(response)["errorCode"] in ("0", "1")


# --- the app's upload: the same files, and the same URLs ------------------------------------------

@pytest.fixture
def app_svc(tmp_path: Path) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    settings = Settings(data_dir=tmp_path, database_url=url, app_language="vi", url_allowlist=("127.0.0.1",),
                        url_fetch_timeout=FETCH_TIMEOUT, max_upload_bytes=MAX_UPLOAD_BYTES)
    services = wired_services(settings)
    with app_wired_to(services):
        yield services
    services.database.dispose()


def stored(svc: Services) -> dict[str, int]:
    return count_rows(svc.database)


def upload_page(svc: Services) -> AppTest:

    return app(user(svc, Role.REVIEWER), "upload")


def submit(at: AppTest) -> float:
    started = time.monotonic()
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    return time.monotonic() - started


def assert_app_refused(at: AppTest, svc: Services, before: dict[str, int], shown: str, message: str) -> None:

    assert [e.value for e in at.error] == [vi("upload.refused")]
    texts = "\n".join(t.value for t in at.text)
    assert shown in texts and message.lower() in texts.lower(), texts
    after = stored(svc)
    # Only the user created for the test: no batch, document, image or extraction.
    assert {k: after[k] for k in ("documents", "images", "extractions")} == {
        k: before[k] for k in ("documents", "images", "extractions")}


@pytest.mark.parametrize("case", cases_for("app"), ids=lambda c: c.name)
def test_the_app_upload_answers_each_bad_file_in_time_and_stores_nothing_for_a_refused_one(
        app_svc: Services, case: Case) -> None:
    at = upload_page(app_svc)
    before = stored(app_svc)
    name = "card.png" if case.content_type == "image/png" else "card.jpg"
    at.get("file_uploader")[0].upload(name, case.data, case.content_type)
    assert submit(at) < ANSWER_WITHIN
    if case.expect["app"] == "accepted":
        assert stored(app_svc)["documents"] == before["documents"] + 1
        assert not at.error
    else:
        assert_app_refused(at, app_svc, before, name, case.message)


@pytest.mark.parametrize("name, what, message", URLS, ids=[u[0] for u in URLS])
def test_the_app_refuses_each_bad_url_in_time_and_stores_nothing(
        app_svc: Services, images: ImageServer, name: str, what: str, message: str,
        only_loopback: list) -> None:  # noqa: F811 - the fixture
    at = upload_page(app_svc)
    at.radio[0].set_value("url")
    at.run()
    before = stored(app_svc)
    url = url_for(images, what)
    at.text_input[0].input(url)
    assert submit(at) < ANSWER_WITHIN
    assert_app_refused(at, app_svc, before, url, message)
    assert all(address[0] == "127.0.0.1" for address in only_loopback)


@pytest.mark.parametrize("case", cases_for("url"), ids=lambda c: c.name)
def test_the_app_url_upload_answers_each_bad_file_served_by_url(app_svc: Services, images: ImageServer,
                                                                 case: Case) -> None:
    at = upload_page(app_svc)
    at.radio[0].set_value("url")
    at.run()
    before = stored(app_svc)
    at.text_input[0].input(images.url(case_path(case)))
    assert submit(at) < ANSWER_WITHIN
    if case.expect["app"] == "accepted":
        assert stored(app_svc)["documents"] == before["documents"] + 1
    else:
        assert_app_refused(at, app_svc, before, case_path(case), case.message)


def test_the_upload_service_refuses_the_corpus_without_a_page(app_svc: Services) -> None:
    """The service under the page: a batch of every bad file plans and submits without an
    exception, refusing each with a reason and storing only the acceptable one."""
    from services.review.uploads import UploadedFile, UploadService, limits_from, plan_batch

    reviewer = user(app_svc, Role.REVIEWER)
    service = UploadService(app_svc.intake, limits_from(app_svc.settings), lambda: "local")
    files = [UploadedFile(f"{i}.png", case.data) for i, case in enumerate(cases_for("app"))]
    queued: list[int] = []
    report = service.submit(plan_batch(files, service.limits), reviewer, source="batch", enqueue=queued.append)
    accepted = [c.name for c in cases_for("app") if c.expect["app"] == "accepted"]
    assert len(report.documents) == len(queued) == len(accepted)
    assert len(report.refused) == len(files) - len(accepted)
    assert all(refusal.detail for refusal in report.refused)
    assert stored(app_svc)["documents"] == len(accepted)
