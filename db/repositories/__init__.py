"""Repositories: the queries, so that services speak in domain terms and never in SQL.

One module per aggregate; the unit of work (`db.session.UnitOfWork`) hands out one of each per
transaction.
"""

from db.repositories.audit import AuditLog
from db.repositories.documents import DocumentRepository
from db.repositories.figures import FiguresRepository
from db.repositories.settings import SettingsRepository
from db.repositories.tasks import TaskRepository
from db.repositories.users import ApiKeyRepository, UserRepository
from db.repositories.web_sessions import WebSessionRepository

__all__ = [
    "ApiKeyRepository", "AuditLog", "DocumentRepository", "FiguresRepository", "SettingsRepository",
    "TaskRepository", "UserRepository", "WebSessionRepository",
]
