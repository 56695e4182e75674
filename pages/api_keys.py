"""API keys (admins): create keys with an optional request quota (the secret is shown once),
change quotas, revoke."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import _ui as ui
from services.domain.people import Role

admin = ui.require(Role.ADMIN)
svc = ui.services()

st.title(ui.t("keys.title"))
keys = svc.api_keys.list()
st.dataframe(pd.DataFrame([
    {ui.t("col.key_id"): k.key_id, ui.t("col.owner"): k.owner,
     ui.t("col.quota"): "∞" if k.quota is None else str(k.quota), ui.t("col.used"): k.request_count,
     ui.t("col.active"): k.active, ui.t("col.created"): k.created_at}
    for k in keys
], columns=[ui.t("col.key_id"), ui.t("col.owner"), ui.t("col.quota"), ui.t("col.used"), ui.t("col.active"),
            ui.t("col.created")]), hide_index=True, width="stretch")

left, right = st.columns(2)
with left, st.form("create_key", clear_on_submit=True):
    st.subheader(ui.t("keys.create"))
    owner = st.text_input(ui.t("col.owner"), max_chars=128)
    quota = st.number_input(ui.t("keys.quota_zero_unlimited"), min_value=0, value=0, step=100)
    if st.form_submit_button(ui.t("keys.create"), type="primary"):
        if not owner.strip():
            st.error(ui.t("keys.owner_needed"))
        else:
            created = svc.api_keys.create(owner.strip(), int(quota) or None, actor=admin.username)
            st.success(ui.t("keys.created"))
            st.caption(ui.t("keys.secret_once"))
            st.code(f"api_key={created.key_id}\napi_secret={created.secret}", language=None)

active = [k.key_id for k in keys if k.active]
with right, st.form("manage_key"):
    st.subheader(ui.t("keys.manage"))
    chosen = st.selectbox(ui.t("col.key_id"), active)
    new_quota = st.number_input(ui.t("keys.quota_zero_unlimited"), min_value=0, value=0, step=100, key="new_quota")
    col1, col2 = st.columns(2)
    set_quota = col1.form_submit_button(ui.t("keys.set_quota"), disabled=not active)
    revoke = col2.form_submit_button(ui.t("keys.revoke"), disabled=not active)
    if set_quota and chosen:
        svc.api_keys.set_quota(chosen, int(new_quota) or None, actor=admin.username)
        st.success(ui.t("keys.quota_set"))
    if revoke and chosen:
        svc.api_keys.revoke(chosen, actor=admin.username)
        st.success(ui.t("keys.revoked"))
