"""Reviewers' decisions on person links: confirm a suggestion, reject it, or choose another person.

Works inside the caller's session, never commits; every decision audited (with its record). A decision is a
change of the record in review and obeys the same rule as a field edit
(:func:`loaders.approval.workable_record`): a link of another office's record is
:class:`~sohoa.errors.NotFoundError`; a record approved, loaded or rejected is a
:class:`~sohoa.errors.StateError`; one claimed by another reviewer a :class:`~sohoa.errors.ConflictError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.approval import office_scope, workable_record
from loaders.audit import audit
from loaders.models import Book, Link, LinkStatus, Person, PersonMention, Record, User, utcnow
from sohoa.errors import NotFoundError

DECIDED = (LinkStatus.CONFIRMED, LinkStatus.REJECTED)


@dataclass(frozen=True)
class LinkView:
    id: int
    person_id: int
    person_name: str
    birth_year: int | None
    score: float
    status: str
    kind: str  # auto, suggested, constraint, merge, manual
    levels: dict[str, Any]
    weights: dict[str, Any]
    notes: list[str]
    violation: str | None
    other_record_id: int | None


@dataclass(frozen=True)
class MentionView:
    id: int
    role: str
    full_name: str
    birth_date: str | None
    person_id: int | None
    person_name: str | None
    links: list[LinkView] = field(default_factory=list)


def _link_view(link: Link, person: Person, other_record: int | None) -> LinkView:
    ev = link.evidence or {}
    return LinkView(
        id=link.id,
        person_id=person.id,
        person_name=person.display_name,
        birth_year=person.birth_year,
        score=float(link.score),
        status=str(link.status),
        kind=str(ev.get("decision") or link.status),
        levels=dict(ev.get("levels") or {}),
        weights=dict(ev.get("weights") or {}),
        notes=[str(n) for n in ev.get("notes") or []],
        violation=ev.get("violation"),
        other_record_id=other_record,
    )


def record_links(session: Session, record_id: int) -> list[MentionView]:
    """The mentions of a record with their person and every link (best score first)."""
    mentions = list(
        session.scalars(
            select(PersonMention).where(PersonMention.record_id == record_id).order_by(PersonMention.id)
        )
    )
    if not mentions:
        return []
    rows = session.execute(
        select(Link, Person)
        .join(Person, Person.id == Link.person_id)
        .where(Link.mention_id.in_([m.id for m in mentions]))
        .order_by(Link.mention_id, Link.score.desc())
    ).all()
    other_rows = {
        int(v) for link, _p in rows if isinstance(v := (link.evidence or {}).get("other_mention_row"), int)
    }
    other_records: dict[int, int] = {}
    if other_rows:
        query = select(PersonMention.id, PersonMention.record_id).where(PersonMention.id.in_(other_rows))
        other_records = {mention_id: record_id for mention_id, record_id in session.execute(query)}
    by_mention: dict[int, list[LinkView]] = {}
    for link, person in rows:
        other = (link.evidence or {}).get("other_mention_row")
        by_mention.setdefault(link.mention_id, []).append(
            _link_view(link, person, other_records.get(other) if isinstance(other, int) else None)
        )
    persons = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_({m.person_id for m in mentions if m.person_id}))
        )
    }
    return [
        MentionView(
            id=m.id,
            role=m.role,
            full_name=m.full_name,
            birth_date=m.birth_date,
            person_id=m.person_id,
            person_name=persons[m.person_id].display_name if m.person_id in persons else None,
            links=by_mention.get(m.id, []),
        )
        for m in mentions
    ]


def _workable_link(session: Session, link_id: int, user: User) -> tuple[Link, PersonMention]:
    """The link and its mention, if ``user`` may change the mention's record now (else the rule's error)."""
    link = session.get(Link, link_id)
    mention = session.get(PersonMention, link.mention_id) if link is not None else None
    if link is None or mention is None:
        raise NotFoundError(f"không có liên kết {link_id}")
    workable_record(session, mention.record_id, user)
    return link, mention


def _snapshot(link: Link, mention: PersonMention) -> dict[str, Any]:
    return {
        "status": link.status,
        "person_id": link.person_id,
        "mention_person_id": mention.person_id,
        "record_id": mention.record_id,
    }


def confirm_link(session: Session, link_id: int, user: User) -> Link:
    """The mention is this person: the link ``confirmed``, the mention's person set, other suggestions rejected."""
    link, mention = _workable_link(session, link_id, user)
    before = _snapshot(link, mention)
    link.status, link.decided_by = LinkStatus.CONFIRMED, user.id
    mention.person_id = link.person_id
    for other in session.scalars(select(Link).where(Link.mention_id == mention.id, Link.id != link.id)):
        if other.status == LinkStatus.SUGGESTED:
            other.status, other.decided_by = LinkStatus.REJECTED, user.id
    session.flush()
    audit(session, user.username, "confirm", "link", link.id, before=before, after=_snapshot(link, mention))
    return link


def reject_link(session: Session, link_id: int, user: User) -> Link:
    """The mention is not this person: the link ``rejected`` (and the mention no longer points to them)."""
    link, mention = _workable_link(session, link_id, user)
    before = _snapshot(link, mention)
    link.status, link.decided_by = LinkStatus.REJECTED, user.id
    if mention.person_id == link.person_id:
        mention.person_id = None
    session.flush()
    audit(session, user.username, "reject", "link", link.id, before=before, after=_snapshot(link, mention))
    return link


def _named_in_scope(session: Session, person_id: int, user: User) -> bool:
    """True when a record the user may see names the person: a reviewer links to a person the linker
    suggested for the mention or one named in their offices' records; another office's persons stay unknown."""
    offices = office_scope(session, user)
    query = (
        select(PersonMention.id)
        .join(Record, Record.id == PersonMention.record_id)
        .join(Book, Book.id == Record.book_id)
        .where(PersonMention.person_id == person_id)
    )
    if offices is not None:
        query = query.where(Book.office_code.in_(sorted(offices)))
    return session.scalars(query.limit(1)).first() is not None


def choose_person(session: Session, mention_id: int, person_id: int, user: User) -> Link:
    """Link the mention to another person the reviewer names (by id): a ``confirmed`` manual link."""
    mention = session.get(PersonMention, mention_id)
    if mention is None:
        raise NotFoundError(f"không có lần nhắc tên {mention_id}")
    workable_record(session, mention.record_id, user)
    suggested = session.scalars(
        select(Link.id).where(Link.mention_id == mention_id, Link.person_id == person_id)
    ).first()
    if session.get(Person, person_id) is None or (
        suggested is None and not _named_in_scope(session, person_id, user)
    ):
        raise NotFoundError(
            f"không có người mang mã {person_id}",
            hint="nhập mã của một người có tên trong bản ghi của cơ quan bạn (tra cứu: Tìm người)",
        )
    link = session.scalars(
        select(Link).where(Link.mention_id == mention_id, Link.person_id == person_id)
    ).first()
    if link is None:
        link = Link(
            mention_id=mention_id,
            person_id=person_id,
            score=0.0,
            status=LinkStatus.SUGGESTED,
            evidence={"decision": "manual"},
            created_at=utcnow(),
        )
        session.add(link)
        session.flush()
    return confirm_link(session, link.id, user)
