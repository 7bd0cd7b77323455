"""Helpers shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from loaders.models import User
from review.settings import ReviewSettings


async def form_data(request: Request) -> FormData:
    """The posted form, read once (sync routes take it as a dependency)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def settings_of(request: Request) -> ReviewSettings:
    settings: ReviewSettings = request.app.state.settings
    return settings


def text_field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


def int_field(form: FormData, name: str) -> int | None:
    try:
        return int(text_field(form, name))
    except ValueError:
        return None


def is_overseer(user: User) -> bool:
    return str(user.role) in ("supervisor", "admin")
