"""Person linking over the database: mentions of records → persons, incrementally, every change audited.

:func:`link_office` is ``sohoa link``. It

1. loads everything already linked (``person_mentions`` with a person, of records not rejected) into a
   :class:`linkage.LinkIndex` — from the mention each row stores in ``attrs["mention"]``, so nothing is
   normalized again and nothing is rebuilt;
2. takes the records (staged, in review, approved or loaded) that have no mention yet, in id order, in
   chunks, builds their mentions with :func:`linkage.mentions_from_record` from each field's ``text``;
3. links each chunk with :class:`linkage.Linker` against the index (which grows as it goes) and writes
   ``Person`` rows for new persons, ``PersonMention`` rows (with their person), and ``Link`` rows:
   ``auto`` for an automatic link, ``suggested`` for each person a reviewer should consider, ``rejected``
   (``decided_by`` NULL) for a high-scoring person a hard constraint forbade, and ``suggested`` with
   ``evidence["decision"] == "merge"`` for the other person of a merge suggestion (the mention matched
   two persons who may be one). Every link's ``evidence`` is the comparison levels, weights, notes,
   the other mention's row (``other_mention_row``) and the thresholds: a reviewer sees why.
   Confirming or rejecting (``confirmed`` / ``rejected`` with ``decided_by``) is the review app's.

**Scope.** Persons belong to the province, not to one office: people marry, move and die in other
communes, and the district registers some of their events. So the index holds the linked mentions of
every office of the province of ``office_code`` (the root of its office tree), while ``office_code``
(itself and the offices under it: a district includes its communes) limits which records are linked
now. Without an office, every record in the database is linked against every linked mention.

**Idempotent.** A record with at least one mention counts as linked, so a second run links nothing new.
A record whose fields name nobody yields no mention and is looked at again (cheaply) by the next run.
A record corrected after it was linked keeps its mentions as linked (re-linking it is the review app's).
On PostgreSQL, concurrent runs are serialized by a transaction-level advisory lock.

Works inside the caller's session (``loaders.db.session_scope``) and never commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import exists, insert, select, text
from sqlalchemy.orm import Session

from linkage import Decision, Linker, LinkIndex, LinkSettings, Mention, NamePart, mentions_from_record
from loaders.audit import audit, jsonable
from loaders.models import (
    Book,
    Link,
    LinkStatus,
    Office,
    Person,
    PersonMention,
    Record,
    RecordState,
    utcnow,
)
from loaders.registry import get_office
from normalize import PartialDate

log = logging.getLogger(__name__)

LINKABLE_STATES: Final[tuple[RecordState, ...]] = (
    RecordState.STAGED,
    RecordState.IN_REVIEW,
    RecordState.APPROVED,
    RecordState.LOADED,
)
CHUNK_RECORDS: Final[int] = 2000  # records linked (and written) per step
ADVISORY_LOCK_KEY: Final[int] = 0x50484F41  # "sohoa link": one linking run at a time on PostgreSQL
NAME_LENGTH: Final[int] = 200
SEX_LENGTH: Final[int] = 8
# Classes a stored mention may hold, by name (see encode_mention).
_STORED_TYPES: Final[dict[str, type[Any]]] = {"NamePart": NamePart, "PartialDate": PartialDate}


@dataclass(frozen=True)
class LinkSummary:
    """What one :func:`link_office` run did."""

    office: str | None
    records: int = 0  # records that got their mentions now
    mentions: int = 0  # mentions linked now
    new_persons: int = 0
    auto_links: int = 0  # mentions linked automatically to a person already known
    suggestions: int = 0  # suggested links written for reviewers
    review: int = 0  # mentions with at least one suggestion
    rejected: int = 0  # candidates a hard constraint forbade (kept as evidence)
    known_mentions: int = 0  # mentions already linked before this run (the index it started from)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------- storing mentions
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _encode(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is dt.date:
        return {"$date": value.isoformat()}
    if kind is tuple:
        return {"$tuple": [_encode(v) for v in value]}
    if _STORED_TYPES.get(kind.__name__) is kind:
        return {"$": kind.__name__, **{n: _encode(getattr(value, n)) for n in _field_names(kind)}}
    raise TypeError(f"cannot store a {kind.__name__} in a mention")


def _decode(value: Any) -> Any:
    if type(value) is not dict:
        return value
    if "$date" in value:
        return dt.date.fromisoformat(value["$date"])
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    cls = _STORED_TYPES[value["$"]]
    return cls(**{k: _decode(v) for k, v in value.items() if k != "$"})


def encode_mention(mention: Mention) -> dict[str, Any]:
    """A mention as JSON (``PersonMention.attrs["mention"]``), read back by :func:`decode_mention`."""
    return {n: _encode(getattr(mention, n)) for n in _field_names(type(mention))}


def decode_mention(data: Mapping[str, Any]) -> Mention:
    """The mention :func:`encode_mention` stored; TypeError/KeyError/ValueError when it no longer fits."""
    return Mention(**{k: _decode(v) for k, v in data.items()})


# --------------------------------------------------------------------------- scope
def _office_parents(session: Session) -> dict[str, str | None]:
    return {code: parent for code, parent in session.execute(select(Office.code, Office.parent_code))}


def _subtree(root: str, parents: Mapping[str, str | None]) -> set[str]:
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(code)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _province_of(code: str, parents: Mapping[str, str | None]) -> str:
    seen = {code}
    while (parent := parents.get(code)) is not None and parent not in seen:
        seen.add(parent)
        code = parent
    return code


def office_scope(session: Session, office_code: str | None) -> tuple[set[str] | None, set[str] | None]:
    """(offices whose records are linked now, offices whose linked mentions form the index); None: all.

    Raises :class:`~sohoa.errors.NotFoundError` (with the closest codes) for an unknown office.
    """
    if office_code is None:
        return None, None
    get_office(session, office_code)
    parents = _office_parents(session)
    return _subtree(office_code, parents), _subtree(_province_of(office_code, parents), parents)


# --------------------------------------------------------------------------- loading the index
RecordRow = tuple[Record, str]  # a record and the code of the office that registered it (its book's)


def _record_mentions(record: Record, office: str) -> list[Mention]:
    """The mentions of a record, from each field's ``text`` (as read, or as a reviewer corrected it)."""
    texts: dict[str, str] = {}
    for key, cell in (record.fields or {}).items():
        value = cell.get("text") if isinstance(cell, Mapping) else cell
        texts[key] = "" if value is None else str(value)
    return mentions_from_record(str(record.book_type), texts, str(record.id), era=record.era, office=office)


