"""loaders/persons.py: linking the people named in staged records to persons, against the samples' truth.

Records come from a small simulated population (samples/population.py): a few marriages of 1999–2005,
the 2006–2015 births whose parents are among those spouses, and every death of anyone named so far. The
ground-truth person id behind every role says which mentions are the same person.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from linkage import LinkSettings, mentions_from_record
from loaders.db import session_scope
from loaders.models import AuditLog, Link, LinkStatus, Person, PersonMention, Record, RecordState, name_key
from loaders.persons import decode_mention, encode_mention, link_office
from loaders.registry import register_book, register_page, sync_offices
from loaders.staging import layout_info, stage_records
from samples.population import SampleRecord, simulate
from sohoa import config
from sohoa.errors import NotFoundError

Truth = dict[tuple[int, str], str]  # (record id, role) -> true person id


@pytest.fixture(scope="module")
def sample() -> dict[str, list[SampleRecord]]:
    pop = simulate(1, communes=1, scale=0.2)
    marriages = pop.records("marriage", "1999-2005")[:40]
    named = {p for r in marriages for p in r.persons.values()}
    births = [
        r
        for r in pop.records("birth", "2006-2015")
        if r.persons.get("mother") in named or r.persons.get("father") in named
    ][:40]
    named |= {p for r in births for p in r.persons.values()}
    deaths = [
        r
        for era in ("1999-2005", "2006-2015", "2016+")
        for r in pop.records("death", era)
        if r.persons.get("deceased") in named
    ]
    assert len(marriages) == 40 and len(births) >= 20 and len(deaths) >= 10
    return {"marriage": marriages, "birth": births, "death": deaths}


def stage_sample(session: Session, records: Iterable[SampleRecord], *, office: str | None = None) -> Truth:
    """Stage sample records as OCR results read perfectly (one page per book); the truth of their roles."""
    books: dict[tuple[str, str, str], list[SampleRecord]] = defaultdict(list)
    for r in records:
        books[(office or r.office, r.book_type, r.era)].append(r)
    truth: Truth = {}
    for (code, book_type, era), rows in books.items():
        book = register_book(session, code, book_type, era, "1")
        digest = hashlib.sha256(f"{code}/{book_type}/{era}".encode()).hexdigest()
        page, _ = register_page(session, book, 1, f"{code}-{book_type}-{era}.png", digest, 1000, 800)
        keys = set(layout_info(book_type, era).types)
        ocr = [
            {
                "page": 1,
                "row": i,
                "book_type": book_type,
                "era": era,
                "fields": {
                    k: {"text": v, "confidence": 0.99, "bbox": None} for k, v in r.fields.items() if k in keys
                },
                "quality": {"flags": []},
            }
            for i, r in enumerate(rows)
        ]
        result = stage_records(session, page, ocr, actor="ocr")
        for record_id, r in zip(result.record_ids, rows, strict=True):
            truth.update({(record_id, role): pid for role, pid in r.persons.items()})
    return truth


def scores(session: Session, truth: Truth) -> tuple[float, float, int]:
    """Pairwise precision and recall of the persons in the database, and the true pairs across book types."""
    rows = session.execute(
        select(PersonMention.record_id, PersonMention.role, PersonMention.person_id, Record.book_type).join(
            Record, Record.id == PersonMention.record_id
        )
    ).all()
    by_person: dict[int | None, list[tuple[str, str]]] = defaultdict(list)
    for record_id, role, person_id, book_type in rows:
        by_person[person_id].append((truth[(record_id, role)], str(book_type)))
    predicted = [pair for g in by_person.values() for pair in itertools.combinations(g, 2)]
    hits = [(a, b) for a, b in predicted if a[0] == b[0]]
    true = sum(n * (n - 1) // 2 for n in Counter(truth[(r, role)] for r, role, _p, _b in rows).values())
    across = sum(a[1] != b[1] for a, b in hits)
    return len(hits) / max(len(predicted), 1), len(hits) / max(true, 1), across


def count(session: Session, model: type[Any], *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def table_counts(session: Session) -> tuple[int, ...]:
    return tuple(count(session, m) for m in (Person, PersonMention, Link, AuditLog))


@pytest.fixture
def session_engine(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_offices(session, config.offices())
    return engine


# --------------------------------------------------------------------------- mentions stored as JSON
def test_mentions_round_trip_through_json(sample: dict[str, list[SampleRecord]]) -> None:
    for record in sample["birth"][:5] + sample["marriage"][:5] + sample["death"][:5]:
        for mention in mentions_from_record(record.book_type, record.fields, "7", era=record.era):
            stored = json.loads(json.dumps(encode_mention(mention)))
            assert decode_mention(stored) == mention


# --------------------------------------------------------------------------- linking against the truth
def test_link_office_links_the_same_persons_across_books_and_eras(
    session_engine: Engine, sample: dict[str, list[SampleRecord]]
) -> None:
    with session_scope(session_engine) as session:
        truth = stage_sample(session, sample["marriage"] + sample["birth"] + sample["death"])
    with session_scope(session_engine) as session:
        summary = link_office(session, None, actor="linker")
    with session_scope(session_engine) as session:
        precision, recall, across = scores(session, truth)
        assert precision >= 0.99 and recall >= 0.9, (precision, recall)
        assert across >= 40  # brides became mothers, children and parents died
        assert summary.mentions == count(session, PersonMention) == len(truth) - _declarants(truth)
        assert summary.new_persons == count(session, Person)
        assert summary.auto_links == count(session, Link, Link.status == LinkStatus.AUTO) > 40
        assert summary.records == len(sample["marriage"]) + len(sample["birth"]) + len(sample["death"])
        assert summary.known_mentions == 0
        keys = session.execute(select(PersonMention.full_name, PersonMention.name_key)).all()
        assert all(key == name_key(name) and len(key) > 2 for name, key in keys)  # what person search uses
        before = table_counts(session)
    with session_scope(session_engine) as session:
        again = link_office(session, None, actor="linker")
    assert (again.mentions, again.records, again.new_persons) == (0, 0, 0)
    assert again.known_mentions == summary.mentions
    with session_scope(session_engine) as session:
        assert table_counts(session) == before


def _declarants(truth: Truth) -> int:
    """Declarants are not linked (a bare name): see linkage.LINKED_ROLES."""
    return sum(role == "declarant" for _r, role in truth)


def test_books_arriving_in_any_order_link_incrementally(
    session_engine: Engine, sample: dict[str, list[SampleRecord]]
) -> None:
    truth: Truth = {}
    persons_of_first_run: dict[int, int | None] = {}
    for i, book_type in enumerate(("death", "birth", "marriage")):  # newest era first
        with session_scope(session_engine) as session:
            truth |= stage_sample(session, sample[book_type])
        with session_scope(session_engine) as session:
            summary = link_office(session, None, actor="linker")
            assert summary.records == len(sample[book_type])
            if i == 0:
                rows = session.execute(select(PersonMention.id, PersonMention.person_id)).all()
                persons_of_first_run = {mid: pid for mid, pid in rows}
                # Mentions stored by an older sohoa (no JSON form) are rebuilt from their records.
                session.execute(update(PersonMention).values(attrs={}))
            else:
                assert summary.known_mentions > 0 and summary.auto_links > 0
    with session_scope(session_engine) as session:
        precision, recall, across = scores(session, truth)
        assert precision >= 0.99 and recall >= 0.85, (precision, recall)
        assert across >= 30
        for mid, pid in persons_of_first_run.items():  # nothing rebuilt: earlier decisions stand
            assert session.get(PersonMention, mid).person_id == pid  # type: ignore[union-attr]


def test_evidence_and_audit_rows_are_written(
    session_engine: Engine, sample: dict[str, list[SampleRecord]]
) -> None:
    with session_scope(session_engine) as session:
        stage_sample(session, sample["marriage"][:20] + sample["birth"])
    settings = LinkSettings(auto_threshold=1000.0)  # nothing is sure enough: reviewers see suggestions
    with session_scope(session_engine) as session:
        summary = link_office(session, None, settings=settings, actor="linker")
    assert summary.auto_links == 0 and summary.suggestions > 5 and summary.review > 5
    with session_scope(session_engine) as session:
        links = list(session.scalars(select(Link)))
        assert {link.status for link in links} <= {LinkStatus.SUGGESTED, LinkStatus.REJECTED}
        for link in links:
            ev = link.evidence
            expected = {"suggested", "merge"} if link.status == LinkStatus.SUGGESTED else {"constraint"}
            assert ev["decision"] in expected
            assert set(ev["levels"]) >= {"given", "family", "birth_date"}
            assert abs(ev["total"] - link.score) < 0.01
            assert ev["thresholds"]["auto"] == 1000.0
            other = session.get(PersonMention, ev["other_mention_row"])
            assert other is not None and other.person_id == link.person_id
            assert link.mention.person_id != link.person_id
        audits = Counter(
            a.entity for a in session.scalars(select(AuditLog).where(AuditLog.actor == "linker"))
        )
        assert audits["person"] == count(session, Person)
        assert audits["person_mention"] == count(session, PersonMention)
        assert audits["link"] == len(links)
        run = session.scalars(select(AuditLog).where(AuditLog.action == "link_run")).one()
        assert run.after is not None
        assert run.after["mentions"] == summary.mentions and run.after["settings"]["auto_threshold"] == 1000.0


def test_rejected_records_are_not_linked(
    session_engine: Engine, sample: dict[str, list[SampleRecord]]
) -> None:
    with session_scope(session_engine) as session:
        stage_sample(session, sample["marriage"][:5])
        for record in session.scalars(select(Record)).all()[:2]:
            record.state = RecordState.REJECTED
    with session_scope(session_engine) as session:
        assert link_office(session, None, actor="linker").records == 3


# --------------------------------------------------------------------------- scope
def test_office_limits_what_is_linked_and_the_province_is_the_index(
    session_engine: Engine, sample: dict[str, list[SampleRecord]]
) -> None:
    communes = [o for o in config.offices() if o.level == "commune"]
    home = sample["marriage"][0].office
    other = next(o for o in communes if o.code != home)
    with session_scope(session_engine) as session:
        stage_sample(session, sample["marriage"])
        stage_sample(session, sample["birth"], office=other.code)  # the families moved
    with session_scope(session_engine) as session:
        first = link_office(session, home, actor="linker")
        assert first.records == len(sample["marriage"])
        assert count(session, PersonMention) == first.mentions
    with session_scope(session_engine) as session:
        assert other.parent_code is not None
        second = link_office(session, other.parent_code, actor="linker")  # a district includes its communes
        assert second.records == len(sample["birth"])
        assert second.known_mentions == first.mentions and second.auto_links >= 20
    with (
        session_scope(session_engine) as session,
        pytest.raises(NotFoundError, match="không có mã cơ quan") as info,
    ):
        link_office(session, "99999x", actor="linker")
    assert info.value.hint
