"""Loading page images: PNG, JPEG, TIFF (every page) and PDF (every page rendered).

The format is decided by the file's first bytes, never by its name. Sizes are checked from the header
*before* anything is decoded, so a decompression bomb costs nothing. Every problem with an input file is a
:class:`PageImageError` whose ``reason`` says what kind of problem it is.

>>> pages = load_pages("book/p0007.tif")          # doctest: +SKIP
>>> pages[0].image.shape, pages[0].index, pages[0].dpi  # doctest: +SKIP
((2800, 4000), 0, 300.0)
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from sohoa.errors import InputError

log = logging.getLogger(__name__)

Reason = Literal["missing", "empty", "unsupported", "corrupt", "too_large", "no_pages"]
Format = Literal["png", "jpeg", "tiff", "pdf"]

#: Largest page we decode, in pixels (width × height). 80 MP is an A3 page at 600 dpi with room to spare.
DEFAULT_MAX_PIXELS: Final[int] = 80_000_000
#: Resolution PDF pages are rendered at.
DEFAULT_PDF_DPI: Final[float] = 200.0
#: A PDF page too big for the pixel limit is rendered at a lower resolution, but never below this.
MIN_PDF_DPI: Final[float] = 72.0
#: Environment variable that overrides :data:`DEFAULT_MAX_PIXELS`.
MAX_PIXELS_ENV: Final[str] = "SOHOA_MAX_PIXELS"

SUPPORTED = "PNG, JPEG, TIFF hoặc PDF"
_EXIF_ORIENTATION: Final[int] = 0x0112

_HINTS: Final[dict[Reason, str]] = {
    "missing": "kiểm tra lại đường dẫn tệp",
    "empty": "tệp không có nội dung: quét lại trang hoặc chép lại tệp",
    "unsupported": f"chuyển tệp sang {SUPPORTED}",
    "corrupt": "tệp bị hỏng hoặc không đầy đủ: chép lại từ máy quét hoặc quét lại trang",
    "too_large": f"quét ở 300 dpi trở xuống, hoặc nâng giới hạn bằng thiết lập max_pixels ({MAX_PIXELS_ENV})",
    "no_pages": "tệp PDF không có trang nào: xuất lại bản quét",
}


class PageImageError(InputError):
    """A page image file cannot be used; ``reason`` is one of :data:`Reason`."""

    def __init__(
        self,
        path: Path | str,
        reason: Reason,
        detail: str,
        *,
        page: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = f"{path}" if page is None else f"{path} (trang {page + 1})"
        super().__init__(f"{where}: {detail}", hint=hint or _HINTS[reason])
        self.path = Path(path)
        self.reason: Reason = reason
        self.page = page
        self.detail = detail

    @property
    def short(self) -> str:
        """The message with the file's name instead of its full path (for a page's quarantine reason)."""
        where = self.path.name if self.page is None else f"{self.path.name} (trang {self.page + 1})"
        return f"{where}: {self.detail} — {self.hint}" if self.hint else f"{where}: {self.detail}"


@dataclass(frozen=True, slots=True, eq=False)
class PageImage:
    """One decoded page: ``image`` is uint8, gray (H×W) or BGR (H×W×3), upright as stored in the file."""

    image: np.ndarray
    source: Path
    index: int  # 0-based page index within the file
    dpi: float | None = None  # horizontal resolution when the file states one
    format: Format = "png"
    info: dict[str, str] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def is_color(self) -> bool:
        return self.image.ndim == 3


def max_pixels_default() -> int:
    """The pixel limit: ``SOHOA_MAX_PIXELS`` when set, else :data:`DEFAULT_MAX_PIXELS`."""
    raw = os.environ.get(MAX_PIXELS_ENV)
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(raw))
    except ValueError:
        log.warning("ignoring %s=%r: not a number", MAX_PIXELS_ENV, raw)
        return DEFAULT_MAX_PIXELS
    return value if value > 0 else DEFAULT_MAX_PIXELS


def sniff_format(head: bytes) -> Format | None:
    """The format of a file from its first bytes (at least 8; 1024 lets a PDF have leading junk)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def load_pages(
    path: Path | str,
    *,
    max_pixels: int | None = None,
    pdf_dpi: float = DEFAULT_PDF_DPI,
    color: bool = True,
) -> list[PageImage]:
    """Every page of an image or PDF file, decoded (see :func:`iter_pages` for the arguments)."""
    return list(iter_pages(path, max_pixels=max_pixels, pdf_dpi=pdf_dpi, color=color))


