"""Page images and field crops: by page or record id only, after the scope check; never a path from the user."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from loaders.approval import get_record, sees_office
from loaders.models import Page
from review import images
from review.routes.common import PathId
from review.security import DbDep, UserDep
from sohoa.errors import NotFoundError

router = APIRouter(prefix="/media")

CACHE = "private, max-age=600"


def _frame(page: Page) -> int:
    frame = (page.quality or {}).get("frame", 0)
    return frame if isinstance(frame, int) and frame >= 0 else 0


@router.get("/pages/{page_id}.jpg")
def page_image(page_id: PathId, user: UserDep, db: DbDep) -> Response:
    page = db.get(Page, page_id)
    if page is None or not sees_office(db, user, page.book.office_code):
        raise NotFoundError(f"không có trang {page_id}")
    data = images.page_jpeg(page.image_path, _frame(page))
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": CACHE})


@router.get("/records/{record_id}/crop/{key}.png")
def field_crop(record_id: PathId, key: str, user: UserDep, db: DbDep) -> Response:
    record = get_record(db, record_id, user)
    entry = record.fields.get(key) if key in record.fields else None
    bbox = images.valid_bbox(entry.get("bbox")) if isinstance(entry, dict) else None
    if bbox is None:
        raise NotFoundError(f"bản ghi {record_id} không có khung cho {key!r}")
    data = images.crop_png(record.page.image_path, _frame(record.page), bbox)
    return Response(data, media_type="image/png", headers={"Cache-Control": CACHE})
