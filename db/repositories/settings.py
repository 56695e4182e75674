"""Settings stored in the database: per-field thresholds and the app's own settings."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import AppSetting, FieldThreshold


class SettingsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def thresholds(self) -> dict[str, float]:
        return {row.name: row.threshold for row in self.session.scalars(select(FieldThreshold))}

    def set_threshold(self, name: str, threshold: float, user_id: Optional[int]) -> None:
        row = self.session.get(FieldThreshold, name)
        if row is None:
            self.session.add(FieldThreshold(name=name, threshold=threshold, updated_by=user_id))
        else:
            row.threshold = threshold
            row.updated_by = user_id

    def clear_threshold(self, name: str) -> None:
        self.session.execute(delete(FieldThreshold).where(FieldThreshold.name == name))

    def get(self, key: str) -> Optional[str]:
        row = self.session.get(AppSetting, key)
        return row.value if row else None

    def set(self, key: str, value: str, user_id: Optional[int]) -> None:
        row = self.session.get(AppSetting, key)
        if row is None:
            self.session.add(AppSetting(key=key, value=value, updated_by=user_id))
        else:
            row.value = value
            row.updated_by = user_id
