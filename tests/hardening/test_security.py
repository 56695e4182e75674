"""Who may use what, and what leaks: every API route and page tried as each role and as nobody,
sign-in and API auth braked, the app's cookie and server settings, field values shown as text,
exports safe to open in a spreadsheet, secrets stored hashed, no personal data in logs.

(Private addresses for URL input: tests/core/test_url_fetch.py and the corpus in
tests/hardening/test_inputs.py; repeated API auth failures -> 429: tests/api/test_security.py.)
"""

from __future__ import annotations

import ast
import csv
import io
import logging
import os
import signal
import subprocess
import tomllib
from pathlib import Path
from typing import Iterator, Optional

import pytest
import requests
from streamlit.testing.v1 import AppTest

from services.accounts.api_keys import ApiKeyService
from services.accounts.users import MAX_FAILED_LOGINS, MAX_FAILED_LOGINS_PER_CLIENT, AuthError
from services.api.app import ONE_SIDE_PATH, TWO_SIDES_PATH, create_app
from services.bootstrap import Services
from services.core.config import REPO_ROOT, Settings
from services.domain.people import Role
from services.domain.records import DocumentFilter, DocumentStatus
from services.review.workflow import NotAllowed
from tests.support.api_server import (
    LOOPBACK,
    ImageServer,
    LiveServer,
    answer,
    b64,
    card_images,
    count_rows,
    free_port,
    live_server,
    png,
    server_settings,
)
from tests.support.app import ALL_PAGES, ALLOWED, PASSWORD, all_markdown, app, user, vi
from tests.support.factories import BACK_VALUES, extracted_document, make_user, plate_checker
from tools.local_processes import stop_group, wait_healthy

# --- the API: every route, as nobody, as each kind of caller --------------------------------------

