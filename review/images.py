"""Page images and field crops for the record view, served only by page id through authorized routes.

The file read is always the ``image_path`` the scan stored for the page (and its frame in a multi-page
TIFF or PDF): nothing a user sends ever becomes a path. Decoded pages are cached (a reviewer opens many
records of the same page in a row).
"""

from __future__ import annotations

import io
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from sohoa.errors import InputError, NotFoundError

log = logging.getLogger(__name__)

MAX_WIDTH = 1600  # the page as shown: wide enough to read, small enough for an office PC
CROP_PAD = 6
CACHE_PAGES = 12
JPEG_QUALITY = 82


class _Cache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Image.Image | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[object, ...], image: Image.Image) -> None:
        with self._lock:
            self._items[key] = image
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_PAGES = _Cache(CACHE_PAGES)
CACHE_JPEGS = 64
_JPEGS: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_JPEG_LOCK = threading.Lock()


def _decode(path: Path, frame: int) -> Image.Image:
    from ocr.load import iter_pages

    found = next(itertools.islice(iter_pages(path), frame, frame + 1), None)
    if found is None:
        raise NotFoundError(f"{path} không có trang {frame + 1}", hint="tệp đã thay đổi kể từ khi được quét")
    array = found.image
    if array.ndim == 3:
        array = array[:, :, ::-1]  # BGR → RGB
    return Image.fromarray(array).convert("RGB")


def _key(image_path: str, frame: int) -> tuple[object, ...]:
    """The cache key of a page: path, frame and the file's modification time (a replaced file is new)."""
    try:
        stamp = Path(image_path).stat().st_mtime_ns
    except OSError:
        raise NotFoundError(
            f"không còn ảnh của trang này ở {image_path}", hint="thư mục bản quét đã bị chuyển đi hoặc xóa"
        ) from None
    return (image_path, frame, stamp)


def page_image(image_path: str, frame: int = 0) -> Image.Image:
    """The decoded page (RGB), from the cache when it was read recently."""
    key = _key(image_path, frame)
    cached = _PAGES.get(key)
    if cached is not None:
        return cached
    try:
        image = _decode(Path(image_path), frame)
    except InputError as exc:
        raise NotFoundError(f"không đọc được ảnh của trang này: {exc.message}") from None
    _PAGES.put(key, image)
    return image


def page_jpeg(image_path: str, frame: int = 0) -> bytes:
    """The page as a JPEG, at most :data:`MAX_WIDTH` wide (encoded once while it stays cached)."""
    key = _key(image_path, frame)
    with _JPEG_LOCK:
        cached = _JPEGS.get(key)
        if cached is not None:
            _JPEGS.move_to_end(key)
            return cached
    image = page_image(image_path, frame)
    if image.width > MAX_WIDTH:
        size = (MAX_WIDTH, round(image.height * MAX_WIDTH / image.width))
        image = image.resize(size, Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=JPEG_QUALITY)
    data = buf.getvalue()
    with _JPEG_LOCK:
        _JPEGS[key] = data
        while len(_JPEGS) > CACHE_JPEGS:
            _JPEGS.popitem(last=False)
    return data


def valid_bbox(bbox: object) -> tuple[int, int, int, int] | None:
    """``[x, y, w, h]`` as ints when it is a usable box, else None."""
    if not isinstance(bbox, Sequence) or isinstance(bbox, str) or len(bbox) != 4:
        return None
    if not all(isinstance(v, int | float) for v in bbox):
        return None
    x, y, w, h = (int(v) for v in bbox)
    return (x, y, w, h) if w > 0 and h > 0 else None


def crop_png(image_path: str, frame: int, bbox: tuple[int, int, int, int]) -> bytes:
    """The field's box on the page (with a few pixels around it) as a PNG."""
    image = page_image(image_path, frame)
    x, y, w, h = bbox
    box = (
        max(0, x - CROP_PAD),
        max(0, y - CROP_PAD),
        min(image.width, x + w + CROP_PAD),
        min(image.height, y + h + CROP_PAD),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        raise NotFoundError("khung của trường nằm ngoài trang")
    buf = io.BytesIO()
    image.crop(box).save(buf, "PNG", optimize=False)
    return buf.getvalue()
