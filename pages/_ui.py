"""What every page shares: the services, the signed-in user, role checks, labels, safe text.

Values that come from documents or users (names, addresses, file names, reasons) are shown with
`st.text`, `st.code`, inputs or data frames, never through markdown: a value like `**x**` or
`<img onerror=...>` must reach the reviewer as the characters it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Optional

import streamlit as st

from pages import _i18n as i18n
from pages import _reasons as reasons
from services.accounts.web_sessions import COOKIE
from services.bootstrap import Services
from services.core.config import Settings
from services.domain.people import Principal, Role
from services.review.desk import DATABASE_DOWN

PRINCIPAL = "principal"
ROLE_RANK = {Role.REVIEWER: 0, Role.LEAD: 1, Role.ADMIN: 2}

_provided: Optional[Callable[[], Services]] = None


def use_services(factory: Optional[Callable[[], Services]]) -> None:
    """Run the pages of this process on the services this factory gives (an embedding, or a test:
    AppTest runs the scripts in the test's process); None returns to the environment's."""
    global _provided
    _provided = factory


@st.cache_resource(show_spinner=False)
def _from_environment() -> Services:
    # One engine (connection pool) for every session of this server process; sessions and
    # units of work are opened per operation inside the services.
    return Services.from_settings(Settings.from_env())


def services() -> Services:
    return _provided() if _provided is not None else _from_environment()


APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"
# Where the web server (pages/_web.py) turns a sign-in into a session cookie and ends it, and
# serves card pictures; unset when the app runs under plain `streamlit run`, which has no such
# routes (no cookie sessions; pictures go into the page).
_session_routes: Optional[tuple[str, str]] = None
_cards_route: Optional[str] = None


def serve_sessions(begin: str, end: str, cards: Optional[str] = None) -> None:
    global _session_routes, _cards_route
    _session_routes = (begin, end)
    _cards_route = cards


def card_url(document_id: int, image_id: int, digest: str) -> Optional[str]:
    """The address of an aligned card picture (for a browser with a session cookie), or None
    without the web server's routes. `digest` names the picture's bytes: a new picture, a new
    address."""
    if _cards_route is None or st.session_state.get(PRINCIPAL) is None:
        return None
    return f"{_cards_route}/{int(document_id)}/{int(image_id)}?v={re.sub(r'[^0-9a-f]', '', digest)[:32]}"


def _from_cookie() -> Optional[Principal]:
    if _session_routes is None:
        return None
    token = st.context.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return services().web_sessions.principal(token)
    except DATABASE_DOWN:
        return None


def signed_in(principal: Principal) -> None:
    """After a sign-in: the user in this session, and, where the server keeps sessions, the
    browser sent to turn a single-use ticket into its session cookie."""
    st.session_state[PRINCIPAL] = principal
    if _session_routes is not None:
        ticket = services().web_sessions.ticket(principal)
        # The ticket is URL-safe base64 (no quote, no markup) and good for one use, one minute.
        st.html(f"<script>window.location.replace('{_session_routes[0]}?ticket={ticket}');</script>",
                unsafe_allow_javascript=True)
        st.stop()


def sign_out() -> None:
    st.session_state.clear()
    if _session_routes is not None:
        # The route ends the session in the database and removes the cookie.
        st.html(f"<script>window.location.replace('{_session_routes[1]}');</script>", unsafe_allow_javascript=True)
        st.stop()


def current_user() -> Optional[Principal]:
    """The signed-in user, re-read from the database on each run so that a deactivated user or a
    changed role takes effect at once. A reload or a bookmarked page finds the user again from
    the session cookie."""
    principal: Optional[Principal] = st.session_state.get(PRINCIPAL)
    if principal is None:
        principal = _from_cookie()
        if principal is None:
            return None
        st.session_state[PRINCIPAL] = principal
    try:
        fresh = services().users.get(principal.id)
    except DATABASE_DOWN:
        # Keep the session (and whatever the reviewer typed) through an outage; the pages say
        # the database is away where they need it.
        return principal
    if fresh is None:
        st.session_state.pop(PRINCIPAL, None)
        return None
    if fresh != principal:
        st.session_state[PRINCIPAL] = fresh
    return fresh


def language() -> str:
    principal: Optional[Principal] = st.session_state.get(PRINCIPAL)
    if principal is not None and principal.language in i18n.LANGUAGES:
        return principal.language
    chosen = st.session_state.get("language")
    if chosen in i18n.LANGUAGES:
        return chosen
    return services().settings.app_language


def t(key: str, **values: object) -> str:
    return i18n.label(key, language(), **values)


def field_label(name: str) -> str:
    return i18n.field_label(name, language())


def reason(text: str) -> str:
    """Why a field needs a look, in the user's language."""
    return reasons.in_words(text, language())


def may_see(user: Principal, minimum: Role) -> bool:
    return ROLE_RANK[user.role] >= ROLE_RANK[minimum]


def require(minimum: Role) -> Principal:
    """Stop the page unless someone with at least `minimum` is signed in. Pages call this
    themselves: navigation hides pages, this makes sure a URL cannot reach them either."""
    user = current_user()
    if user is None:
        st.error(t("auth.required"))
        st.stop()
    if not may_see(user, minimum):
        st.error(t("auth.denied"))
        st.stop()
    return user


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=&\"'])")


def md_escape(text: str) -> str:
    """Escape user text for the few places that only take markdown (messages)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def flash(message_key: str, **values: object) -> None:
    """A message to show after the next rerun (st.rerun drops what this run drew)."""
    st.session_state["flash"] = (message_key, values)


def show_flash() -> None:
    item = st.session_state.pop("flash", None)
    if item:
        key, values = item
        st.success(t(key, **values))
