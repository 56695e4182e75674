"""End to end, in a real browser: Debian's Chromium driven by Playwright against `streamlit run`
and a real extraction worker, both on 127.0.0.1.

A reviewer signs in, uploads both sides of a generated certificate, opens it from the queue, sees
a low-confidence field highlighted, corrects it (Enter moves to the next flagged field), approves
with the keyboard; a lead exports CSV and finds the corrected value in the file. Each step leaves
a screenshot under test-artifacts/e2e/. With SAVE_README_SCREENSHOTS=1 the review screen is also
saved to docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from services.core.config import REPO_ROOT
from tests.support.processes import free_port, stop_group, wait_healthy

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
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                            "--server.port", str(port), "--server.address", "127.0.0.1",
                            "--browser.gatherUsageStats", "false"], cwd=REPO_ROOT, env=env,
                           stdout=open(logs / "app.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"{url}/_stcore/health", app, 60, output=lambda: (logs / "app.log").read_text()[-2000:],
                     interval=0.3)
        yield url, tmp_path
    finally:
        stop_group(app)
        stop_group(worker)


def generated_card(out: Path) -> tuple[Path, Path, dict[str, str]]:
    from services.domain.schema import Side

    generate_card = pytest.importorskip("tools.synth.card", reason="the card generator (tools/synth) is missing"
                                        ).generate_card

    card = generate_card(20261125, 3, condition="scan")
    paths = []
    for side in (Side.FRONT, Side.BACK):
        image = card.sides[side]
        path = out / f"card_{side.value}.{image.extension.lstrip('.')}"
        path.write_bytes(image.image)
        paths.append(path)
    return paths[0], paths[1], dict(card.sides[Side.BACK].truth)


def test_upload_review_correct_approve_and_export_in_a_real_browser(running_app: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, tmp_path = running_app
    front, back, truth = generated_card(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    step = iter(range(1, 100))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1400}, accept_downloads=True)
        page.set_default_timeout(60_000)

        def shot(name: str) -> None:
            page.wait_for_timeout(400)  # let the last rerun settle before the picture
            page.screenshot(path=str(ARTIFACTS / f"{next(step):02d}-{name}.png"), full_page=True)

        def sign_in(username: str) -> None:
            page.goto(url)
            page.wait_for_selector("[data-testid='stAppViewContainer']")
            page.get_by_role("textbox", name="User name").fill(username)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()

        # 1. Sign in as a reviewer.
        page.goto(url)
        page.wait_for_selector("[data-testid='stAppViewContainer']")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        shot("sign-in")
        sign_in("rita")
        shot("queue-empty")

        # 2. Upload both sides of a generated card; the worker extracts it in the background.
        page.get_by_role("link", name="Upload").click()
        expect(page.get_by_role("heading", name="Upload registration certificates")).to_be_visible()
        page.get_by_text("Both sides", exact=True).click()
        inputs = page.locator("input[type='file']")
        expect(inputs).to_have_count(2)
        inputs.nth(0).set_input_files(str(front))
        inputs.nth(1).set_input_files(str(back))
        page.get_by_role("button", name="Upload and extract").click()
        expect(page.get_by_text("Batch #1: 1 of 1 done")).to_be_visible(timeout=180_000)
        expect(page.locator("[data-testid='stImage']").first).to_be_visible()
        shot("uploaded-and-extracted")

        # 3. Open it from the queue.
        page.get_by_role("link", name="Queue").click()
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name="Document #1")).to_be_visible()
        page.wait_for_selector("div[class*='st-key-field-']")
        shot("review-screen")

        # 4. A low-confidence field is highlighted; correct one on the back side (the exported
        #    record takes the back's values) with the value printed on the card.
        flagged = page.locator("div[class*='st-key-flag-low_confidence-field-back-']")
        assert flagged.count() > 0, "no low-confidence field on the back side"
        candidates = []
        for index in range(flagged.count()):
            row = flagged.nth(index)
            name = next(c for c in row.get_attribute("class").split() if c.startswith("st-key-flag-")) \
                .split("-field-back-", 1)[1]
            box = row.locator("input:not([disabled])")
            if box.count() and truth.get(name):
                candidates.append((name, row, box.first))
        assert candidates, "no editable low-confidence field with a printed value"
        # Prefer a field the engine misread: the correction is then the value printed on the card.
        misread = [c for c in candidates if c[2].input_value() != truth[c[0]]]
        field_name, row, box = (misread or candidates)[0]
        corrected = truth[field_name] if misread else truth[field_name] + "9"
        # Highlighted: the row is drawn with the warning colour, and its badge says why.
        colour = row.evaluate("el => getComputedStyle(el).borderLeftColor")
        assert colour == "rgb(234, 140, 0)", colour
        expect(row.get_by_text("Low confidence")).to_be_visible()
        readme = README_SHOTS.exists() and os.environ.get("SAVE_README_SCREENSHOTS") == "1"
        if readme:
            page.screenshot(path=str(README_SHOTS / "review-1.png"))
        box.fill(corrected)
        box.press("Enter")
        # Enter moved the cursor to the next field that needs a look.
        moved = page.evaluate("""() => {
            const el = document.activeElement;
            return !!(el && el.closest('div[class*="st-key-flag-"]'));
        }""")
        assert moved, "Enter did not move to the next flagged field"
        row.scroll_into_view_if_needed()
        shot("field-corrected")
        if readme:
            page.screenshot(path=str(README_SHOTS / "review-2.png"))

        # 5. Approve with the keyboard; a failing check asks for an override reason first.
        page.keyboard.press("Control+Enter")
        approved = page.get_by_text("Document #1 approved.")
        blocked = page.get_by_text("Cannot approve: a check fails.", exact=False)
        expect(approved.or_(blocked)).to_be_visible(timeout=20_000)
        if blocked.is_visible():
            shot("approval-blocked-by-a-check")
            page.get_by_role("textbox", name="Override reason").fill("Checked against the card by the e2e test")
            page.get_by_role("button", name="Approve (Ctrl+Enter)").click()
            expect(approved).to_be_visible()
        shot("approved")

        # 6. A lead exports CSV and finds the corrected value.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        sign_in("lena")
        page.get_by_role("link", name="Export").click()
        expect(page.get_by_role("heading", name="Export")).to_be_visible()
        page.get_by_role("button", name="Prepare the export").click()
        expect(page.get_by_text("The file is ready: 1 documents.")).to_be_visible()
        shot("export-ready")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download").click()
        path = tmp_path / "export.csv"
        download_info.value.save_as(path)
        browser.close()

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0][field_name] == corrected
    assert rows[0][f"{field_name}_corrected"] == corrected
    assert rows[0]["reviewed_by"] == "rita" and rows[0]["status"] == "approved"
