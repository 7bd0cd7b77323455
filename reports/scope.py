"""What a report covers (an office's subtree, an era) and the small tables every report reads first.

Offices and books are few (hundreds to thousands of rows): they are read whole and joined in Python;
records, pages and audit rows are only ever counted in the database.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from loaders.models import Book, Office
from sohoa import config
from sohoa.errors import NotFoundError

LEVELS = ("province", "district", "commune")


@dataclass(frozen=True)
class OfficeInfo:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class BookInfo:
    id: int
    office_code: str
    book_type: str
    era: str


@dataclass(frozen=True)
class Scope:
    """The filters of a report: ``office`` (its subtree is included) and ``era`` (None: every one)."""

    office: str | None = None
    era: str | None = None

    def labels(self) -> dict[str, str]:
        return {"Cơ quan": self.office or "tất cả", "Giai đoạn": self.era or "tất cả"}


@dataclass(frozen=True)
class Registry:
    """Offices (parents before children) and books of the database."""

    offices: dict[str, OfficeInfo]
    books: dict[int, BookInfo]

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for office in sorted(self.offices.values(), key=lambda o: o.code):
            if office.parent_code is not None:
                out.setdefault(office.parent_code, []).append(office.code)
        return out

    def children(self, code: str) -> list[str]:
        return self._children.get(code, [])

    def subtree(self, code: str) -> set[str]:
        """``code`` and every office below it."""
        found, todo = {code}, [code]
        while todo:
            for child in self.children(todo.pop()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def ancestors(self, code: str) -> list[str]:
        """``code`` and its parents up to the root."""
        cached = self._ancestors.get(code)
        return cached if cached is not None else self._chain(code)

    @cached_property
    def _ancestors(self) -> dict[str, list[str]]:
        return {code: self._chain(code) for code in self.offices}

    def _chain(self, code: str) -> list[str]:
        chain: list[str] = []
        current: str | None = code
        while current is not None and current in self.offices and current not in chain:
            chain.append(current)
            current = self.offices[current].parent_code
        return chain

    def office_codes(self, scope: Scope) -> set[str]:
        return self.subtree(scope.office) if scope.office else set(self.offices)

    def book_ids(self, scope: Scope) -> set[int]:
        codes = self.office_codes(scope)
        return {
            b.id
            for b in self.books.values()
            if b.office_code in codes and (scope.era is None or b.era == scope.era)
        }


def load_registry(session: Session) -> Registry:
    offices = {
        code: OfficeInfo(code=code, name=name, level=str(level), parent_code=parent)
        for code, name, level, parent in session.connection().execute(
            select(Office.code, Office.name, Office.level, Office.parent_code)
        )
    }
    books = {
        book_id: BookInfo(id=book_id, office_code=office, book_type=str(book_type), era=era)
        for book_id, office, book_type, era in session.connection().execute(
            select(Book.id, Book.office_code, Book.book_type, Book.era)
        )
    }
    return Registry(offices=offices, books=books)


def check_scope(registry: Registry, scope: Scope) -> None:
    """Raise a ConfigError / NotFoundError with a hint when the era or office is unknown."""
    if scope.era is not None:
        config.era(scope.era)
    if scope.office is not None and scope.office not in registry.offices:
        close = difflib.get_close_matches(scope.office, list(registry.offices), n=3, cutoff=0.6)
        hint = (
            f"có phải ý bạn là {', '.join(close)}?"
            if close
            else "dùng một mã cơ quan trong configs/offices.yaml"
        )
        if not registry.offices:
            hint = "chưa có cơ quan nào trong cơ sở dữ liệu: hãy nạp chúng từ configs/offices.yaml trước"
        raise NotFoundError(f"không có mã cơ quan {scope.office!r}", hint=hint)


def book_filter(
    column: ColumnElement[int] | InstrumentedAttribute[int], registry: Registry, scope: Scope
) -> list[ColumnElement[bool]]:
    """WHERE clauses limiting ``column`` (a book id) to the scope; none when the scope is everything."""
    if scope.office is None and scope.era is None:
        return []
    return [column.in_(sorted(registry.book_ids(scope)) or [-1])]


def era_ids() -> list[str]:
    """Era ids in the plan's order (newest first, as the province digitizes them)."""
    order = list(config.plan().era_order)
    return order + [e.id for e in config.eras() if e.id not in order]


def group_ids() -> list[str]:
    return [g.id for g in config.book_groups()]


def sort_codes(registry: Registry, codes: Iterable[str]) -> list[str]:
    """Offices depth-first: the province, then each district followed by its communes."""
    wanted = set(codes)
    ordered: list[str] = []
    roots = sorted(c for c, o in registry.offices.items() if o.parent_code not in registry.offices)

    def walk(code: str) -> None:
        if code in wanted:
            ordered.append(code)
        for child in registry.children(code):
            walk(child)

    for root in roots:
        walk(root)
    return ordered