def _with_office(query: Any) -> Any:
    return query.add_columns(Book.office_code).join(Book, Book.id == Record.book_id)


KnownRow = tuple[int, int, str, int, Any]  # person_mentions: id, record_id, role, person_id, attrs


def _decoded(row: KnownRow) -> Mention | None:
    stored = (row[4] or {}).get("mention")
    if not isinstance(stored, Mapping):
        return None
    try:
        return decode_mention(stored)
    except (TypeError, KeyError, ValueError):
        log.debug("mention %s stored in an older form: rebuilt from its record", row[0])
        return None


def _rebuilt(session: Session, rows: Sequence[KnownRow]) -> list[tuple[KnownRow, Mention]]:
    """Mentions stored without their JSON form (an older sohoa), rebuilt from their records' fields."""
    out: list[tuple[KnownRow, Mention]] = []
    for start in range(0, len(rows), CHUNK_RECORDS):
        part = rows[start : start + CHUNK_RECORDS]
        query = _with_office(select(Record).where(Record.id.in_({r[1] for r in part})))
        records: list[RecordRow] = [(r, code) for r, code in session.execute(query)]
        by_role = {(m.record_id, m.role): m for r, code in records for m in _record_mentions(r, code)}
        out += [(row, by_role[key]) for row in part if (key := (str(row[1]), row[2])) in by_role]
    return out


def _add_known(index: LinkIndex, pairs: Sequence[tuple[Mention, str]]) -> None:
    """Put already-linked mentions into the index, counted in its name frequencies.

    ``LinkIndex.add_many(mentions, person_ids)`` (bulk, counts the frequencies itself) when the linkage
    has it; else one ``add`` per mention and the frequencies counted here.
    """
    if not pairs:
        return
    add_many = getattr(index, "add_many", None)
    if callable(add_many):
        add_many([m for m, _pid in pairs], [pid for _m, pid in pairs])
        return
    for mention, person_id in pairs:
        index.add(mention, person_id)
    index.frequencies.add(m for m, _pid in pairs)


def load_index(
    session: Session, linker: Linker, offices: set[str] | None
) -> tuple[LinkIndex, dict[str, int]]:
    """The index of every linked mention of ``offices`` (None: all), and linkage id → mention row id."""
    columns = (
        PersonMention.id,
        PersonMention.record_id,
        PersonMention.role,
        PersonMention.person_id,
        PersonMention.attrs,
    )
    query = (
        select(*columns)
        .join(Record, Record.id == PersonMention.record_id)
        .where(PersonMention.person_id.is_not(None), Record.state != RecordState.REJECTED)
        .order_by(PersonMention.id)
    )
    if offices is not None:
        query = query.join(Book, Book.id == Record.book_id).where(Book.office_code.in_(sorted(offices)))
    found: list[tuple[KnownRow, Mention]] = []
    stale: list[KnownRow] = []
    for row in session.execute(query.execution_options(yield_per=5000)):
        known: KnownRow = (row[0], row[1], row[2], row[3], row[4])
        mention = _decoded(known)
        if mention is None:
            stale.append(known)
        else:
            found.append((known, mention))
    found += _rebuilt(session, stale)
    row_ids: dict[str, int] = {}
    pairs: list[tuple[Mention, str]] = []
    for known, mention in found:
        if mention.id not in row_ids:
            row_ids[mention.id] = known[0]
            pairs.append((mention, str(known[3])))
    index = linker.new_index()
    _add_known(index, pairs)
    log.info("index: %d linked mentions of %d persons", len(pairs), len(index.persons))
    return index, row_ids