# The documentation and the health check are open; everything else needs an API key.
PUBLIC_ROUTES = {("GET", "/healthz"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
                 ("GET", "/openapi.json")}
KEY_ROUTES = {("GET", ONE_SIDE_PATH), ("POST", ONE_SIDE_PATH), ("GET", TWO_SIDES_PATH), ("POST", TWO_SIDES_PATH)}


def api_routes() -> set[tuple[str, str]]:
    app_ = create_app(Settings(data_dir=Path("/nonexistent")), migrate=False)
    return {(method, route.path) for route in app_.routes for method in getattr(route, "methods", ()) or ()
            if method != "HEAD"}


def test_every_api_route_is_in_the_access_table() -> None:
    # A route added later must be put in one of the two sets (and so be tried below).
    assert api_routes() == PUBLIC_ROUTES | KEY_ROUTES


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(server_settings(tmp_path_factory.mktemp("api-roles")), checker=plate_checker) as live:
        yield live


@pytest.fixture(scope="module")
def callers(api: LiveServer) -> dict[str, Optional[tuple[str, str]]]:
    """Every kind of caller: nobody, guesses, a revoked key, the app's users by their
    passwords (a role in the app is no right to the API), and a valid key."""
    database = api.database()
    try:
        keys = ApiKeyService(database)
        revoked = keys.create("revoked")
        keys.revoke(revoked.key_id)
        valid = keys.create("partner")
        found: dict[str, Optional[tuple[str, str]]] = {
            "nobody": None,
            "wrong secret": (valid.key_id, "not-the-secret"),
            "unknown key": ("vr_nobody", "x"),
            "revoked key": (revoked.key_id, revoked.secret),
        }
        for role in Role:
            principal = make_user(database, f"api-{role.value}", role)
            found[f"app {role.value}"] = (principal.username, PASSWORD)
        found["valid key"] = (valid.key_id, valid.secret)
        return found
    finally:
        database.dispose()


def call(api: LiveServer, images: ImageServer, method: str, path: str,
         auth: Optional[tuple[str, str]]) -> requests.Response:
    two = path == TWO_SIDES_PATH
    if method == "GET" and path in (ONE_SIDE_PATH, TWO_SIDES_PATH):
        url = images.url("/card.png")
        params = {"img1": url, "img2": url} if two else {"img": url}
        return requests.get(api.url + path, params={**params, "format_type": "url"}, auth=auth, timeout=30)
    if method == "POST":
        body = {"img1": b64(png()), "img2": b64(png())} if two else {"img": b64(png())}
        return requests.post(api.url + path, params={"format_type": "base64"}, json=body, auth=auth, timeout=30)
    return requests.request(method, api.url + path, auth=auth, timeout=30)


@pytest.fixture(scope="module")
def images() -> Iterator[ImageServer]:
    with ImageServer() as image_server:
        image_server.image("/card.png", png())
        yield image_server


ROUTE_IDS = [f"{m} {p}" for m, p in sorted(KEY_ROUTES)]


@pytest.mark.parametrize("method, path", sorted(KEY_ROUTES), ids=ROUTE_IDS)
def test_each_key_route_answers_only_a_valid_key(api: LiveServer, images: ImageServer, callers: dict,
                                                 method: str, path: str) -> None:
    database = api.database()
    try:
        for who, auth in callers.items():
            before = count_rows(database)
            body = answer(call(api, images, method, path, auth))
            if who == "valid key":
                assert body["errorCode"] == "0", (who, body)
                assert count_rows(database)["documents"] == before["documents"] + 1
            else:
                assert body["errorCode"] == "5" and body["data"] == [], (who, body)
                assert count_rows(database)["documents"] == before["documents"], who
    finally:
        database.dispose()


@pytest.mark.parametrize("method, path", sorted(PUBLIC_ROUTES))
def test_public_routes_answer_anyone_and_reveal_no_data(api: LiveServer, images: ImageServer, callers: dict,
                                                        method: str, path: str) -> None:
    for who in ("nobody", "wrong secret", "valid key"):
        response = call(api, images, method, path, callers[who])
        assert response.status_code == 200, (who, response.status_code)
        assert "NGUYỄN" not in response.text


# --- the app: every page has its role check, and the table is complete ---------------------------

def pages_table() -> dict[str, Role]:
    """app.py's PAGES: page file -> lowest role that sees it."""
    tree = ast.parse((REPO_ROOT / "app.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PAGES" for t in node.targets):
            return {entry.elts[0].value: Role[entry.elts[4].attr] for entry in node.value.elts}
    raise AssertionError("no PAGES in app.py")


def required_role(page: Path) -> Optional[Role]:
    """The role a page script demands with `ui.require(Role.X)` at its top level."""
    for node in ast.parse(page.read_text()).body:
        value = getattr(node, "value", None)
        if isinstance(value, ast.Call) and getattr(value.func, "attr", "") == "require":
            return Role[value.args[0].attr]
    return None


def test_every_page_checks_the_role_that_navigation_shows_it_to() -> None:
    table = pages_table()
    # Modules starting with "_" are the pages' own helpers, not pages.
    scripts = {f"pages/{p.name}" for p in (REPO_ROOT / "pages").glob("*.py")
               if not p.name.startswith("_") and p.name != "login.py"}
    assert set(table) == scripts  # no page outside the navigation's role table
    for page, minimum in table.items():
        assert required_role(REPO_ROOT / page) == minimum, page
    # ...and tests/app/test_pages.py tries each of them as each role and as nobody.

    assert {f"pages/{p}.py" for p in ALL_PAGES} == scripts
    for role, allowed in ALLOWED.items():
        rank = {Role.REVIEWER: 0, Role.LEAD: 1, Role.ADMIN: 2}
        assert allowed == {p for p in ALL_PAGES if rank[role] >= rank[table[f"pages/{p}.py"]]}


def test_a_role_taken_away_mid_session_takes_effect_on_the_next_click(svc: Services) -> None:  # noqa: F811
    make_user(svc.database, "root", Role.ADMIN)
    boss = user(svc, Role.ADMIN, "boss")
    at = AppTest.from_file(str(REPO_ROOT / "pages" / "users.py"), default_timeout=30)
    at.session_state["principal"] = boss
    at.run()
    assert not at.error
    svc.users.update("boss", by=boss, role=Role.REVIEWER)
    at.run()
    assert [e.value for e in at.error] == [vi("auth.denied")]
    assert not at.dataframe and not at.text_input


def test_lead_only_actions_are_refused_to_a_reviewer_by_the_services_too(svc: Services) -> None:  # noqa: F811
    reviewer = user(svc, Role.REVIEWER, "rita")
    document_id = extracted_document(svc.database)
    with pytest.raises(NotAllowed):
        svc.thresholds.set(reviewer, "plate", 0.5)
    with pytest.raises(NotAllowed):
        svc.review.reopen(reviewer, document_id, 1)


# --- sign-in and API auth are braked ------------------------------------------------------------

def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.get("form_submit_button")[0].click()
    at.run()
    return at


def test_an_account_is_locked_after_repeated_wrong_passwords_even_for_the_right_one(svc: Services) -> None:  # noqa: F811
    user(svc, Role.REVIEWER, "rita")
    at = app()
    for _ in range(MAX_FAILED_LOGINS):
        sign_in(at, "rita", "guess guess")
        assert [e.value for e in at.error] == [vi("login.failed")]
    sign_in(at, "rita", PASSWORD)
    assert [e.value for e in at.error] == [vi("login.locked")]
    assert "principal" not in at.session_state


def test_one_address_trying_many_accounts_is_refused_for_a_while(svc: Services) -> None:  # noqa: F811
    user(svc, Role.REVIEWER, "rita")
    for n in range(MAX_FAILED_LOGINS_PER_CLIENT):
        with pytest.raises(AuthError):
            svc.users.authenticate(f"user{n}", "Password1!", client="203.0.113.7")
    with pytest.raises(AuthError, match="Too many"):
        svc.users.authenticate("rita", PASSWORD, client="203.0.113.7")
    # Another address is not affected, and neither is the account itself.
    assert svc.users.authenticate("rita", PASSWORD, client="198.51.100.2").username == "rita"


def test_the_sign_in_page_brakes_an_address_that_keeps_failing(svc: Services) -> None:  # noqa: F811
    user(svc, Role.REVIEWER, "rita")
    at = app()
    for n in range(MAX_FAILED_LOGINS_PER_CLIENT):
        sign_in(at, f"nobody{n}", "guess guess")
    sign_in(at, "rita", PASSWORD)
    assert [e.value for e in at.error] == [vi("login.locked")]
    assert "principal" not in at.session_state


# --- the review app's server settings -------------------------------------------------------------

def test_the_app_server_config_keeps_xsrf_cors_and_error_details_safe() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True  # true = cross-origin requests are refused
    assert server.get("xsrfCookieSameSite") == "strict"
    assert "cookieSecret" not in server  # never in git: Streamlit makes a random one per start
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert ".streamlit/secrets.toml" in (REPO_ROOT / ".gitignore").read_text()
    launcher = (REPO_ROOT / "services" / "launcher.py").read_text()
    for option in ("enableXsrfProtection", "enableCORS", "cookieSecret", "showErrorDetails"):
        assert option not in launcher  # not overridden at start


@pytest.fixture(scope="module")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("streamlit-security")
    port = free_port()
    env = dict(os.environ, DATA_DIR=str(tmp), DATABASE_URL=f"sqlite:///{tmp / 'app.db'}")
    env.pop("REDIS_URL", None)
    from db.migrate import upgrade

    upgrade(env["DATABASE_URL"])
    from services.launcher import commands

    # The app as `make run` serves it.
    command = commands(Settings(data_dir=tmp, app_address=LOOPBACK, app_port=port))["app"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(tmp / "streamlit.log", "ab"), start_new_session=True)
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_healthy(f"{url}/_stcore/health", process, 90, output=lambda: (tmp / "streamlit.log").read_text()[-2000:],
                     interval=0.3)
        yield url
    finally:
        stop_group(process, first=signal.SIGTERM)


@pytest.mark.slow
def test_the_running_app_sets_a_strict_xsrf_cookie_and_refuses_uploads_without_it(streamlit_server: str) -> None:
    assert requests.get(streamlit_server + "/", timeout=10).status_code == 200
    # The page's first call hands out the XSRF cookie, for this site only.
    health = requests.get(f"{streamlit_server}/_stcore/health", headers={"Origin": "https://evil.example"},
                          timeout=10)
    cookie = health.headers.get("Set-Cookie", "")
    assert cookie.startswith("_streamlit_xsrf=") and "SameSite=Strict" in cookie, cookie
    # No cross-origin reads are granted.
    assert health.headers.get("Access-Control-Allow-Origin") in (None, "", streamlit_server)
    # An upload from another site (no XSRF token) is refused.
    upload = requests.put(f"{streamlit_server}/_stcore/upload_file/session/file", files={"file": png()},
                          headers={"Origin": "https://evil.example"}, timeout=10)
    assert upload.status_code == 403, upload.status_code


# --- values from documents and users are text, never markdown or HTML -----------------------------

EVIL_NAME = "**NAME** <img src=x onerror=alert(1)> :red[x]"
EVIL_USER = "**rv**<b>x"
EVIL_FILE = "<script>alert(1)</script>**f**.png"


def test_field_values_user_names_and_file_names_are_never_markdown_or_html_on_any_page(
        svc: Services) -> None:  # noqa: F811
    reviewer = user(svc, Role.REVIEWER, EVIL_USER)
    document_id = extracted_document(svc.database, back_values={**BACK_VALUES, "name": EVIL_NAME},
                                     confidences={"plate": 0.3}, source_detail=EVIL_FILE)
    other = extracted_document(svc.database, back_values={**BACK_VALUES, "name": EVIL_NAME})
    svc.review.claim(reviewer, other)
    svc.review.approve(reviewer, other, svc.review.view(other).version, override_reason="**ok** <i>x</i>")
    ApiKeyService(svc.database).create("<img src=x onerror=alert(2)> **owner**")
    admin = user(svc, Role.ADMIN, "admin")
    markers = ("NAME**", "onerror", ":red[x]", "rv**", "<b>x", "<script>alert", "**owner", "**ok")

    def assert_plain(at: AppTest, where: str) -> None:
        assert not at.exception, (where, at.exception)
        shown = all_markdown(at) + "".join(str(h.value) for h in at.get("html"))
        for marker in markers:
            assert marker not in shown, (where, marker)

    for page in ("upload", "queue", "review", "export", "figures", "users", "api_keys", "settings"):
        assert_plain(app(admin, page), page)
    # The review screen of a document held by the reviewer with the odd name, seen by a lead...
    svc.review.claim(reviewer, document_id)
    at = app(user(svc, Role.LEAD, "lena"), "queue")
    at.session_state["review_doc"] = document_id
    at.switch_page("pages/review.py")
    at.run()
    assert_plain(at, "review (held by another)")
    from pages._ui import md_escape

    assert any(md_escape(EVIL_USER) in str(m.value) for m in at.markdown)  # shown, escaped


# --- exports are safe to open in a spreadsheet ----------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
            "=cmd|' /C calc'!A0"]


def approved_with_formulas(svc: Services) -> int:  # noqa: F811
    reviewer = user(svc, Role.REVIEWER, "=reviewer()")
    document_id = extracted_document(svc.database, source_detail="=source().png",
                                     back_values={**BACK_VALUES, "name": FORMULAS[0], "address": FORMULAS[1],
                                                  "model": FORMULAS[2], "brand": FORMULAS[3],
                                                  "engine": FORMULAS[4], "chassis": FORMULAS[5]})
    svc.review.claim(reviewer, document_id)
    svc.review.approve(reviewer, document_id, svc.review.view(document_id).version,
                       {("back", "color"): FORMULAS[6]}, override_reason="=note()")
    return document_id


def dangerous(value: object) -> bool:
    return isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")


def test_csv_export_neutralises_every_formula_start_in_every_text_column(svc: Services) -> None:  # noqa: F811
    approved_with_formulas(svc)
    out = io.BytesIO()
    assert svc.export.write(DocumentFilter(statuses=(DocumentStatus.APPROVED.value,)), "csv", out) == 1
    [row] = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert [name for name, value in row.items() if dangerous(value)] == []
    assert row["color"] == "'" + FORMULAS[6] and row["reviewed_by"] == "'=reviewer()"
    assert row["source_detail"] == "'=source().png" and row["decision_note"] == "'=note()"


def test_excel_export_holds_formulas_as_neutralised_text_only(svc: Services, tmp_path: Path) -> None:  # noqa: F811
    from openpyxl import load_workbook

    approved_with_formulas(svc)
    path = tmp_path / "export.xlsx"
    with open(path, "wb") as out:
        assert svc.export.write(DocumentFilter(statuses=(DocumentStatus.APPROVED.value,)), "xlsx", out) == 1
    sheet = load_workbook(path).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert cells and all(cell.data_type != "f" for cell in cells)  # no formula cell at all
    assert [c.value for c in cells if dangerous(c.value)] == []
    assert "'" + FORMULAS[0] in [c.value for c in cells]


# --- secrets and passwords are stored hashed ------------------------------------------------------

def database_bytes(svc: Services) -> bytes:  # noqa: F811
    path = Path(svc.database.engine.url.database)
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_passwords_and_api_secrets_are_stored_only_as_argon2_hashes(svc: Services) -> None:  # noqa: F811
    from sqlalchemy import select

    from db.models import ApiKey, User
    from db.session import UnitOfWork

    password = "Mật khẩu rất dài 2024!"
    admin = svc.users.create("mai", password, Role.ADMIN)
    svc.users.update("mai", by=admin, password=password + " new")
    created = svc.api_keys.create("partner")
    assert svc.users.authenticate("mai", password + " new").username == "mai"
    with UnitOfWork(svc.database, write=False) as uow:
        hashes = list(uow.session.scalars(select(User.password_hash))) + list(
            uow.session.scalars(select(ApiKey.secret_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    stored = database_bytes(svc)
    for secret in (password, password + " new", created.secret):
        assert secret.encode() not in stored
    assert created.key_id.encode() in stored  # the public half is what keys are looked up by


# --- no personal data in logs -------------------------------------------------------------------

@pytest.mark.slow
def test_no_name_address_or_plate_reaches_the_logs_through_extraction_review_and_errors(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    from db.session import Database, UnitOfWork
    from services.review.workflow import ReviewService

    caplog.set_level(logging.DEBUG)
    card = card_images(seed=5, index=3)
    truth = card.truth["back"]
    personal = [truth["name"], truth["address"], truth["plate"], "PHẠM THỊ HOA", "Số 9 Ngõ Hoà Bình"]
    with live_server(server_settings(tmp_path, max_upload_bytes=20 * 1024 * 1024), extractor="local") as server:
        response = requests.post(f"{server.url}/api/v2/ocr/vehicle_registrations",
                                 params={"format_type": "file"}, auth=server.auth, timeout=180,
                                 files={"img1": (card.front_name, card.front), "img2": (card.back_name, card.back)})
        assert answer(response)["errorCode"] == "0", answer(response)["errorMessage"]
        document_id = int(response.headers["X-Document-Id"])
        database = Database(server.settings.database_url)
        try:
            review = ReviewService(database)
            reviewer = make_user(database, "rita")
            review.claim(reviewer, document_id)
            version = review.save(reviewer, document_id, review.view(document_id).version,
                                  {("back", "name"): personal[3], ("back", "address"): personal[4]})
            review.approve(reviewer, document_id, version, override_reason="checked")
            # A failing statement carrying personal data: its error (which ends up in logs)
            # names the SQL only.
            with UnitOfWork(database) as uow, pytest.raises(Exception) as failed:
                uow.session.execute(text("INSERT INTO no_such_table (name) VALUES (:name)"),
                                    {"name": personal[3]})
            logging.getLogger("test").error("database error", exc_info=failed.value)
        finally:
            database.dispose()
    captured = capfd.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert "database error" in logs
    for value in personal:
        assert value and value not in logs, value
