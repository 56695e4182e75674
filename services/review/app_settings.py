"""Settings an admin changes in the app (stored in the database), over the environment's defaults.

Only a few settings live here: those that must change without a restart and apply to every
process at once (the app, each task worker). The environment (`Settings`) gives the defaults.
"""

from __future__ import annotations

from db.session import Database, UnitOfWork
from services.core.config import Settings
from services.domain.people import Principal

OCR_BACKEND = "ocr_backend"
BACKENDS = ("local", "server", "cloud")


class SettingsError(ValueError):
    pass


class AppSettingsService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    def ocr_backend(self) -> str:
        """The backend new submissions use: the admin's choice, else `OCR_BACKEND`."""
        with UnitOfWork(self.database, write=False) as uow:
            stored = uow.settings.get(OCR_BACKEND)
        return stored if stored in BACKENDS else self.settings.ocr_backend

    def set_ocr_backend(self, user: Principal, backend: str) -> None:
        if not user.is_admin:
            raise SettingsError("only admins choose the extraction backend")
        if backend not in BACKENDS:
            raise SettingsError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        with UnitOfWork(self.database) as uow:
            old = uow.settings.get(OCR_BACKEND)
            uow.settings.set(OCR_BACKEND, backend, user.id)
            uow.audit.record(actor=user.username, user_id=user.id, action="setting", field=OCR_BACKEND,
                             old_value=old, new_value=backend)
            uow.commit()

    def backend_configured(self, backend: str) -> bool:
        """Whether the environment carries what a backend needs (a URL and credentials)."""
        if backend == "server":
            return bool(self.settings.ocr_server_url)
        if backend == "cloud":
            return bool(self.settings.ocr_cloud_url and self.settings.ocr_cloud_key and self.settings.ocr_cloud_secret)
        return True
