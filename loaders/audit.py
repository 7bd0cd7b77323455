"""The audit trail: who changed what, when, from what to what. The only writer of ``audit_log``."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from loaders.models import AuditLog, Base, utcnow

SYSTEM = "system"
NEVER_LOGGED = frozenset({"password_hash"})


def jsonable(value: Any) -> Any:
    """``value`` with dates, enums, decimals, paths, sets and tuples turned into JSON-ready values."""
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    raise TypeError(f"cannot store {type(value).__name__} in the audit log; pass plain values")


def snapshot(obj: Base, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The column values of a model instance as a JSON-ready dict (for ``before`` / ``after``); no secrets."""
    skip = NEVER_LOGGED | set(exclude)
    mapper = inspect(obj).mapper
    return {
        attr.key: jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs if attr.key not in skip
    }


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row to ``session``; it is committed (or rolled back) with the change it describes."""
    if not actor or not action or not entity:
        raise ValueError("audit needs an actor (a username or 'system'), an action and an entity")
    row = AuditLog(
        at=utcnow(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    session.add(row)
    return row
