"""Migrations: up, down, up again; the models agree with them; the database enforces its rules."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, Enum, delete, inspect, text, update
from sqlalchemy.exc import IntegrityError

from loaders.audit import audit
from loaders.db import current_revision, downgrade, head_revision, make_engine, session_scope, upgrade
from loaders.models import AuditLog, Base

TABLES = {
    "offices",
    "users",
    "books",
    "batches",
    "pages",
    "records",
    "persons",
    "person_mentions",
    "links",
    "official_records",
    "audit_log",
    "user_sessions",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    assert current_revision(db_url) is None
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert _tables(db_url) == TABLES
    downgrade(db_url, "base")
    assert current_revision(db_url) is None
    assert _tables(db_url) == set()
    upgrade(db_url)
    assert _tables(db_url) == TABLES
    upgrade(db_url)  # at head already: nothing to do
    assert current_revision(db_url) == head_revision()


def test_models_agree_with_the_migration(engine: Engine) -> None:
    assert set(Base.metadata.tables) == TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_enumeration_checks_agree_with_the_models(engine: Engine) -> None:
    """Alembic does not compare CHECK constraints: compare their names and allowed values here."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = {
            f"ck_{table.name}_{col.type.name}": list(col.type.enums)
            for col in table.columns
            if isinstance(col.type, Enum)
        }
        found = {ck["name"]: ck["sqltext"] for ck in inspector.get_check_constraints(table.name)}
        assert set(found) == set(expected), table.name
        for name, values in expected.items():
            assert all(f"'{v}'" in found[name] for v in values), (name, found[name])


def test_audit_log_is_append_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        audit(session, "tester", "create", "book", 1, after={"volume": "1"})
    statements = [update(AuditLog).values(actor="someone else"), delete(AuditLog)]
    if engine.dialect.name == "postgresql":
        statements.append(text("TRUNCATE audit_log"))
    for statement in statements:
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with pytest.raises(IntegrityError, match="append-only"), session_scope(engine) as session:
        row = session.query(AuditLog).one()
        row.after = {"volume": "2"}
    with session_scope(engine) as session:
        row = session.query(AuditLog).one()
        assert (row.actor, row.after) == ("tester", {"volume": "1"})


@pytest.mark.parametrize(
    ("table", "values"),
    [
        ("offices", "('X1', 'x', 'planet', 'x', NULL)"),
        ("users", "(1, 'u', 'h', 'emperor', NULL, false, CURRENT_TIMESTAMP)"),
    ],
)
def test_enumerations_are_checked_by_the_database(engine: Engine, table: str, values: str) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} VALUES {values}"))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO offices VALUES ('X1', 'x', 'commune', 'xã', 'nowhere')"))
