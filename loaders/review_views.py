"""Read-only views for the review app: counts, doubtful values of a field, reviewer statistics, spot checks.

Never writes. Scope: ``offices`` as :func:`loaders.approval.office_scope` gives it (None: every office).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from loaders.models import AuditLog, Book, Record, RecordState, User

WORKABLE = (RecordState.STAGED, RecordState.IN_REVIEW)
IDLE_GAP = dt.timedelta(minutes=10)  # a longer pause between two actions is a break, not work
MIN_ACTIVE = dt.timedelta(minutes=10)  # less active time than this gives no rate


def _scoped(query: Any, offices: Collection[str] | None) -> Any:
    return query if offices is None else query.where(Book.office_code.in_(sorted(offices)))


def state_counts(session: Session, offices: Collection[str] | None) -> dict[str, int]:
    """Records per state in the offices."""
    query = select(Record.state, func.count()).join(Book, Book.id == Record.book_id).group_by(Record.state)
    counts = {s.value: 0 for s in RecordState}
    for state, count in session.execute(_scoped(query, offices)):
        counts[str(state)] = count
    return counts


def books(session: Session, offices: Collection[str] | None) -> list[Book]:
    query = _scoped(select(Book), offices)
    return list(session.scalars(query.order_by(Book.office_code, Book.book_type, Book.era, Book.volume)))


def doubtful(entry: Any, below: float) -> bool:
    """A field value a person should look at: low OCR or normalization confidence, or an issue."""
    if not isinstance(entry, Mapping):
        return False
    if entry.get("edited_by"):  # a person already decided this value
        return bool(entry.get("issues"))
    for key in ("confidence", "norm_confidence"):
        value = entry.get(key)
        if isinstance(value, int | float) and value < below:
            return True
    return bool(entry.get("issues"))


def _workable(session: Session, book_id: int) -> list[Record]:
    query = select(Record).where(Record.book_id == book_id, Record.state.in_(WORKABLE))
    return list(session.scalars(query.order_by(Record.page_id, Record.row_no)))


def doubtful_field_counts(session: Session, book_id: int, below: float) -> dict[str, int]:
    """Field key → how many records of the book (still to review) have a doubtful value there."""
    counts: dict[str, int] = {}
    for record in _workable(session, book_id):
        for key, entry in (record.fields or {}).items():
            if doubtful(entry, below):
                counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def doubtful_records(session: Session, book_id: int, key: str, below: float) -> list[Record]:
    """Records of the book still to review whose value of ``key`` is doubtful, in page and row order."""
    return [r for r in _workable(session, book_id) if doubtful((r.fields or {}).get(key), below)]


@dataclass
class ReviewerStats:
    username: str
    office_code: str | None
    approvals: int = 0
    rejections: int = 0
    edits: int = 0  # edit actions
    fields_corrected: int = 0
    corrected_records: int = 0  # records this reviewer decided that had a correction
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    spot_check: list[int] = field(default_factory=list)
    checked: int = 0  # approvals of this reviewer a supervisor spot-checked (latest check per record)
    check_errors: int = 0  # ... and found different from the page
    times: list[dt.datetime] = field(default_factory=list, repr=False)

    @property
    def decisions(self) -> int:
        return self.approvals + self.rejections

    @property
    def correction_rate(self) -> float | None:
        return self.corrected_records / self.decisions if self.decisions else None

    @property
    def error_rate(self) -> float | None:
        """Share of the spot-checked approvals found wrong; None before any check."""
        return self.check_errors / self.checked if self.checked else None

    @property
    def active_seconds(self) -> float:
        """Time spent working: the gaps between consecutive actions, each counted up to :data:`IDLE_GAP`."""
        times = sorted(self.times)
        return sum(
            min((b - a).total_seconds(), IDLE_GAP.total_seconds()) for a, b in itertools.pairwise(times)
        )

    @property
    def per_hour(self) -> float | None:
        """Decisions per hour of active time; None until there is :data:`MIN_ACTIVE` of it."""
        active = self.active_seconds
        if active < MIN_ACTIVE.total_seconds():
            return None
        return self.decisions * 3600 / active


def _sample(ids: list[int], n: int, seed: str) -> list[int]:
    """A reproducible random sample of ``n`` ids (the same seed, the same sample)."""
    ranked = sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    return sorted(ranked[:n])


def reviewer_stats(
    session: Session,
    offices: Collection[str] | None,
    *,
    since: dt.datetime | None = None,
    sample: int = 5,
    seed: str = "",
) -> list[ReviewerStats]:
    """Per reviewer (of the offices' records): approvals, rejections, corrections and a spot-check sample."""
    query = (
        select(AuditLog.actor, AuditLog.action, AuditLog.entity_id, AuditLog.at, AuditLog.after)
        .join(Record, Record.id == cast(AuditLog.entity_id, Integer))
        .join(Book, Book.id == Record.book_id)
        .where(AuditLog.entity == "record", AuditLog.action.in_(("approve", "reject", "edit", "spot_check")))
        .order_by(AuditLog.id)
    )
    if since is not None:
        query = query.where(AuditLog.at >= since)
    users = {u.username: u for u in session.scalars(select(User))}
    stats: dict[str, ReviewerStats] = {}
    edited: set[str] = set()
    approved: dict[str, list[int]] = {}
    decided: list[tuple[str, str]] = []
    checks: dict[str, tuple[str, bool]] = {}  # record → (its approver, found wrong), the latest check
    for actor, action, entity_id, at, after in session.execute(_scoped(query, offices)):
        if action == "spot_check":  # a supervisor's finding about the approver's work
            reviewer = (after or {}).get("reviewer")
            if isinstance(reviewer, str):
                checks[entity_id] = (reviewer, (after or {}).get("result") == "error")
            continue
        if actor not in users:
            continue
        row = stats.setdefault(actor, ReviewerStats(actor, users[actor].office_code))
        row.first = at if row.first is None else min(row.first, at)
        row.last = at if row.last is None else max(row.last, at)
        row.times.append(at)
        if action == "edit":
            row.edits += 1
            row.fields_corrected += len((after or {}).get("fields") or {})
            edited.add(entity_id)
        elif action == "approve":
            row.approvals += 1
            approved.setdefault(actor, []).append(int(entity_id))
            decided.append((actor, entity_id))
        else:
            row.rejections += 1
            decided.append((actor, entity_id))
    for actor, entity_id in decided:
        if entity_id in edited:
            stats[actor].corrected_records += 1
    for reviewer, wrong in checks.values():
        if reviewer in stats:
            stats[reviewer].checked += 1
            stats[reviewer].check_errors += wrong
    for actor, row in stats.items():
        row.spot_check = _sample(approved.get(actor, []), sample, f"{seed}:{actor}")
    return sorted(stats.values(), key=lambda r: r.username)


def active_claims(
    session: Session, offices: Collection[str] | None, now: dt.datetime
) -> list[tuple[Record, str]]:
    """Records in review with a live claim, and who holds each."""
    query = (
        select(Record, User.username)
        .join(Book, Book.id == Record.book_id)
        .join(User, User.id == Record.claimed_by)
        .where(Record.state == RecordState.IN_REVIEW, Record.claimed_until > now)
        .order_by(Record.claimed_until)
    )
    return [(r, name) for r, name in session.execute(_scoped(query, offices))]
