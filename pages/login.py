"""Sign-in with a user name and password kept (hashed) in the database."""

from __future__ import annotations

import streamlit as st

from pages import _ui as ui
from services.accounts.users import AuthError

if ui.current_user() is not None:
    st.switch_page("pages/queue.py")

st.title(ui.t("login.title"))
language = st.segmented_control(ui.t("sidebar.language"), ("vi", "en"), default=ui.language(),
                                format_func=lambda code: {"vi": "Tiếng Việt", "en": "English"}[code],
                                key="login_language")
if language and language != st.session_state.get("language", ui.language()):
    st.session_state["language"] = language
    st.rerun()

with st.form("login"):
    username = st.text_input(ui.t("login.username"), autocomplete="username")
    password = st.text_input(ui.t("login.password"), type="password", autocomplete="current-password")
    submitted = st.form_submit_button(ui.t("login.submit"), type="primary")

if submitted:
    try:
        # Streamlit gives no address for a local connection (None): those share one count.
        address = st.context.ip_address
        principal = ui.services().users.authenticate(
            username, password, client=address if isinstance(address, str) and address else "local")
    except AuthError as exc:
        # The service's message never says whether the user exists; show its translation.
        st.error(ui.t("login.locked") if "Too many" in str(exc) else ui.t("login.failed"))
    else:
        st.session_state.clear()
        ui.signed_in(principal)
        st.rerun()
