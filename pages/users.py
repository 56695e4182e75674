"""Users (admins): create users with a role, change roles, deactivate, reset passwords."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import _ui as ui
from services.accounts.passwords import new_password
from services.accounts.users import UserError
from services.domain.people import Role

admin = ui.require(Role.ADMIN)
svc = ui.services()
ROLES = [r.value for r in Role]

st.title(ui.t("users.title"))
ui.show_flash()
# The table is drawn last, into this place at the top: a user created or changed by the forms
# below is in it at once.
table = st.container()
people = svc.users.list()

left, right = st.columns(2)
with left, st.form("create_user", clear_on_submit=True):
    st.subheader(ui.t("users.create"))
    username = st.text_input(ui.t("login.username"))
    role = st.selectbox(ui.t("col.role"), ROLES, format_func=lambda r: ui.t(f"role.{r}"))
    password = st.text_input(ui.t("users.password_blank_generates"), type="password")
    if st.form_submit_button(ui.t("users.create"), type="primary"):
        generated = not password
        secret = password or new_password()
        try:
            svc.users.create(username, secret, Role(role), by=admin)
        except UserError as exc:
            st.error(ui.t("users.error"))
            st.text(str(exc))
        else:
            st.success(ui.t("users.created"))
            if generated:
                st.caption(ui.t("users.password_once"))
                st.code(secret, language=None)

with right, st.form("edit_user"):
    st.subheader(ui.t("users.edit"))
    names = [str(p["username"]) for p in people]
    target = st.selectbox(ui.t("col.user"), names)
    current = next((p for p in people if p["username"] == target), None)
    new_role = st.selectbox(ui.t("col.role"), ROLES, format_func=lambda r: ui.t(f"role.{r}"),
                            index=ROLES.index(str(current["role"])) if current else 0)
    active = st.checkbox(ui.t("col.active"), value=bool(current["active"]) if current else True)
    reset = st.checkbox(ui.t("users.reset_password"))
    if st.form_submit_button(ui.t("users.apply")):
        secret = new_password() if reset else None
        try:
            svc.users.update(target, by=admin, role=Role(new_role), active=active, password=secret)
        except UserError as exc:
            st.error(ui.t("users.error"))
            st.text(str(exc))
        else:
            st.success(ui.t("users.updated"))
            if secret:
                st.caption(ui.t("users.password_once"))
                st.code(secret, language=None)

with table:
    st.dataframe(pd.DataFrame([
        {ui.t("col.user"): p["username"], ui.t("col.role"): ui.t(f"role.{p['role']}"),
         ui.t("col.active"): p["active"], ui.t("col.language"): p["language"], ui.t("col.created"): p["created_at"]}
        for p in svc.users.list()
    ]), hide_index=True, width="stretch")