# --------------------------------------------------------------------------- records to link
def _unlinked_chunks(session: Session, offices: set[str] | None) -> Iterator[list[RecordRow]]:
    """Records in a linkable state with no mention yet, in id order, ``CHUNK_RECORDS`` at a time."""
    has_mention = exists().where(PersonMention.record_id == Record.id)
    query = _with_office(select(Record).where(Record.state.in_(LINKABLE_STATES), ~has_mention))
    if offices is not None:
        query = query.where(Book.office_code.in_(sorted(offices)))
    last = 0
    while True:
        page = query.where(Record.id > last).order_by(Record.id).limit(CHUNK_RECORDS)
        chunk: list[RecordRow] = [(record, code) for record, code in session.execute(page)]
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0].id


# --------------------------------------------------------------------------- writing a chunk
@dataclass
class _Run:
    """State of one linking run: the linker, its index and the ids of what was written."""

    linker: Linker
    index: LinkIndex
    actor: str
    mention_rows: dict[str, int]  # linkage mention id -> person_mentions.id
    new_persons: dict[str, int] = dataclasses.field(default_factory=dict)  # linkage person id -> persons.id
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def person_row(self, person_id: str) -> int:
        return self.new_persons[person_id] if person_id in self.new_persons else int(person_id)


def _insert_many(
    session: Session, model: type[Person | PersonMention | Link], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in bulk (one statement per batch, not one per row); their new ids, in order."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def _audit_rows(
    session: Session, run: _Run, action: str, entity: str, ids: list[int], rows: list[dict[str, Any]]
) -> None:
    for row_id, values in zip(ids, rows, strict=True):
        audit(session, run.actor, action, entity, row_id, after={"id": row_id, **values})


def _new_person(mention: Mention, now: dt.datetime) -> dict[str, Any]:
    return {
        "display_name": mention.name[:NAME_LENGTH] or "?",
        "birth_year": mention.birth_year,
        "sex": None if mention.sex is None else mention.sex[:SEX_LENGTH],
        "created_at": now,
    }


def _create_persons(session: Session, run: _Run, pairs: Sequence[tuple[Mention, Decision]]) -> None:
    now = utcnow()
    new = [(d.person_id, m) for m, d in pairs if d.action == "new"]
    rows = [_new_person(m, now) for _pid, m in new]
    ids = _insert_many(session, Person, rows)
    run.new_persons.update({pid: row_id for (pid, _m), row_id in zip(new, ids, strict=True)})
    _audit_rows(session, run, "create", "person", ids, rows)
    run.count("new_persons", len(ids))


def _mention_row(mention: Mention, decision: Decision, person_id: int) -> dict[str, Any]:
    score = decision.evidence.total if decision.evidence is not None else None
    return {
        "record_id": int(mention.record_id),
        "role": mention.role,
        "full_name": mention.name[:NAME_LENGTH],
        "birth_date": None if mention.birth_date is None else mention.birth_date.isoformat(),
        "birth_year": mention.birth_year,
        "sex": None if mention.sex is None else mention.sex[:SEX_LENGTH],
        "attrs": {"mention": encode_mention(mention), "decision": decision.action, "score": score},
        "person_id": person_id,
    }


def _evidence(run: _Run, kind: str, evidence: Any) -> dict[str, Any]:
    data = dict(evidence.as_dict())
    settings = run.linker.settings
    data["decision"] = kind
    data["other_mention_row"] = run.mention_rows.get(str(data.get("other_id")))
    # the thresholds in force for the decision (they rise with the persons: LinkSettings.thresholds)
    auto, suggest = evidence.thresholds or (settings.auto_threshold, settings.suggest_threshold)
    data["thresholds"] = {"auto": auto, "suggest": suggest, "margin": settings.margin}
    out: dict[str, Any] = jsonable(data)
    return out


def _link(run: _Run, row_id: int, person_id: str, status: LinkStatus, evidence: Any) -> dict[str, Any]:
    kind = {LinkStatus.AUTO: "auto", LinkStatus.SUGGESTED: "suggested"}.get(status, "constraint")
    return {
        "mention_id": row_id,
        "person_id": run.person_row(person_id),
        "score": float(evidence.total),
        "status": status,
        "evidence": _evidence(run, kind, evidence),
        "created_at": utcnow(),
    }


