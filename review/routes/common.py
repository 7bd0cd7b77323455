"""Helpers shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from loaders.approval import PermissionDenied, RecordConflictError
from loaders.models import User
from review.settings import ReviewSettings
from sohoa.errors import ConflictError, StateError


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


def why_not_saved(exc: StateError) -> str:
    """A Vietnamese reason why a change of a record was refused (a conflict or a state)."""
    if isinstance(exc, RecordConflictError):
        return f"đã được {exc.changed_by or 'người khác'} thay đổi sau khi bạn mở trang"
    if isinstance(exc, ConflictError):
        return "đang được người khác duyệt"
    if isinstance(exc, PermissionDenied):
        return "không sửa được bằng tài khoản này"
    return "không còn sửa được ở đây (đã duyệt, đã nạp hoặc đã bị từ chối)"
