"""The review app: `streamlit run app.py` (or `make run`, which also starts the workers).

Navigation depends on who is signed in: nobody sees only the sign-in page; a reviewer uploads and
reviews; a lead also exports and sees figures and thresholds; an admin also manages users, API
keys and settings. Each page checks the role again itself.
"""

from __future__ import annotations

import streamlit as st

from pages import _ui as ui
from services.domain.people import Role

st.set_page_config(page_title="VR OCR review", page_icon=":material/badge:", layout="wide")

# (file, label key, url path, icon, lowest role that sees it)
PAGES = (
    ("pages/upload.py", "nav.upload", "upload", ":material/upload:", Role.REVIEWER),
    ("pages/queue.py", "nav.queue", "queue", ":material/list:", Role.REVIEWER),
    ("pages/review.py", "nav.review", "review", ":material/fact_check:", Role.REVIEWER),
    ("pages/export.py", "nav.export", "export", ":material/download:", Role.LEAD),
    ("pages/figures.py", "nav.figures", "figures", ":material/monitoring:", Role.LEAD),
    ("pages/users.py", "nav.users", "users", ":material/group:", Role.ADMIN),
    ("pages/api_keys.py", "nav.api_keys", "api-keys", ":material/key:", Role.ADMIN),
    ("pages/settings.py", "nav.settings", "settings", ":material/settings:", Role.ADMIN),
)

user = ui.current_user()
if user is None:
    pages = [st.Page("pages/login.py", title=ui.t("nav.login"), url_path="login", icon=":material/login:",
                     default=True)]
else:
    pages = [
        st.Page(path, title=ui.t(label), url_path=url, icon=icon, default=url == "queue")
        for path, label, url, icon, minimum in PAGES
        if ui.may_see(user, minimum)
    ]
    # Hidden, so that the rerun right after signing in (still on the sign-in page's address)
    # lands somewhere that sends the user on to the queue.
    pages.append(st.Page("pages/login.py", title=ui.t("nav.login"), url_path="login", visibility="hidden"))
    with st.sidebar:
        st.text(ui.t("sidebar.signed_in", name=user.username, role=ui.t(f"role.{user.role.value}")))
        choice = st.selectbox(ui.t("sidebar.language"), ("vi", "en"), index=("vi", "en").index(ui.language()),
                              format_func=lambda code: {"vi": "Tiếng Việt", "en": "English"}[code],
                              key="language_choice")
        if choice != ui.language():
            ui.services().users.update(user.username, by=user, language=choice)
            st.rerun()
        if st.button(ui.t("sidebar.sign_out"), icon=":material/logout:"):
            ui.sign_out()
            st.rerun()

st.navigation(pages).run()
