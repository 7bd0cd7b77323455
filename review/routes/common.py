"""Helpers shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.datastructures import FormData

from loaders.approval import PermissionDenied, RecordConflictError
from loaders.limits import TooLongError
from loaders.models import User
from review.labels import field_label
from review.settings import ReviewSettings
from sohoa.errors import ConflictError, StateError

#: The largest id a table holds (64-bit); a larger number in a path or a form is "not found", never a query.
MAX_ID = 2**63 - 1
#: An id in a route's path: 1 … :data:`MAX_ID` (anything else answers 404, see ``review.app``).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


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


def parse_int(text: str) -> int | None:
    """``text`` as a 64-bit signed integer, else None (not a number, or beyond what a column holds)."""
    try:
        value = int(text.strip()) if len(text) <= 24 else None
    except ValueError:
        return None
    return value if value is not None and -MAX_ID - 1 <= value <= MAX_ID else None


def parse_id(text: str) -> int | None:
    """``text`` as a row id (1 … :data:`MAX_ID`), else None."""
    value = parse_int(text)
    return value if value is not None and value >= 1 else None


def int_field(form: FormData, name: str) -> int | None:
    """A form field as a 64-bit integer, else None."""
    return parse_int(text_field(form, name))


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


#: What the free texts are called on the pages (``TooLongError.what`` other than a field key).
TEXT_NAMES = {
    "reject_note": "Ghi chú khi từ chối",
    "correction_reason": "Lý do sửa",
    "check_note": "Ghi chú kiểm tra",
}


def too_long_message(exc: TooLongError) -> str:
    """A Vietnamese message naming the too-long text, its length and its limit."""
    name = TEXT_NAMES.get(exc.what) or f"Ô «{field_label(exc.what)}»"
    return (
        f"{name} dài {exc.length} ký tự, quá giới hạn {exc.limit} ký tự. "
        "Chưa có gì được lưu; hãy rút ngắn rồi lưu lại."
    )
