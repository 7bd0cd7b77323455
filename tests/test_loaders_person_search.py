"""loaders/person_search.py: persons by name (with or without diacritics) and birth year, only in scope."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from test_loaders_approval import BIRTHS, add_user, get_book, stage_page

from loaders.db import downgrade, session_scope, upgrade
from loaders.link_review import choose_person
from loaders.models import Person, PersonMention, UserRole
from loaders.person_search import search_persons
from loaders.registry import register_book
from sohoa.errors import InputError, NotFoundError


def _person(session: Session, name: str, year: int | None, mentions: list[tuple[int, str, str]]) -> int:
    person = Person(display_name=name, birth_year=year)
    session.add(person)
    session.flush()
    for record_id, role, written in mentions:
        session.add(
            PersonMention(
                record_id=record_id, role=role, full_name=written, birth_year=year, person_id=person.id
            )
        )
    session.flush()
    return person.id


@pytest.fixture
def people(engine: Engine, book_id: int) -> dict[str, int]:
    """Persons named in commune 01234's records, and one in commune 01235's."""
    with session_scope(engine) as session:
        here = stage_page(session, get_book(session, book_id), BIRTHS)
        there = stage_page(session, register_book(session, "01235", "birth", "2006-2015", "1"), BIRTHS[:1])
        return {
            "mai": _person(
                session,
                "Hoàng Thị Mai",
                1985,
                [(here[0], "mother", "Hoàng Thị Mai"), (here[2], "mother", "Hoang Thi Mai")],
            ),
            "hung": _person(session, "Nông Văn Hùng", 1980, [(here[1], "father", "Nông Văn Hùng")]),
            "hung2": _person(session, "Nông Văn Hưng", 1980, [(here[2], "father", "Nông Văn Hưng")]),
            "far": _person(session, "Hoàng Thị Mai", 1985, [(there[0], "mother", "Hoàng Thị Mai")]),
        }


def _ids(engine: Engine, offices: set[str] | None, query: str, year: int | None = None) -> list[int]:
    with session_scope(engine) as session:
        return [h.person_id for h in search_persons(session, offices, query, birth_year=year)]


def test_names_match_by_words_with_or_without_diacritics_in_scope_only(
    engine: Engine, people: dict[str, int]
) -> None:
    here = {"01234"}
    assert _ids(engine, here, "Hoàng Thị Mai") == [people["mai"]]
    assert _ids(engine, here, "hoang mai") == [people["mai"]]  # no diacritics: any diacritics match
    assert _ids(engine, here, "mai ho") == [people["mai"]]  # the last word may be unfinished
    assert _ids(engine, here, "Nông Văn Hùng") == [people["hung"]]  # with diacritics, Hùng is not Hưng
    assert sorted(_ids(engine, here, "nong van hung")) == sorted([people["hung"], people["hung2"]])
    assert _ids(engine, here, "Hoàng Thị Mai", 1990) == []
    assert _ids(engine, here, "Hoàng Thị Mai", 1985) == [people["mai"]]
    assert _ids(engine, {"01235"}, "hoang thi mai") == [people["far"]]
    assert sorted(_ids(engine, None, "hoang thi mai")) == sorted([people["mai"], people["far"]])
    assert _ids(engine, here, "Lò Văn") == []


def test_wildcards_typed_in_a_query_match_only_themselves(engine: Engine, people: dict[str, int]) -> None:
    here = {"01234"}
    assert _ids(engine, here, "ho%") == [] and _ids(engine, here, "m_i") == []
    assert _ids(engine, here, "hoàng \\") == []
    assert _ids(engine, here, "hoang mai") == [people["mai"]]


def test_the_database_cuts_the_candidates_to_the_most_named(
    engine: Engine, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import loaders.person_search

    monkeypatch.setattr(loaders.person_search, "MAX_CANDIDATES", 1)
    # "mai" in scope: Hoàng Thị Mai of 01234 (two records) before the one of 01235 (one record)
    assert _ids(engine, None, "mai") == [people["mai"]]


def test_mentions_made_before_name_keys_existed_are_found_after_the_upgrade(
    db_url: str, engine: Engine, people: dict[str, int]
) -> None:
    downgrade(db_url, "0001")  # the column goes; the mentions stay
    upgrade(db_url)  # 0002 fills it in
    with session_scope(engine) as session:
        keys = set(session.scalars(select(PersonMention.name_key)))
    assert keys == {" hoang thi mai ", " nong van hung "}
    assert _ids(engine, {"01234"}, "Hoàng Thị Mai") == [people["mai"]]
    assert _ids(engine, {"01234"}, "Nông Văn Hưng") == [people["hung2"]]


def test_a_hit_lists_its_records_and_spellings(engine: Engine, people: dict[str, int]) -> None:
    with session_scope(engine) as session:
        [hit] = search_persons(session, {"01234"}, "mai")
        assert hit.display_name == "Hoàng Thị Mai" and hit.birth_year == 1985
        assert hit.names == {"Hoàng Thị Mai", "Hoang Thi Mai"}
        assert [role for _, role in hit.records] == ["mother", "mother"]
        with pytest.raises(InputError, match="ít nhất hai chữ cái"):
            search_persons(session, {"01234"}, " a ")


def test_what_a_hit_shows_comes_from_the_records_in_scope(engine: Engine, people: dict[str, int]) -> None:
    with session_scope(engine) as session:
        person = session.get(Person, people["mai"])  # the province-wide row, as another office named her
        assert person is not None
        person.display_name, person.birth_year, person.sex = "Hoàng Thị Mây", 1950, "Nữ"
    with session_scope(engine) as session:
        [hit] = search_persons(session, {"01234"}, "hoang thi mai")
        assert (hit.display_name, hit.birth_year, hit.sex) == ("Hoàng Thị Mai", 1985, None)


def test_a_person_of_another_office_cannot_be_chosen_by_number(
    engine: Engine, people: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        lan = add_user(session, "lan")
        add_user(session, "op", role=UserRole.OPERATOR)
        mention = session.scalars(
            select(PersonMention).where(PersonMention.person_id == people["hung"])
        ).one()
        with pytest.raises(NotFoundError, match=f"không có người mang mã {people['far']}"):
            choose_person(session, mention.id, people["far"], lan)  # named only in commune 01235's records
        with pytest.raises(NotFoundError):
            choose_person(session, mention.id, 10_000, lan)
        link = choose_person(session, mention.id, people["hung2"], lan)  # named in this commune: allowed
        assert link.person_id == people["hung2"]
