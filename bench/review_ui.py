"""Review screen latency: a scripted reviewer works through generated documents with the keyboard
in Debian's Chromium (Playwright), against the app as `make run` serves it, on 127.0.0.1.

    python bench/review_ui.py                       # SQLite, 20 documents
    python bench/review_ui.py --postgres postgresql://postgres@127.0.0.1:5432/test --documents 20

Documents are seeded from generated certificates (tools.synth, seed 7070): each side's fields are
the card's truth with two to four values altered and read with low confidence, the card's picture
as the aligned image, so that every document has fields to correct. Per document the reviewer
lands in the first field that needs a look, types the true value of each flagged field, Enter
(the next field, then Approve), saves once, and Ctrl+Enter (approve and open the next).

Measured in the page, on the browser's clock, from the action's event (the keydown, the click) to
the first animation frame at which its outcome holds (Playwright's `expect` polls at 100, 250,
500 ms steps; Streamlit's running icon shows only after 500 ms), and again from Python around
Playwright's steps (`*_wall`: with a click's actionability checks and the polling's round trips): Enter to the next field focused (`move`), Save to every corrected row showing its
original value under the saved one (`save`), Ctrl+Enter to the next document's page drawn with
the cursor in its first field to look at (`approve_next`); seconds per document; keystrokes per
corrected field. Prints medians and p95 and a `SUMMARY ` line.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.review_scale import scratch_postgres  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.session import Database  # noqa: E402
from services.accounts.users import UserService  # noqa: E402
from services.core.config import Settings  # noqa: E402
from services.domain.checks import check_record  # noqa: E402
from services.domain.people import Role  # noqa: E402
from services.domain.results import ExtractionOutcome, FieldReading, SideReading  # noqa: E402
from services.domain.schema import SIDE_FIELDS, Side  # noqa: E402
from services.review.intake import ImageInput, IntakeService, Submission  # noqa: E402
from tools.local_processes import free_port, stop_group, wait_healthy  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FAILURE_SHOT = Path(tempfile.gettempdir()) / "review_ui-failure.png"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "bench password 1"
# Each action is timed in the page from its own event (the Enter or Ctrl+Enter keydown, the Save
# click) to the first animation frame at which its outcome holds, on the browser's clock:
# Playwright's own steps around it (a click's actionability checks, the round trips of its
# polling) are not the app's latency. They are in the `*_wall` figures, timed from Python.
EVENTS = """(() => {
    // Trusted events only: the Ctrl+Enter handler's own click on Approve is not a new action.
    const at = (event) => {
        if (event.isTrusted && (event.type === "click" || event.key === "Enter")) window.vrEventAt = performance.now();
    };
    window.addEventListener("keydown", at, true);
    window.addEventListener("click", at, true);
})()"""
# Streamlit shows its running icon while a script run is in flight (once it has run 500 ms).
IDLE = """() => !document.querySelector('[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]')"""
# Every row named (`side-name`) shows its original value under the saved one, and no run is in
# flight: a save has been written and drawn.
SAVED_AND_IDLE = """(keys) => {
    const rows = Array.from(document.querySelectorAll('div[class*="st-key-field-"]'));
    const key = (row) => Array.from(row.classList).find(c => c.startsWith("st-key-field-")).split("-").slice(-2).join("-");
    return keys.every(k => rows.some(row => key(row) === k && row.textContent.includes("Original")))
        && (""" + IDLE + """)();
}"""
FOCUSED_ROW = """() => {
    const el = document.activeElement;
    const row = el && el.closest('div[class*="st-key-field-"]');
    if (!row) return null;
    return Array.from(row.classList).find(c => c.startsWith("st-key-field-")).slice("st-key-field-".length);
}"""
# The reviewer can go on: `text` said in an alert, the page's title no longer `gone`, and the
# cursor in a field (the page's last element puts it there: the page is drawn).
READY = """([text, gone]) => {
    const said = Array.from(document.querySelectorAll('[data-testid="stAlert"]')).some(el => el.textContent.includes(text));
    const title = document.querySelector('h1');
    const moved = !gone || (!!title && title.textContent.trim() !== gone);
    return said && moved && (""" + FOCUSED_ROW + """)() !== null && (""" + IDLE + """)();
}"""


def _jpeg(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def seed(database: Database, count: int) -> dict[int, dict[str, dict[str, str]]]:
    """`count` documents waiting for review; returns each one's true values per side."""
    from tools.synth.card import generate_card

    intake = IntakeService(database, max_bytes=20_000_000, max_pixels=40_000_000)
    truths: dict[int, dict[str, dict[str, str]]] = {}
    for index in range(count):
        card = generate_card(7070, index, condition="scan", keep_flat=True)
        rng = random.Random(index)
        sides, readings = [], []
        for side in (Side.FRONT, Side.BACK):
            shot = card.sides[side]
            sides.append(ImageInput(shot.image, side.value, f"bench{index}_{side.value}.{shot.extension}"))
            reading = SideReading(side=side, kind=card.kind, aligned_jpeg=_jpeg(shot.flat.image))
            editable = [s.name for s in SIDE_FIELDS[side] if not s.derived and shot.truth.get(s.name)]
            wrong = set(rng.sample(editable, min(len(editable), rng.randint(2, 4))))
            for spec in SIDE_FIELDS[side]:
                value = shot.truth.get(spec.name, "")
                if spec.name in wrong:
                    value = value[:-1] + ("X" if not value.endswith("X") else "Y")
                reading.fields[spec.name] = FieldReading(
                    spec.name, value, None if spec.derived else (0.3 if spec.name in wrong else 0.97),
                    box=tuple(shot.boxes[spec.name]) if spec.name in shot.boxes else None)
            readings.append(reading)
        document_id = intake.submit(Submission(images=sides, source="upload", source_detail=f"bench{index}"))
        intake.record_outcome(document_id, ExtractionOutcome(sides=readings, two_sided=True, engine="bench"),
                              checker=check_record, thresholds={}, default_threshold=0.8)
        truths[document_id] = {side.value: dict(card.sides[side].truth) for side in (Side.FRONT, Side.BACK)}
    return truths


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run(database_url: str, documents: int, tmp: Path) -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright

    upgrade(database_url)
    database = Database(database_url)
    UserService(database).create("rita", PASSWORD, Role.REVIEWER)
    truths = seed(database, documents)
    database.dispose()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, DATA_DIR=str(tmp), APP_LANGUAGE="en")
    from services.launcher import commands

    app = subprocess.Popen(commands(Settings(data_dir=tmp, app_address="127.0.0.1", app_port=port))["app"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "app.log", "ab"),
                           start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    times: dict[str, list[float]] = {"move": [], "save": [], "approve_next": [], "move_wall": [], "save_wall": [],
                                     "approve_next_wall": [], "document": []}
    try:
        wait_healthy(f"{url}/_stcore/health", app, 90, interval=0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.add_init_script(EVENTS)
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)  # a first page load compiles and opens the database
            page.goto(url)
            page.wait_for_selector("[data-testid='stAppViewContainer']")
            page.get_by_role("textbox", name="User name").fill("rita")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            page.get_by_role("button", name="Next").click()
            try:
                keys, corrected = _review_all(page, expect, documents, truths, times)
            except Exception:
                page.screenshot(path=str(FAILURE_SHOT))
                print(f"stopped; the screen is in {FAILURE_SHOT}", file=sys.stderr)
                raise
            browser.close()
    finally:
        stop_group(app)
    figures: dict[str, float] = {"documents": documents, "keystrokes_per_field": keys / max(1, corrected)}
    for name, values in times.items():
        scale = 1.0 if name == "document" else 1000.0
        figures[f"{name}_median"] = round(scale * statistics.median(values), 1) if values else float("nan")
        figures[f"{name}_p95"] = round(scale * percentile(values, 0.95), 1)
    return figures


def _review_all(page, expect, documents: int, truths: dict, times: dict[str, list[float]]) -> tuple[int, int]:
    """The scripted reviewer: every document, every field that needs a look; returns the
    keystrokes and the fields corrected."""
    keys = corrected = 0
    for number in range(documents):
        opened = time.perf_counter()
        heading = page.get_by_role("heading", name="Document #", exact=False).first
        expect(heading).to_be_visible()
        document_id = int(heading.inner_text().split("#")[1])
        print(f"document {number + 1} of {documents}: #{document_id}", file=sys.stderr, flush=True)
        page.wait_for_function(f"() => ({FOCUSED_ROW})() !== null", timeout=30_000)
        truth = truths[document_id]
        changed: list[str] = []
        while True:
            key = page.evaluate(FOCUSED_ROW)
            if key is None:  # past the last field that needs a look: on Approve
                break
            _flag, side, name = key.split("-", 2)
            value = truth[side].get(name, "")
            if page.evaluate("() => document.activeElement.value") != value:
                changed.append(f"{side}-{name}")
            page.keyboard.press("Control+A")
            page.keyboard.type(value)
            keys += 2 + len(value)  # Ctrl+A, the value, Enter
            corrected += 1
            started = time.perf_counter()
            page.keyboard.press("Enter")
            _timed(page, times, "move", started, f"(previous) => ({FOCUSED_ROW})() !== previous", key)
        # A save of every correction, then approve (which saves too) and open the next.
        started = time.perf_counter()
        page.get_by_role("button", name="Save").click()
        _timed(page, times, "save", started, SAVED_AND_IDLE, changed)  # the page redrawn, not only a toast shown
        started = time.perf_counter()
        page.keyboard.press("Control+Enter")
        if number < documents - 1:
            _timed(page, times, "approve_next", started, READY,
                   [f"Document #{document_id} approved; here is the next.", f"Document #{document_id}"])
        else:  # no next document to time
            expect(page.get_by_text(f"Document #{document_id} approved.")).to_be_visible()
        times["document"].append(time.perf_counter() - opened)
    return keys, corrected


def _timed(page, times: dict[str, list[float]], name: str, started: float, condition: str, arg: object) -> None:
    """Wait for `condition(arg)` checked every frame; record the time since the action's event
    in the page (`name`) and since `started` in Python (`name_wall`)."""
    handle = page.wait_for_function(
        f"(arg) => ({condition})(arg) ? Math.max(1e-3, performance.now() - window.vrEventAt) : false", arg=arg)
    times[f"{name}_wall"].append(time.perf_counter() - started)
    times[name].append(handle.json_value() / 1000.0)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made there)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            url, drop = scratch_postgres(args.postgres)
            try:
                figures = run(url, args.documents, Path(tmp))
            finally:
                drop()
            backend = "postgresql"
        else:
            figures = run(f"sqlite:///{Path(tmp) / 'app.db'}", args.documents, Path(tmp))
            backend = "sqlite"
    print(f"\n{backend}: {figures['documents']:.0f} documents; ms median / p95: "
          f"move {figures['move_median']} / {figures['move_p95']}, save {figures['save_median']} / "
          f"{figures['save_p95']}, approve and next {figures['approve_next_median']} / {figures['approve_next_p95']}; "
          f"s per document {figures['document_median']} / {figures['document_p95']}; keystrokes per corrected "
          f"field {figures['keystrokes_per_field']:.1f}")
    print(f"timed from Python around Playwright's steps (ms median / p95): move {figures['move_wall_median']} / "
          f"{figures['move_wall_p95']}, save {figures['save_wall_median']} / {figures['save_wall_p95']}, approve and "
          f"next {figures['approve_next_wall_median']} / {figures['approve_next_wall_p95']}")
    print("SUMMARY " + f"database={backend} " + " ".join(f"{k}={v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
