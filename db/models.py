"""Storage model: who may do what, what was submitted, what the engine read, what people changed.

Originals are never overwritten: an extracted value stays in `Field.value` and a reviewer's
change goes to `Field.corrected_value`; every change is also written to the append-only
`AuditEntry` table (guarded by database triggers, see the first migration).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from services.domain.people import Role
from services.domain.records import DocumentStatus, FieldStatus


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.REVIEWER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[Optional[str]] = mapped_column(String(2))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(128))
    quota: Mapped[Optional[int]] = mapped_column(BigInteger)  # None: unlimited
    request_count: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]


class Batch(Base):
    """A group of uploads submitted together, for the progress bar."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    total: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """One submission of one or two sides of one certificate."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_plate_key", "plate_key"),
        Index("ix_documents_chassis_key", "chassis_key"),
        Index("ix_documents_province_code", "province_code"),
        Index("ix_documents_batch_id", "batch_id"),
        Index("ix_documents_created_at", "created_at"),
        Index("ix_documents_reviewed_at", "reviewed_at"),
        # "The document this reviewer already holds", asked before every claim: without it that
        # reads every in_review row. Claims are cleared on approve, reject and release, so each
        # reviewer has only a few entries.
        Index("ix_documents_claimed_by", "claimed_by", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # upload, url, batch, api
    source_detail: Mapped[str] = mapped_column(Text, default="")  # file name or URL
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.EXTRACTING.value)
    kind: Mapped[str] = mapped_column(String(16), default="unknown")
    backend: Mapped[str] = mapped_column(String(16), default="local")
    enqueue_review: Mapped[bool] = mapped_column(Boolean, default=True)
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("batches.id"))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    api_key_id: Mapped[Optional[int]] = mapped_column(ForeignKey("api_keys.id"))
    claimed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[Optional[datetime]]
    reviewed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[datetime]]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Denormalised from the fields, for ordering and filtering the queue without a join.
    min_confidence: Mapped[Optional[float]] = mapped_column(Float)
    review_reasons: Mapped[list[Any]] = mapped_column(default=list)
    look_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # fields that need a look
    province_code: Mapped[Optional[str]] = mapped_column(String(8))
    plate_key: Mapped[Optional[str]] = mapped_column(String(32))
    chassis_key: Mapped[Optional[str]] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text, default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    images: Mapped[list["Image"]] = relationship(back_populates="document", order_by="Image.id")
    fields: Mapped[list["FieldValue"]] = relationship(back_populates="document", order_by="FieldValue.id")
    extractions: Mapped[list["Extraction"]] = relationship(back_populates="document", order_by="Extraction.id")


# The review queue's order (DocumentRepository.queue_order) behind an equality on `status`, column
# for column, so that the next document to claim is the first index entry of its status instead of
# a sort of the whole queue: the most fields needing a look first, then the oldest.
Index(
    "ix_documents_queue",
    Document.status,
    Document.look_count.desc(),
    Document.created_at,
    Document.id,
)


class Image(Base):
    """One side as submitted. Bytes live in the database so that workers on other machines need
    nothing but the database connection."""

    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("document_id", "side"),
        Index("ix_images_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))  # front, back, any (one image, side unknown)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    aligned: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # JPEG of the aligned card
    detected_side: Mapped[Optional[str]] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="images")


class Extraction(Base):
    __tablename__ = "extractions"
    __table_args__ = (Index("ix_extractions_document_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    engine: Mapped[str] = mapped_column(String(32))
    engine_version: Mapped[str] = mapped_column(String(32))
    response: Mapped[dict[str, Any]]  # the raw seed-format answer, images stripped
    error_code: Mapped[int] = mapped_column(Integer, default=0)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    document: Mapped[Document] = relationship(back_populates="extractions")


class FieldValue(Base):
    __tablename__ = "fields"
    __table_args__ = (
        UniqueConstraint("document_id", "side", "name"),
        Index("ix_fields_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    extraction_id: Mapped[Optional[int]] = mapped_column(ForeignKey("extractions.id"))
    side: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(48))
    value: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[Optional[float]] = mapped_column(Float)
    box: Mapped[Optional[list[Any]]] = mapped_column(JSON)  # [x, y, w, h] on the aligned card
    check_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    check_reason: Mapped[str] = mapped_column(Text, default="")
    # The engine's own doubt (a label it could not find): kept until the value is corrected.
    engine_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="")  # what normalisation changed
    corrected_value: Mapped[Optional[str]] = mapped_column(Text)
    corrected_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    corrected_at: Mapped[Optional[datetime]]
    status: Mapped[str] = mapped_column(String(16), default=FieldStatus.EXTRACTED.value)

    document: Mapped[Document] = relationship(back_populates="fields")

    @property
    def current_value(self) -> str:
        return self.value if self.corrected_value is None else self.corrected_value


class DocumentSkip(Base):
    """A reviewer passed over a document: it comes back to them only after the others."""

    __tablename__ = "document_skips"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the database only its hash. A
    `ticket` is the short-lived, single-use token that turns a sign-in into that cookie."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="session")  # session, ticket
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[Optional[datetime]]


class AuditEntry(Base):
    """Append-only: the database refuses UPDATE and DELETE on this table."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_document_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(64))  # username, or "api:<key id>", "system"
    action: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    field: Mapped[Optional[str]] = mapped_column(String(64))
    old_value: Mapped[Optional[str]] = mapped_column(Text)
    new_value: Mapped[Optional[str]] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")


class FieldThreshold(Base):
    """Per-field confidence thresholds set by leads; fields not listed use the default."""

    __tablename__ = "field_thresholds"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AppSetting(Base):
    """Settings changed in the app (backend choice); the environment gives the defaults."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
