"""SQLAlchemy 2 models of the sohoa database, portable across SQLite and PostgreSQL.

The schema is created only by the Alembic migrations in ``loaders/migrations`` (``loaders.db.upgrade``):
``Base.metadata.create_all`` would miss the triggers that keep ``audit_log`` append-only.

JSON columns are not mutation-tracked: assign a new dict/list (``record.fields = {...}``) to change them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from normalize.text import ascii_key

UTC = dt.UTC

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(UTC)


# --------------------------------------------------------------------------- enumerations
class OfficeLevel(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class UserRole(StrEnum):
    OPERATOR = "operator"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class BookType(StrEnum):
    """The book groups, in digitization priority order (same values as ``sohoa.fields.BOOK_TYPES``)."""

    MARRIAGE = "marriage"
    BIRTH = "birth"
    PARENT_RECOGNITION = "parent_recognition"
    MARITAL_STATUS = "marital_status"
    DEATH = "death"
    OTHER = "other"


class BookStatus(StrEnum):
    REGISTERED = "registered"
    SCANNING = "scanning"
    SCANNED = "scanned"
    REVIEWING = "reviewing"
    DONE = "done"


class BatchStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PageStatus(StrEnum):
    INGESTED = "ingested"
    OCR_DONE = "ocr_done"
    STAGED = "staged"
    QUARANTINED = "quarantined"


class RecordState(StrEnum):
    STAGED = "staged"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    LOADED = "loaded"
    REJECTED = "rejected"


class RejectReason(StrEnum):
    ILLEGIBLE = "illegible"
    NOT_A_RECORD = "not_a_record"
    RESCAN = "rescan"


class LinkStatus(StrEnum):
    AUTO = "auto"
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


# --------------------------------------------------------------------------- column types
ENUM_LENGTH = 32


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    """A StrEnum stored as VARCHAR(32) with a CHECK constraint named ``ck_<table>_<name>``."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=ENUM_LENGTH,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored in UTC; SQLite keeps it naive and it comes back with ``tzinfo=UTC``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value!r}: pass a timezone-aware value (e.g. loaders.models.utcnow())"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON everywhere; JSONB on PostgreSQL (comparable, indexable). Python None is stored as SQL NULL.
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
# 64-bit ids on PostgreSQL; SQLite needs INTEGER for its rowid autoincrement.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Mapped[int]:
    return mapped_column(IdType, primary_key=True, autoincrement=True)