def _links_of(run: _Run, row_id: int, decision: Decision) -> list[dict[str, Any]]:
    """The auto link, the suggestions and the constraint-rejected candidates of one decision."""
    links: list[dict[str, Any]] = []
    if decision.action == "auto" and decision.evidence is not None:
        links.append(_link(run, row_id, decision.person_id, LinkStatus.AUTO, decision.evidence))
    links += [
        _link(run, row_id, sg.person_id, LinkStatus.SUGGESTED, sg.evidence) for sg in decision.suggestions
    ]
    links += [_link(run, row_id, sg.person_id, LinkStatus.REJECTED, sg.evidence) for sg in decision.rejected]
    return links + _merge_links(run, row_id, decision, {link["person_id"] for link in links})


def _merge_links(run: _Run, row_id: int, decision: Decision, linked: set[int]) -> list[dict[str, Any]]:
    """Suggested links to the other person of each merge suggestion (two persons this mention says are one).

    ``evidence["merge_with"]`` names the person(s) it may be merged with; a reviewer decides.
    """
    links: list[dict[str, Any]] = []
    for merge in getattr(decision, "merges", ()):
        for person_id, evidence in zip(merge.person_ids, merge.evidence, strict=True):
            row = run.person_row(person_id)
            if person_id == decision.person_id or row in linked:
                continue
            link = _link(run, row_id, person_id, LinkStatus.SUGGESTED, evidence)
            link["evidence"] |= {
                "decision": "merge",
                "merge_with": [run.person_row(p) for p in merge.person_ids if p != person_id],
            }
            linked.add(row)
            links.append(link)
    return links


def _write_chunk(session: Session, run: _Run, pairs: Sequence[tuple[Mention, Decision]]) -> None:
    _create_persons(session, run, pairs)
    rows = [_mention_row(m, d, run.person_row(d.person_id)) for m, d in pairs]
    row_ids = _insert_many(session, PersonMention, rows)
    links: list[dict[str, Any]] = []
    for (mention, decision), row_id in zip(pairs, row_ids, strict=True):
        run.mention_rows[mention.id] = row_id
        links.extend(_links_of(run, row_id, decision))
    link_ids = _insert_many(session, Link, links)
    shown = [{k: v for k, v in row.items() if k != "attrs"} for row in rows]
    _audit_rows(session, run, "link", "person_mention", row_ids, shown)
    _audit_rows(session, run, "create", "link", link_ids, links)
    session.flush()
    for _mention, decision in pairs:
        run.count("auto_links", int(decision.action == "auto"))
        run.count("review", int(decision.needs_review))
    run.count("mentions", len(rows))
    run.count("suggestions", sum(link["status"] == LinkStatus.SUGGESTED for link in links))
    run.count("rejected", sum(link["status"] == LinkStatus.REJECTED for link in links))


def _link_chunk(session: Session, run: _Run, records: Sequence[RecordRow]) -> None:
    mentions = [m for record, office in records for m in _record_mentions(record, office)]
    mentions = [m for m in mentions if m.id not in run.mention_rows]
    decisions = run.linker.link(mentions, run.index)
    _write_chunk(session, run, list(zip(mentions, decisions, strict=True)))
    run.count("records", len({m.record_id for m in mentions}))


# --------------------------------------------------------------------------- the run
def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def link_office(
    session: Session,
    office_code: str | None,
    *,
    settings: LinkSettings | None = None,
    actor: str,
) -> LinkSummary:
    """Link the mentions of every not-yet-linked record of ``office_code`` (None: all offices).

    See the module docstring for the scope and the rows written. One audit row per person, mention and
    link written, and (when anything was linked) one ``link_run`` row with the summary and the settings.
    """
    started = time.perf_counter()
    link_offices, index_offices = office_scope(session, office_code)
    _lock(session)
    linker = Linker(settings)
    index, mention_rows = load_index(session, linker, index_offices)
    run = _Run(linker=linker, index=index, actor=actor, mention_rows=mention_rows)
    for chunk in _unlinked_chunks(session, link_offices):
        _link_chunk(session, run, chunk)
    fields = {f.name for f in dataclasses.fields(LinkSummary)} - {"office", "known_mentions", "seconds"}
    summary = LinkSummary(
        office=office_code,
        known_mentions=len(mention_rows) - run.counts.get("mentions", 0),
        seconds=round(time.perf_counter() - started, 3),
        **{k: v for k, v in run.counts.items() if k in fields},
    )
    if summary.mentions:  # a run that changed nothing leaves no trace
        after = {**summary.to_dict(), "settings": linker.settings.model_dump(mode="json")}
        audit(session, actor, "link_run", "office", office_code or "*", after=after)
    log.info("linking %s: %s", office_code or "all offices", summary)
    return summary
