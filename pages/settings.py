"""Settings (admins): the extraction backend new uploads use."""

from __future__ import annotations

import streamlit as st

from pages import _ui as ui
from services.domain.people import Role
from services.review.app_settings import BACKENDS, SettingsError

admin = ui.require(Role.ADMIN)
svc = ui.services()
store = svc.app_settings

st.title(ui.t("settings.title"))
current = store.ocr_backend()
with st.form("backend"):
    backend = st.radio(ui.t("settings.backend"), BACKENDS, index=BACKENDS.index(current),
                       format_func=lambda b: ui.t(f"backend.{b}"))
    st.caption(ui.t("settings.backend_help"))
    if st.form_submit_button(ui.t("settings.save"), type="primary"):
        if not store.backend_configured(backend):
            st.error(ui.t("settings.backend_unconfigured"))
        else:
            try:
                store.set_ocr_backend(admin, backend)
            except SettingsError as exc:
                st.error(ui.t("settings.error"))
                st.text(str(exc))
            else:
                st.success(ui.t("settings.saved"))

st.subheader(ui.t("settings.environment"))
settings = svc.settings
st.dataframe({
    ui.t("col.setting"): ["APP_LANGUAGE", "OCR_SERVER_URL", "OCR_CLOUD_URL", "MAX_UPLOAD_BYTES", "MAX_IMAGE_PIXELS",
                          "CLAIM_TTL_MINUTES", "DEFAULT_THRESHOLD", "WORKERS", "REDIS_URL"],
    ui.t("col.value"): [settings.app_language, settings.ocr_server_url, settings.ocr_cloud_url,
                        str(settings.max_upload_bytes), str(settings.max_image_pixels),
                        str(settings.claim_ttl_minutes), str(settings.default_threshold), str(settings.workers),
                        ui.t("settings.set") if settings.redis_url else ui.t("settings.unset")],
}, hide_index=True)
