"""Finding a person by name (and birth year) among the records a user may see, for linking by hand.

A reviewer who rejects a link suggestion needs the number of the right person. :func:`search_persons` finds
the persons named in the records of the user's offices whose name holds every word typed, compared without
case and, when the query is typed without diacritics, without them (``nguyen van an`` finds ``Nguyễn Văn
An``; ``Hùng`` does not find ``Hưng``). Only the mentions in the offices' records are read, so another
office's records never show, and the persons are listed with the records (in scope) that name them.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from loaders.models import Book, Person, PersonMention, Record
from normalize.text import ascii_key, comparison_key
from sohoa.errors import InputError

MAX_HITS: Final[int] = 50
MAX_RECORDS_SHOWN: Final[int] = 8


@dataclass
class PersonHit:
    """A person found, with how the records in scope name them."""

    person_id: int
    display_name: str
    birth_year: int | None
    sex: str | None
    names: set[str] = field(default_factory=set)
    records: list[tuple[int, str]] = field(default_factory=list)  # (record id, role)


def _keys(text: str, plain: bool) -> list[str]:
    key = ascii_key(text) if plain else comparison_key(text)
    return key.split()


def _matches(words: list[str], name_words: list[str]) -> bool:
    """Every query word is a word of the name (the last one may be the start of a word: typing goes on)."""
    *whole, last = words
    return all(w in name_words for w in whole) and any(n.startswith(last) for n in name_words)


def search_persons(
    session: Session,
    offices: Collection[str] | None,
    query: str,
    *,
    birth_year: int | None = None,
    limit: int = MAX_HITS,
) -> list[PersonHit]:
    """Persons named ``query`` in the records of ``offices`` (None: every office), best-known first."""
    plain = ascii_key(query) == " ".join(query.lower().split())  # typed without diacritics
    words = _keys(query, plain)
    if not words or sum(len(w) for w in words) < 2:
        raise InputError(
            "type at least two letters of the name", hint="for example: Nông Văn An, or nong van"
        )
    rows = (
        select(PersonMention.person_id, PersonMention.full_name, PersonMention.record_id, PersonMention.role)
        .join(Record, Record.id == PersonMention.record_id)
        .join(Book, Book.id == Record.book_id)
        .where(PersonMention.person_id.is_not(None))
        .order_by(PersonMention.person_id, PersonMention.record_id)
    )
    if offices is not None:
        rows = rows.where(Book.office_code.in_(sorted(offices)))
    if birth_year is not None:
        rows = rows.where(PersonMention.birth_year == birth_year)
    found: dict[int, PersonHit] = {}
    mentions = session.execute(rows.execution_options(yield_per=5000))
    try:
        for person_id, group in itertools.groupby(mentions, key=lambda row: row[0] or 0):
            named = list(group)
            if not any(_matches(words, _keys(name, plain)) for _, name, _, _ in named):
                continue
            hit = found[person_id] = PersonHit(person_id, named[0][1], None, None)
            hit.names = {name for _, name, _, _ in named}
            hit.records = [(record_id, role) for _, _, record_id, role in named[:MAX_RECORDS_SHOWN]]
            if len(found) >= limit:
                break
    finally:
        mentions.close()
    for person in session.scalars(select(Person).where(Person.id.in_(list(found)))):
        hit = found[person.id]
        hit.display_name, hit.birth_year, hit.sex = person.display_name, person.birth_year, person.sex
    return sorted(found.values(), key=lambda h: (-len(h.records), h.display_name, h.person_id))
