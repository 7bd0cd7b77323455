"""Finding a person by name among the records the user may see (to link a mention by hand)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from loaders.approval import office_scope
from loaders.models import User, UserRole
from loaders.person_search import search_persons
from review.security import DbDep, require_roles
from review.templating import render
from sohoa.errors import InputError

router = APIRouter()
ReviewerDep = Annotated[User, Depends(require_roles(UserRole.REVIEWER, UserRole.SUPERVISOR, UserRole.ADMIN))]


@router.get("/persons")
def persons_page(request: Request, user: ReviewerDep, db: DbDep, q: str = "", year: str = "") -> Response:
    query, problem = q.strip()[:200], None
    typed = year.strip()[:4]
    birth_year = int(typed) if typed.isascii() and typed.isdecimal() else None
    hits = []
    if query:
        try:
            hits = search_persons(db, office_scope(db, user), query, birth_year=birth_year)
        except InputError as exc:
            problem = "Hãy gõ ít nhất hai chữ cái của tên." if "two letters" in str(exc) else str(exc)
    return render(request, "persons.html", q=query, year=year.strip()[:4], hits=hits, problem=problem)
