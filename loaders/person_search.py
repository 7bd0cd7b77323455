"""Finding a person by name (and birth year) among the records a user may see, for linking by hand.

A reviewer who rejects a link suggestion needs the number of the right person. :func:`search_persons` finds
the persons named in the records of the user's offices whose name holds every word typed, compared without
case and, when the query is typed without diacritics, without them (``nguyen van an`` finds ``Nguyễn Văn
An``; ``Hùng`` does not find ``Hưng``). Only the mentions in the offices' records are read, so another
office's records never show, and the persons are listed with the records (in scope) that name them.

The database does the first cut: each mention keeps its name without diacritics between spaces
(``name_key``, `` nguyen van an ``), and only persons with a mention in scope whose key holds every word
typed (the last one as the start of a word) are read, the :data:`MAX_CANDIDATES` named most often first.
A province holds millions of mentions; reading them all for every search took seconds.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loaders.models import Book, PersonMention, Record
from normalize.text import ascii_key, comparison_key
from sohoa.errors import InputError

MAX_HITS: Final[int] = 50
MAX_RECORDS_SHOWN: Final[int] = 8
#: Persons read after the database's first cut (a query as broad as one family name matches a province).
MAX_CANDIDATES: Final[int] = 1000


def _like(text: str) -> str:
    """``text`` for a LIKE pattern with ``\\`` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class PersonHit:
    """A person found, with how the records in scope name them."""

    person_id: int
    display_name: str
    birth_year: int | None
    sex: str | None
    names: set[str] = field(default_factory=set)
    records: list[tuple[int, str]] = field(default_factory=list)  # (record id, role), in scope


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
        raise InputError("hãy gõ ít nhất hai chữ cái của tên", hint="ví dụ: Nông Văn An, hoặc nong van")
    in_scope = (
        select(PersonMention.person_id)
        .join(Record, Record.id == PersonMention.record_id)
        .join(Book, Book.id == Record.book_id)
        .where(PersonMention.person_id.is_not(None))
    )
    if offices is not None:
        in_scope = in_scope.where(Book.office_code.in_(sorted(offices)))
    if birth_year is not None:
        in_scope = in_scope.where(PersonMention.birth_year == birth_year)
    *whole, last = _keys(query, plain=True)
    patterns = [f"% {_like(w)} %" for w in whole] + [f"% {_like(last)}%"]
    candidates = (
        in_scope.where(*(PersonMention.name_key.like(p, escape="\\") for p in patterns))
        .group_by(PersonMention.person_id)
        .order_by(func.count().desc(), PersonMention.person_id)
        .limit(MAX_CANDIDATES)
    )
    person_ids = list(session.scalars(candidates))
    if not person_ids:
        return []
    rows = (
        in_scope.add_columns(
            PersonMention.full_name,
            PersonMention.record_id,
            PersonMention.role,
            PersonMention.birth_year,
            PersonMention.sex,
        )
        .where(PersonMention.person_id.in_(person_ids))
        .order_by(PersonMention.person_id, PersonMention.record_id)
    )
    found: list[PersonHit] = []
    for person_id, group in itertools.groupby(session.execute(rows), key=lambda row: row[0] or 0):
        named = list(group)
        if any(_matches(words, _keys(row[1], plain)) for row in named):
            found.append(_hit(person_id, named))
    found.sort(key=lambda h: (-len(h.records), h.display_name, h.person_id))
    return found[:limit]


def _hit(person_id: int, named: list[Any]) -> PersonHit:
    """A person as the in-scope records name them (never from the province-wide person row, whose name,
    year and sex may come from another office's record)."""
    names = Counter(row[1] for row in named)
    years = Counter(row[4] for row in named if row[4] is not None)
    sexes = Counter(row[5] for row in named if row[5])
    return PersonHit(
        person_id,
        names.most_common(1)[0][0],
        years.most_common(1)[0][0] if years else None,
        sexes.most_common(1)[0][0] if sexes else None,
        set(names),
        [(row[2], row[3]) for row in named[:MAX_RECORDS_SHOWN]],
    )