def iter_pages(
    path: Path | str,
    *,
    max_pixels: int | None = None,
    pdf_dpi: float = DEFAULT_PDF_DPI,
    color: bool = True,
) -> Iterator[PageImage]:
    """Decode the pages of ``path`` one at a time (a long PDF never sits in memory all at once).

    ``max_pixels`` caps width × height of every page (default :func:`max_pixels_default`);
    ``pdf_dpi`` is the rendering resolution of PDF pages; with ``color=False`` every page is gray,
    otherwise color pages stay BGR and gray pages stay gray.
    Raises :class:`PageImageError` — for a multi-page file, when the bad page is reached.
    """
    path = Path(path)
    limit = max_pixels if max_pixels is not None else max_pixels_default()
    if limit <= 0:
        raise ValueError("max_pixels must be positive")
    fmt = _check_file(path)
    if fmt == "pdf":
        yield from _iter_pdf(path, limit=limit, dpi=pdf_dpi, color=color)
    else:
        yield from _iter_raster(path, fmt, limit=limit, color=color)


def _check_file(path: Path) -> Format:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        raise PageImageError(path, "missing", "không có tệp này") from None
    except IsADirectoryError:
        raise PageImageError(
            path,
            "unsupported",
            "là một thư mục, không phải ảnh trang",
            hint="chọn các tệp ảnh trong thư mục đó",
        ) from None
    except OSError as exc:
        raise PageImageError(
            path, "missing", f"không đọc được ({exc.strerror})", hint="kiểm tra quyền đọc của tệp"
        ) from None
    if not head:
        raise PageImageError(path, "empty", "tệp rỗng (0 byte)")
    fmt = sniff_format(head)
    if fmt is None:
        what = "một tệp văn bản" if _looks_like_text(head) else "không phải định dạng ảnh đã biết"
        raise PageImageError(path, "unsupported", f"là {what}, không phải {SUPPORTED}")
    if fmt != "pdf" and len(head) < 32:
        raise PageImageError(path, "corrupt", f"là tệp {fmt.upper()} bị cắt cụt ({len(head)} byte)")
    return fmt


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------------- raster files (PIL)
def _iter_raster(path: Path, fmt: Format, *, limit: int, color: bool) -> Iterator[PageImage]:
    _allow_pil_up_to(limit)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise PageImageError(path, "too_large", _bomb_detail(path, fmt, str(exc), limit)) from None
    except UnidentifiedImageError:
        raise PageImageError(
            path, "corrupt", f"có vẻ là {fmt.upper()} nhưng không đọc được phần đầu tệp"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PageImageError(path, "corrupt", f"không đọc được dưới dạng {fmt.upper()} ({exc})") from None
    with im:
        n_frames = int(getattr(im, "n_frames", 1) or 1)
        for index in range(n_frames):
            if index:
                try:
                    im.seek(index)
                except (EOFError, OSError, ValueError) as exc:
                    raise PageImageError(
                        path, "corrupt", f"không đọc được trang {index + 1} ({exc})"
                    ) from None
            yield _decode_frame(im, path, fmt, index, limit=limit, color=color)


def _too_large(width: int, height: int, limit: int) -> str:
    return (
        f"ảnh có kích thước {width}×{height} = {width * height / 1e6:.0f} megapixel, "
        f"vượt giới hạn {limit / 1e6:.0f} megapixel"
    )


def _bomb_detail(path: Path, fmt: Format, message: str, limit: int) -> str:
    """Our wording for PIL's DecompressionBombError (PIL checks at open, before we see the size)."""
    if fmt == "png":
        try:
            with path.open("rb") as fh:
                head = fh.read(24)
            width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
            return _too_large(width, height, limit)
        except OSError:
            pass
    found = re.search(r"\((\d+) pixels\)", message)
    if found:
        return f"ảnh có {int(found.group(1)) / 1e6:.0f} megapixel, vượt giới hạn {limit / 1e6:.0f} megapixel"
    return f"ảnh quá lớn để giải mã an toàn ({message})"


def _allow_pil_up_to(limit: int) -> None:
    """PIL refuses images above twice its own limit; make sure ours is the one that applies."""
    if Image.MAX_IMAGE_PIXELS is not None and limit > Image.MAX_IMAGE_PIXELS:
        log.debug("raising PIL.Image.MAX_IMAGE_PIXELS from %s to %s", Image.MAX_IMAGE_PIXELS, limit)
        Image.MAX_IMAGE_PIXELS = limit


def _decode_frame(
    im: Image.Image, path: Path, fmt: Format, index: int, *, limit: int, color: bool
) -> PageImage:
    width, height = im.size  # read from the header: nothing is decoded yet
    page = index if getattr(im, "n_frames", 1) > 1 else None
    if width <= 0 or height <= 0:
        raise PageImageError(path, "corrupt", f"phần đầu tệp ghi kích thước {width}×{height}", page=page)
    if width * height > limit:
        raise PageImageError(path, "too_large", _too_large(width, height, limit), page=page)
    try:
        array = _decode_fast(path, im, fmt, color=color)
        if array is None:
            im.load()
            upright = ImageOps.exif_transpose(im) if fmt == "jpeg" else im
            array = _to_array(upright, color=color)
    except Image.DecompressionBombError as exc:
        raise PageImageError(path, "too_large", _bomb_detail(path, fmt, str(exc), limit), page=page) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PageImageError(
            path, "corrupt", f"dữ liệu ảnh bị hỏng hoặc không đầy đủ ({exc})", page=page
        ) from None
    dpi = _dpi_of(im)
    log.debug("loaded %s page %d: %dx%d %s dpi=%s", path, index, width, height, im.mode, dpi)
    return PageImage(image=array, source=path, index=index, dpi=dpi, format=fmt, info={"mode": im.mode})


def _dpi_of(im: Image.Image) -> float | None:
    raw = im.info.get("dpi")
    try:
        value = float(raw[0]) if raw else None
    except (TypeError, ValueError, IndexError):
        return None
    # 1 and 72 are what writers put when they know nothing
    if value is None or value < 30 or value == 72:
        return None
    return value


def _decode_fast(path: Path, im: Image.Image, fmt: Format, *, color: bool) -> np.ndarray | None:
    """A plain 8-bit gray or RGB PNG or JPEG (no transparency, no EXIF turn) decoded by OpenCV: about twice
    as fast as PIL plus the conversion, and the same pixels (both use libpng / libjpeg-turbo with the same
    settings; checked on the sample pages). None for anything else, or when OpenCV cannot decode the file:
    PIL then reads it and reports what is wrong."""
    if fmt not in ("png", "jpeg") or "transparency" in im.info:
        return None
    if not (im.mode == "L" or (im.mode == "RGB" and color)):
        return None  # (PIL's own RGB → gray formula is kept for gray output)
    if fmt == "jpeg" and im.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        return None  # PIL's exif_transpose turns it upright
    flag = cv2.IMREAD_GRAYSCALE if im.mode == "L" else cv2.IMREAD_COLOR
    try:
        array = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error:
        return None
    if array is None or array.shape[:2] != (im.height, im.width):
        return None
    if array.ndim == 3 and _is_gray(array):
        return np.ascontiguousarray(array[:, :, 0])
    return array


def _to_array(im: Image.Image, *, color: bool) -> np.ndarray:
    """A PIL image of any mode as uint8 gray or BGR."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        return np.ascontiguousarray(((arr - lo) * scale).round().astype(np.uint8))
    if mode == "L":
        return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))  # no converted copy first
    if mode == "1":
        return np.ascontiguousarray(np.asarray(im.convert("L"), dtype=np.uint8))
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    if not color:
        return np.ascontiguousarray(np.asarray(im.convert("L"), dtype=np.uint8))
    rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    if _is_gray(rgb):
        return np.ascontiguousarray(rgb[:, :, 0])
    return np.ascontiguousarray(rgb[:, :, ::-1])  # RGB → BGR, OpenCV's order


def _is_gray(rgb: np.ndarray) -> bool:
    """True when a color image has equal channels (a gray scan saved as RGB): keep one channel."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000)))
    sample = rgb[::step, ::step].astype(np.int16)
    return bool(
        np.abs(sample[:, :, 0] - sample[:, :, 1]).max() <= 2
        and np.abs(sample[:, :, 1] - sample[:, :, 2]).max() <= 2
    )


# --------------------------------------------------------------------------- PDF (pypdfium2)
def _iter_pdf(path: Path, *, limit: int, dpi: float, color: bool) -> Iterator[PageImage]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise PageImageError(
                path,
                "unsupported",
                "tệp PDF có đặt mật khẩu",
                hint="xuất lại tệp không đặt mật khẩu",
            ) from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise PageImageError(
                path, "unsupported", "tệp PDF dùng cơ chế bảo mật không được hỗ trợ"
            ) from None
        if code == pdfium_c.FPDF_ERR_SUCCESS or _pdf_declares_no_pages(path):
            # PDFium refuses a document whose page tree is empty, reporting "success"
            raise PageImageError(path, "no_pages", "tệp PDF không có trang nào") from None
        raise PageImageError(path, "corrupt", f"không đọc được dưới dạng PDF ({exc})") from None
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise PageImageError(path, "no_pages", "tệp PDF không có trang nào")
        for index in range(n_pages):
            yield _render_pdf_page(pdf, path, index, limit=limit, dpi=dpi, color=color)
    finally:
        pdf.close()


def _pdf_declares_no_pages(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            data = fh.read(4_000_000)
    except OSError:
        return False
    counts = re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)
    return bool(counts) and all(int(a or b) == 0 for a, b in counts)


def _render_pdf_page(
    pdf: object, path: Path, index: int, *, limit: int, dpi: float, color: bool
) -> PageImage:
    import pypdfium2 as pdfium

    assert isinstance(pdf, pdfium.PdfDocument)
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise PageImageError(path, "corrupt", f"không đọc được trang ({exc})", page=index) from None
    try:
        w_pt, h_pt = page.get_size()
        if w_pt <= 0 or h_pt <= 0:
            raise PageImageError(path, "corrupt", f"trang có kích thước {w_pt}×{h_pt} point", page=index)
        used_dpi = dpi
        pixels = (w_pt * dpi / 72.0) * (h_pt * dpi / 72.0)
        if pixels > limit:
            used_dpi = dpi * (limit / pixels) ** 0.5 * 0.999
            if used_dpi < MIN_PDF_DPI:
                raise PageImageError(
                    path,
                    "too_large",
                    f"trang khổ {w_pt / 72:.0f}×{h_pt / 72:.0f} inch; dù ở {MIN_PDF_DPI:.0f} dpi vẫn "
                    f"vượt giới hạn {limit / 1e6:.0f} megapixel",
                    page=index,
                )
            log.warning(
                "%s page %d: rendering at %.0f dpi instead of %.0f to stay under the pixel limit",
                path,
                index,
                used_dpi,
                dpi,
            )
        try:
            bitmap = page.render(scale=used_dpi / 72.0, grayscale=not color)
            array = np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True)
            mode = str(bitmap.mode)
            bitmap.close()
        except pdfium.PdfiumError as exc:
            raise PageImageError(
                path, "corrupt", f"the page cannot be rendered ({exc})", page=index
            ) from None
    finally:
        page.close()
    if array.ndim == 3:
        if mode in ("BGRA", "BGRX"):
            array = array[:, :, :3]
        elif mode in ("RGBA", "RGBX", "RGB"):
            array = array[:, :, 2::-1]
        array = array[:, :, 0].copy() if _is_gray(array) else np.ascontiguousarray(array)
    log.debug("rendered %s page %d at %.0f dpi: %s", path, index, used_dpi, array.shape)
    return PageImage(image=array, source=path, index=index, dpi=used_dpi, format="pdf", info={"mode": mode})
