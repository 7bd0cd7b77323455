"""Initial schema: offices, users, books, batches, pages, records, persons, mentions, links,
official records and the append-only audit log.

Written by hand; it must stay in agreement with loaders/models.py (tests/test_loaders_migrations.py
compares them). Later migrations that rebuild audit_log with batch_alter_table on SQLite must
re-create its triggers.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TS = sa.DateTime(timezone=True)
ENUM = sa.String(32)

BOOK_TYPES = ("marriage", "birth", "parent_recognition", "marital_status", "death", "other")


def _check(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False)


def _fk(column: str, table: str, target: str, *, nullable: bool = False, ondelete: str | None = None) -> tuple:
    col = sa.Column(column, ID, nullable=nullable)
    fk = sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"), ondelete=ondelete
    )
    return col, fk


def upgrade() -> None:
    op.create_table(
        "offices",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", ENUM, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_offices")),
        sa.ForeignKeyConstraint(["parent_code"], ["offices.code"], name=op.f("fk_offices_parent_code_offices")),
        _check("offices", "level", ("province", "district", "commune")),
    )
    op.create_index(op.f("ix_offices_parent_code"), "offices", ["parent_code"])

    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("office_code", sa.String(32), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.ForeignKeyConstraint(["office_code"], ["offices.code"], name=op.f("fk_users_office_code_offices")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        _check("users", "role", ("operator", "reviewer", "supervisor", "admin")),
    )

    op.create_table(
        "books",
        _id(),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("book_type", ENUM, nullable=False),
        sa.Column("era", sa.String(16), nullable=False),
        sa.Column("volume", sa.String(32), nullable=False),
        sa.Column("year_from", sa.Integer(), nullable=True),
        sa.Column("year_to", sa.Integer(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_books")),
        sa.ForeignKeyConstraint(["office_code"], ["offices.code"], name=op.f("fk_books_office_code_offices")),
        sa.UniqueConstraint(
            "office_code", "book_type", "era", "volume", name=op.f("uq_books_office_code_book_type_era_volume")
        ),
        _check("books", "book_type", BOOK_TYPES),
        _check("books", "status", ("registered", "scanning", "scanned", "reviewing", "done")),
    )

    book_col, book_fk = _fk("book_id", "batches", "books.id")
    op.create_table(
        "batches",
        _id(),
        book_col,
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("counts", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        book_fk,
        _check("batches", "status", ("running", "done", "failed")),
    )
    op.create_index(op.f("ix_batches_book_id"), "batches", ["book_id"])

    book_col, book_fk = _fk("book_id", "pages", "books.id")
    batch_col, batch_fk = _fk("batch_id", "pages", "batches.id", nullable=True)
    op.create_table(
        "pages",
        _id(),
        book_col,
        batch_col,
        sa.Column("page_no", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("image_path", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("quality", JSON, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        book_fk,
        batch_fk,
        sa.UniqueConstraint("book_id", "sha256", name=op.f("uq_pages_book_id_sha256")),
        _check("pages", "status", ("ingested", "ocr_done", "staged", "quarantined")),
    )
    op.create_index(op.f("ix_pages_book_id_status"), "pages", ["book_id", "status"])
    op.create_index(op.f("ix_pages_book_id_page_no"), "pages", ["book_id", "page_no"])
    op.create_index(op.f("ix_pages_batch_id"), "pages", ["batch_id"])

    page_col, page_fk = _fk("page_id", "records", "pages.id")
    book_col, book_fk = _fk("book_id", "records", "books.id")
    user_col, user_fk = _fk("claimed_by", "records", "users.id", nullable=True)
    op.create_table(
        "records",
        _id(),
        page_col,
        sa.Column("row_no", sa.Integer(), nullable=False),
        book_col,
        sa.Column("book_type", ENUM, nullable=False),
        sa.Column("era", sa.String(16), nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("reject_reason", ENUM, nullable=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("issues", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        user_col,
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        page_fk,
        book_fk,
        user_fk,
        sa.UniqueConstraint("page_id", "row_no", name=op.f("uq_records_page_id_row_no")),
        _check("records", "book_type", BOOK_TYPES),
        _check("records", "state", ("staged", "in_review", "approved", "loaded", "rejected")),
        _check("records", "reject_reason", ("illegible", "not_a_record", "rescan")),
    )
    op.create_index(op.f("ix_records_book_id_state"), "records", ["book_id", "state"])
    op.create_index(op.f("ix_records_state_claimed_until"), "records", ["state", "claimed_until"])
    op.create_index(op.f("ix_records_claimed_by"), "records", ["claimed_by"])

    op.create_table(
        "persons",
        _id(),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(8), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )

    record_col, record_fk = _fk("record_id", "person_mentions", "records.id")
    person_col, person_fk = _fk("person_id", "person_mentions", "persons.id", nullable=True, ondelete="SET NULL")
    op.create_table(
        "person_mentions",
        _id(),
        record_col,
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(8), nullable=True),
        sa.Column("attrs", JSON, nullable=False),
        person_col,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_mentions")),
        record_fk,
        person_fk,
        sa.UniqueConstraint("record_id", "role", name=op.f("uq_person_mentions_record_id_role")),
    )
    op.create_index(op.f("ix_person_mentions_person_id"), "person_mentions", ["person_id"])
    op.create_index(op.f("ix_person_mentions_birth_year"), "person_mentions", ["birth_year"])

    mention_col, mention_fk = _fk("mention_id", "links", "person_mentions.id")
    person_col, person_fk = _fk("person_id", "links", "persons.id")
    decided_col, decided_fk = _fk("decided_by", "links", "users.id", nullable=True)
    op.create_table(
        "links",
        _id(),
        mention_col,
        person_col,
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        decided_col,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        mention_fk,
        person_fk,
        decided_fk,
        sa.UniqueConstraint("mention_id", "person_id", name=op.f("uq_links_mention_id_person_id")),
        _check("links", "status", ("auto", "suggested", "confirmed", "rejected")),
    )
    op.create_index(op.f("ix_links_person_id"), "links", ["person_id"])
    op.create_index(op.f("ix_links_status"), "links", ["status"])

    record_col, record_fk = _fk("record_id", "official_records", "records.id")
    book_col, book_fk = _fk("book_id", "official_records", "books.id")
    approver_col, approver_fk = _fk("approved_by", "official_records", "users.id")
    op.create_table(
        "official_records",
        _id(),
        record_col,
        book_col,
        sa.Column("book_type", ENUM, nullable=False),
        sa.Column("era", sa.String(16), nullable=False),
        sa.Column("office_code", sa.String(32), nullable=False),
        sa.Column("registration_number", sa.String(64), nullable=True),
        sa.Column("registration_date", sa.Date(), nullable=True),
        sa.Column("fields", JSON, nullable=False),
        approver_col,
        sa.Column("approved_at", TS, nullable=False),
        sa.Column("loaded_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_records")),
        record_fk,
        book_fk,
        sa.ForeignKeyConstraint(
            ["office_code"], ["offices.code"], name=op.f("fk_official_records_office_code_offices")
        ),
        approver_fk,
        sa.UniqueConstraint("record_id", name=op.f("uq_official_records_record_id")),
        _check("official_records", "book_type", BOOK_TYPES),
    )
    op.create_index(op.f("ix_official_records_book_id"), "official_records", ["book_id"])
    op.create_index(
        op.f("ix_official_records_office_code_book_type_era"),
        "official_records",
        ["office_code", "book_type", "era"],
    )

    op.create_table(
        "audit_log",
        _id(),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_entity_entity_id"), "audit_log", ["entity", "entity_id"])
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    _create_audit_triggers()


def _create_audit_triggers() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {event} is not allowed'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}; sohoa supports sqlite and postgresql")


def downgrade() -> None:
    # Dropping a table drops its triggers; the PostgreSQL trigger function goes afterwards.
    for table in (
        "audit_log",
        "official_records",
        "links",
        "person_mentions",
        "persons",
        "records",
        "pages",
        "batches",
        "books",
        "users",
        "offices",
    ):
        op.drop_table(table)
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