def _fk(target: str, *, nullable: bool = False, ondelete: str | None = None) -> Any:
    return mapped_column(IdType, ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _created() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


# --------------------------------------------------------------------------- tables
class Office(Base):
    __tablename__ = "offices"
    __table_args__ = (Index("ix_offices_parent_code", "parent_code"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[OfficeLevel] = mapped_column(str_enum(OfficeLevel, "level"))
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("offices.code"))

    parent: Mapped[Office | None] = relationship(remote_side=[code])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = _id()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(str_enum(UserRole, "role"))
    office_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("offices.code"))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = _created()

    office: Mapped[Office | None] = relationship()


class UserSession(Base):
    """A signed-in session of the review app (``loaders.sessions``): the cookie holds a random token, this row
    its SHA-256. A session is open while ``ended_at`` is NULL; ended sessions are never reopened."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_ended_at", "user_id", "ended_at"),)

    id: Mapped[int] = _id()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = _fk("users.id")
    created_at: Mapped[dt.datetime] = _created()
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))  # logout, locked, password, admin, expired


class Book(Base):
    __tablename__ = "books"
    __table_args__ = (UniqueConstraint("office_code", "book_type", "era", "volume"),)

    id: Mapped[int] = _id()
    office_code: Mapped[str] = mapped_column(String(32), ForeignKey("offices.code"))
    book_type: Mapped[BookType] = mapped_column(str_enum(BookType, "book_type"))
    era: Mapped[str] = mapped_column(String(16))
    volume: Mapped[str] = mapped_column(String(32))
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[BookStatus] = mapped_column(str_enum(BookStatus, "status"), default=BookStatus.REGISTERED)
    created_at: Mapped[dt.datetime] = _created()

    office: Mapped[Office] = relationship()


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_book_id", "book_id"),)

    id: Mapped[int] = _id()
    book_id: Mapped[int] = _fk("books.id")
    source: Mapped[str] = mapped_column(Text)  # the folder or list file the pages came from
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus, "status"), default=BatchStatus.RUNNING)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    book: Mapped[Book] = relationship()


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("book_id", "sha256"),
        Index("ix_pages_book_id_status", "book_id", "status"),
        Index("ix_pages_book_id_page_no", "book_id", "page_no"),
        Index("ix_pages_batch_id", "batch_id"),
    )

    id: Mapped[int] = _id()
    book_id: Mapped[int] = _fk("books.id")
    batch_id: Mapped[int | None] = _fk("batches.id", nullable=True)
    page_no: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    image_path: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    quality: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[PageStatus] = mapped_column(str_enum(PageStatus, "status"), default=PageStatus.INGESTED)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()

    book: Mapped[Book] = relationship()


class Record(Base):
    """One record (ledger row or form page) of a book.

    ``fields`` maps field keys to ``{text, value, confidence, bbox, issues: [...]}``; ``version`` is the
    optimistic lock: a stale update raises ``sqlalchemy.orm.exc.StaleDataError``.
    """

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("page_id", "row_no"),
        Index("ix_records_book_id_state", "book_id", "state"),
        Index("ix_records_state_claimed_until", "state", "claimed_until"),
        Index("ix_records_claimed_by", "claimed_by"),
    )

    id: Mapped[int] = _id()
    page_id: Mapped[int] = _fk("pages.id")
    row_no: Mapped[int] = mapped_column(Integer)
    book_id: Mapped[int] = _fk("books.id")
    book_type: Mapped[BookType] = mapped_column(str_enum(BookType, "book_type"))
    era: Mapped[str] = mapped_column(String(16))
    state: Mapped[RecordState] = mapped_column(str_enum(RecordState, "state"), default=RecordState.STAGED)
    reject_reason: Mapped[RejectReason | None] = mapped_column(str_enum(RejectReason, "reject_reason"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    issues: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[int | None] = _fk("users.id", nullable=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    page: Mapped[Page] = relationship()
    book: Mapped[Book] = relationship()
    mentions: Mapped[list[PersonMention]] = relationship(back_populates="record", order_by="PersonMention.id")


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = _id()
    display_name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = _created()


def name_key(full_name: str) -> str:
    """What person search filters on (``PersonMention.name_key``): the name without diacritics, lowercase,
    between spaces (`` nguyen van an ``)."""
    return f" {ascii_key(full_name)} "


def _name_key_default(context: Any) -> str:
    return name_key(context.get_current_parameters().get("full_name") or "")


class PersonMention(Base):
    """A person as named in one role of one record (``child``, ``mother``, ``bride`` …)."""

    __tablename__ = "person_mentions"
    __table_args__ = (
        UniqueConstraint("record_id", "role"),
        Index("ix_person_mentions_person_id", "person_id"),
        Index("ix_person_mentions_birth_year", "birth_year"),
    )

    id: Mapped[int] = _id()
    record_id: Mapped[int] = _fk("records.id")
    role: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(210), default=_name_key_default, server_default="")
    birth_date: Mapped[str | None] = mapped_column(String(10))  # ISO, possibly partial
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))
    attrs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    person_id: Mapped[int | None] = _fk("persons.id", nullable=True, ondelete="SET NULL")

    record: Mapped[Record] = relationship(back_populates="mentions")
    person: Mapped[Person | None] = relationship()


class Link(Base):
    """A candidate or decided link from a mention to a person, with its score and evidence."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("mention_id", "person_id"),
        Index("ix_links_person_id", "person_id"),
        Index("ix_links_status", "status"),
    )

    id: Mapped[int] = _id()
    mention_id: Mapped[int] = _fk("person_mentions.id")
    person_id: Mapped[int] = _fk("persons.id")
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[LinkStatus] = mapped_column(str_enum(LinkStatus, "status"))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = _created()
    decided_by: Mapped[int | None] = _fk("users.id", nullable=True)

    mention: Mapped[PersonMention] = relationship()
    person: Mapped[Person] = relationship()


class OfficialRecord(Base):
    """The official partition: written only by approval, never by OCR."""

    __tablename__ = "official_records"
    __table_args__ = (
        Index("ix_official_records_book_id", "book_id"),
        Index("ix_official_records_office_code_book_type_era", "office_code", "book_type", "era"),
    )

    id: Mapped[int] = _id()
    record_id: Mapped[int] = mapped_column(IdType, ForeignKey("records.id"), unique=True)
    book_id: Mapped[int] = _fk("books.id")
    book_type: Mapped[BookType] = mapped_column(str_enum(BookType, "book_type"))
    era: Mapped[str] = mapped_column(String(16))
    office_code: Mapped[str] = mapped_column(String(32), ForeignKey("offices.code"))
    registration_number: Mapped[str | None] = mapped_column(String(64))
    registration_date: Mapped[dt.date | None] = mapped_column(Date)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # final values by field key
    approved_by: Mapped[int] = _fk("users.id")
    approved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    loaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    record: Mapped[Record] = relationship()


class AuditLog(Base):
    """Append-only (database triggers refuse UPDATE and DELETE); write it only with ``loaders.audit.audit``."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = _id()
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # a username or 'system'
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
