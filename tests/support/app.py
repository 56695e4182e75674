"""Driving the review app headless (Streamlit's AppTest) in the test's process: the roles and
their pages, signing in, finding buttons and inputs by their labels."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Optional

from streamlit.testing.v1 import AppTest

from db.migrate import upgrade
from pages._i18n import LABELS
from services.bootstrap import Services
from services.core.config import REPO_ROOT, Settings
from services.domain.people import Principal, Role
from tests.support.factories import make_user
from tests.support.wiring import app_wired_to, wired_services

APP = str(REPO_ROOT / "app.py")
PASSWORD = "correct horse battery"  # the factories' password
ALL_PAGES = ("upload", "queue", "review", "export", "figures", "users", "api_keys", "settings")
ALLOWED = {
    Role.REVIEWER: {"upload", "queue", "review"},
    Role.LEAD: {"upload", "queue", "review", "export", "figures"},
    Role.ADMIN: set(ALL_PAGES),
}


def user(svc: Services, role: Role, name: Optional[str] = None, language: Optional[str] = None) -> Principal:
    principal = make_user(svc.database, name or role.value, role)
    if language:
        svc.users.update(principal.username, by=principal, language=language)
        principal = svc.users.get(principal.id)
    return principal


def app(principal: Optional[Principal] = None, page: Optional[str] = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if principal is not None:
        at.session_state["principal"] = principal
    at.run()
    if page is not None:
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, at.exception
    return at


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def button(at: AppTest, label_key: str, language: str = "vi"):
    label = LABELS[label_key][0 if language == "vi" else 1]
    matches = [b for b in at.button if b.label == label] + [b for b in at.get("form_submit_button")
                                                            if getattr(b, "label", None) == label]
    assert matches, f"no button {label!r}"
    return matches[0]


def vi(key: str, **values: object) -> str:
    return LABELS[key][0].format(**values)


def all_markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown) + "\n".join(
        str(getattr(m, "value", "")) for kind in ("error", "warning", "info", "success", "caption")
        for m in at.get(kind))


def open_next(at: AppTest) -> AppTest:
    button(at, "queue.next").click()
    at.run()
    # The page switched itself to the review screen; AppTest keeps its own idea of the current
    # page, so tell it, as the browser's address bar would.
    at.switch_page("pages/review.py")
    at.run()
    assert not at.exception, at.exception
    return at


def field_input(at: AppTest, label_key: str):
    from pages._i18n import FIELD_LABELS

    label = FIELD_LABELS[label_key][0]
    inputs = [t for t in list(at.text_input) + list(at.text_area) if t.label == label and not t.disabled]
    assert inputs, label
    return inputs[-1]  # the back side's, where a field is on both sides


@contextlib.contextmanager
def app_services(tmp_path: Path, **settings: object) -> Iterator[Services]:
    """A fresh migrated SQLite database and the app's services wired to it (the factories' plate
    check for the domain's rules); extraction runs at once, in this process, with an invented
    reading."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    services = wired_services(Settings(data_dir=tmp_path, database_url=url, **{"app_language": "vi", **settings}))
    with app_wired_to(services):
        yield services
    services.database.dispose()
