"""End to end, in a real browser: Debian's Chromium driven by Playwright against the app as
`make run` serves it (uvicorn, with the session routes) and a real extraction worker, on 127.0.0.1.

A reviewer signs in (a reload keeps them signed in), uploads a zip of three generated certificates
(both sides each), and reviews them with the keyboard only: the cursor starts in the first field
that needs a look, each correction is typed and Enter moves to the next such field and then to
Approve; Ctrl+Enter approves and opens the next document (when the approval is refused, say
because a correction makes the sides disagree with a value the engine read wrong, the cursor is
in the first field the refusal names and the reviewer goes on from there). A lead then exports
CSV: every correction is in it, with who made it and when. Each step leaves a screenshot under
test-artifacts/e2e/; with SAVE_README_SCREENSHOTS=1 the review screen is also saved to
docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from services.core.config import REPO_ROOT
from tools.local_processes import free_port, stop_group, wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
README_SHOTS = REPO_ROOT / "docs" / "screenshots"
PASSWORD = "e2e password 123"
STRICT_FIELDS = ("name", "address", "brand", "model", "color")


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from db.migrate import upgrade
    from db.session import Database
    from services.accounts.users import UserService
    from services.domain.people import Role

    env = dict(os.environ, DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}",
               APP_LANGUAGE="en", WORKERS="1", OMP_THREAD_LIMIT="1")
    env.pop("REDIS_URL", None)
    upgrade(env["DATABASE_URL"])
    database = Database(env["DATABASE_URL"])
    users = UserService(database)
    users.create("rita", PASSWORD, Role.REVIEWER)
    lena = users.create("lena", PASSWORD, Role.LEAD)
    # A strict lead: the text fields are highlighted unless the engine is all but certain, so the
    # test has a low-confidence field to correct however well the engine reads this card.
    from services.review.workflow import ThresholdService

    strict = ThresholdService(database, 0.8)
    for name in STRICT_FIELDS:
        strict.set(lena, name, 0.9999)
    database.dispose()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    worker = subprocess.Popen([sys.executable, "-m", "services.tasks.worker", "--workers", "1"], cwd=REPO_ROOT,
                              env=env, stdout=open(logs / "worker.log", "wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    from services.core.config import Settings
    from services.launcher import commands

    command = commands(Settings(data_dir=tmp_path, app_address="127.0.0.1", app_port=port))["app"]
    app = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=open(logs / "app.log", "wb"),
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"{url}/_stcore/health", app, 60, output=lambda: (logs / "app.log").read_text()[-2000:],
                     interval=0.3)
        yield url, tmp_path
    finally:
        stop_group(app)
        stop_group(worker)


CARDS = 3


def generated_cards(out: Path) -> tuple[Path, list[dict[str, dict[str, str]]]]:
    """A zip of three generated scans, both sides each (`card<i>_front.*`, `card<i>_back.*`), and
    the truth of each side."""
    import zipfile

    from services.domain.schema import Side
    from tools.synth.card import generate_card

    truths = []
    path = out / "cards.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(CARDS):
            card = generate_card(20261201, index, condition="scan")
            for side in (Side.FRONT, Side.BACK):
                image = card.sides[side]
                archive.writestr(f"card{index}_{side.value}.{image.extension.lstrip('.')}", image.image)
            truths.append({side.value: dict(card.sides[side].truth) for side in (Side.FRONT, Side.BACK)})
    return path, truths


FOCUSED_ROW = """() => {
    const el = document.activeElement;
    const row = el && el.closest('div[class*="st-key-field-"]');
    if (!row) return null;
    const cls = Array.from(row.classList).find(c => c.startsWith("st-key-field-"));
    return cls.slice("st-key-field-".length);  // flag-side-name
}"""
# Streamlit shows its running icon while a script run is in flight.
IDLE = """() => !document.querySelector('[data-testid="stStatusWidgetRunningIcon"], '
                                      + '[data-testid="stStatusWidgetRunningManIcon"]')"""
ON_APPROVE = """() => {
    const el = document.activeElement;
    return !!el && (el.getAttribute("data-testid") === "stBaseButton-primaryFormSubmit"
                    || !!el.closest('div[class*="st-key-approve-"]'));
}"""


def test_a_reviewer_reviews_three_documents_with_the_keyboard_and_the_export_holds_the_corrections(
        running_app: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, tmp_path = running_app
    bundle, truths = generated_cards(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    step = iter(range(1, 200))
    readme = README_SHOTS.exists() and os.environ.get("SAVE_README_SCREENSHOTS") == "1"
    corrections: list[tuple[int, str, str, str]] = []  # (document, side, field, value typed)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(60_000)

        def shot(name: str) -> None:
            page.wait_for_timeout(500)  # let the last rerun settle before the picture
            page.screenshot(path=str(ARTIFACTS / f"{next(step):02d}-{name}.png"), full_page=False)

        def sign_in(username: str) -> None:
            page.goto(url)
            page.wait_for_selector("[data-testid='stAppViewContainer']")
            page.get_by_role("textbox", name="User name").fill(username)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()

        # 1. Sign in; a reload, and a bookmarked page in another tab, keep the reviewer signed in.
        page.goto(url)
        page.wait_for_selector("[data-testid='stAppViewContainer']")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        shot("sign-in")
        sign_in("rita")
        page.reload()
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        bookmark = context.new_page()
        bookmark.goto(url + "/upload")
        expect(bookmark.get_by_role("heading", name="Upload registration certificates")).to_be_visible()
        bookmark.close()
        shot("signed-in-after-reload")

        # 2. Upload the zip; the worker extracts the three documents in the background.
        page.get_by_role("link", name="Upload").click()
        expect(page.get_by_role("heading", name="Upload registration certificates")).to_be_visible()
        page.get_by_text("Batch / zip", exact=True).click()
        expect(page.get_by_text("Images or zip files")).to_be_visible()
        page.locator("input[type='file']").first.set_input_files(str(bundle))
        expect(page.get_by_text("cards.zip")).to_be_visible()
        page.get_by_role("button", name="Upload and extract").click()
        try:
            expect(page.get_by_text(f"Batch B-1: all {CARDS} done")).to_be_visible(timeout=300_000)
        except AssertionError:
            shot("upload-not-done")
            raise
        shot("uploaded-and-extracted")

        # 3. Open the first document, then review each with the keyboard only.
        page.get_by_role("link", name="Queue").click()
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        for number in range(CARDS):
            heading = page.get_by_role("heading", name=re.compile(r"^Document #\d+$"))
            expect(heading).to_be_visible()
            document_id = int(heading.inner_text().split("#")[1])
            page.wait_for_selector("div[class*='st-key-field-']")
            # The cursor is put in the first field needing a look (on Approve when none does) once
            # the page has settled.
            page.wait_for_function(f"() => ({FOCUSED_ROW})() !== null || ({ON_APPROVE})()", timeout=30_000)
            shot(f"document-{number + 1}-opened")
            if readme and number == 0:
                page.screenshot(path=str(README_SHOTS / "review-1.png"))
            truth = truths[int(re.search(r"card(\d+)_", page.get_by_text(re.compile(r"card\d+_front")).first
                                         .inner_text()).group(1))]
            done = (f"Document #{document_id} approved; here is the next." if number < CARDS - 1
                    else f"Document #{document_id} approved.")
            refused = page.get_by_text("Not approved yet.")
            for attempt in range(3):
                # Enter walks the fields that need a look (after a refusal: the refused ones first).
                seen: set[str] = set()
                while True:
                    key = page.evaluate(FOCUSED_ROW)
                    if key is None:
                        focused = page.evaluate("() => (document.activeElement || {}).outerHTML || ''")[:200]
                        assert page.evaluate(ON_APPROVE), \
                            f"Enter did not end on Approve after {sorted(seen)}: {focused}"
                        break
                    flag, side, name = key.split("-", 2)
                    assert flag in ("low_confidence", "failed_check"), key
                    assert key not in seen, f"Enter came back to {key}"
                    seen.add(key)
                    value = truth[side].get(name, "")
                    page.keyboard.press("Control+A")
                    page.keyboard.type(value) if value else page.keyboard.press("Delete")
                    corrections.append((document_id, side, name, value))
                    if len(seen) == 1 and attempt == 0:
                        shot(f"document-{number + 1}-correcting")
                        if readme and number == 0:
                            page.screenshot(path=str(README_SHOTS / "review-2.png"))
                    page.keyboard.press("Enter")
                    page.wait_for_timeout(150)
                if number == 0 and attempt == 0:
                    # Save, then Ctrl+Enter at once while the save is on its way: Streamlit runs
                    # the second click beside the first, and the approval must still build on
                    # the saved version (it showed "someone else changed this document").
                    page.get_by_role("button", name="Save").click()
                page.keyboard.press("Control+Enter")
                # Either the next document, or a refusal that names the fields (a correction can
                # make the sides disagree with a value the engine read wrong but confidently).
                expect(page.get_by_text(done).or_(refused)).to_be_visible(timeout=30_000)
                # A refusal shown before the keystroke stays on the page while the approval
                # runs: decide once the run is over.
                page.wait_for_timeout(300)
                page.wait_for_function(IDLE, timeout=30_000)
                if page.get_by_text(done).is_visible():
                    break
                shot(f"document-{number + 1}-refused")
                # The refusal puts the cursor in the first field it names.
                page.wait_for_function(f"() => ({FOCUSED_ROW})() !== null", timeout=30_000)
            try:
                expect(page.get_by_text(done)).to_be_visible(timeout=30_000)
            except AssertionError:
                page.screenshot(path=str(ARTIFACTS / f"failed-approve-{number + 1}.png"), full_page=True)
                raise
        shot("all-approved")

        # 4. A lead exports CSV: the corrections, who made them and when.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.reload()  # signed out stays signed out
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        sign_in("lena")
        page.get_by_role("link", name="Export").click()
        expect(page.get_by_role("heading", name="Export")).to_be_visible()
        page.get_by_role("button", name="Prepare the export").click()
        expect(page.get_by_text(f"The file is ready: {CARDS} documents.")).to_be_visible()
        shot("export-ready")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download").click()
        path = tmp_path / "export.csv"
        download_info.value.save_as(path)
        browser.close()

    rows = {int(r["document_id"]): r for r in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))}
    assert len(rows) == CARDS and all(r["status"] == "approved" and r["reviewed_by"] == "rita" for r in rows.values())
    for document_id, side, name, value in corrections:
        row = rows[document_id]
        if side == "front" and name != "id":
            continue  # the record takes the back's value of a field printed on both sides
        assert row[name] == value, (document_id, name)
        if row[f"{name}_original"] != value:
            assert row[f"{name}_corrected_by"] == "rita"
            assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$", row[f"{name}_corrected_at"])
