"""What a page file holds, read from its header only: the size of every page, or why it cannot be used.

Ingest calls this for every file of a batch before anything is decoded, so registering a book's pages
is cheap and a bad file is quarantined at once with the same reasons :mod:`ocr.load` gives.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ocr.load import PageImageError, _check_file, max_pixels_default


def page_sizes(
    path: Path | str, *, max_pixels: int | None = None, pdf_dpi: float = 200.0
) -> list[tuple[int, int]]:
    """(width, height) in pixels of every page of ``path`` (PDF pages at ``pdf_dpi``).

    Raises :class:`PageImageError` (missing, empty, unsupported, corrupt, too_large, no_pages)."""
    path = Path(path)
    limit = max_pixels if max_pixels is not None else max_pixels_default()
    fmt = _check_file(path)
    if fmt == "pdf":
        return _pdf_sizes(path, pdf_dpi)
    return _raster_sizes(path, fmt.upper(), limit)


def _raster_sizes(path: Path, fmt: str, limit: int) -> list[tuple[int, int]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError:
        raise PageImageError(path, "too_large", "ảnh vượt giới hạn số điểm ảnh") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PageImageError(path, "corrupt", f"không đọc được dưới dạng {fmt} ({exc})") from None
    sizes: list[tuple[int, int]] = []
    with im:
        for index in range(int(getattr(im, "n_frames", 1) or 1)):
            try:
                im.seek(index)
            except (EOFError, OSError, ValueError) as exc:
                raise PageImageError(path, "corrupt", f"không đọc được trang {index + 1} ({exc})") from None
            width, height = im.size
            if width <= 0 or height <= 0:
                raise PageImageError(path, "corrupt", f"phần đầu tệp ghi kích thước {width}×{height}")
            if width * height > limit:
                raise PageImageError(
                    path,
                    "too_large",
                    f"ảnh có kích thước {width}×{height}, vượt {limit / 1e6:.0f} megapixel",
                )
            sizes.append((width, height))
    return sizes


def _pdf_sizes(path: Path, dpi: float) -> list[tuple[int, int]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise PageImageError(path, "corrupt", f"không đọc được dưới dạng PDF ({exc})") from None
    try:
        if len(pdf) == 0:
            raise PageImageError(path, "no_pages", "tệp PDF không có trang nào")
        sizes = []
        for index in range(len(pdf)):
            w_pt, h_pt = pdf.get_page_size(index)
            sizes.append((max(1, round(w_pt * dpi / 72.0)), max(1, round(h_pt * dpi / 72.0))))
        return sizes
    finally:
        pdf.close()


@dataclass(frozen=True)
class FileEntry:
    """One file of a scan batch: its checksum and page sizes, or why it cannot be used."""

    path: Path
    sha256: str
    sizes: tuple[tuple[int, int], ...] = ()
    reason: str | None = None  # PageImageError.reason when the file cannot be used
    detail: str | None = None


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (read in 1 MB chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_file(path: Path) -> FileEntry:
    """Checksum and page sizes of ``path``; a bad file gives an entry with ``reason`` and ``detail``."""
    try:
        sha = file_sha256(path)
    except OSError as exc:
        return FileEntry(
            path,
            hashlib.sha256(str(path).encode()).hexdigest(),
            reason="missing",
            detail=f"{path.name}: không đọc được ({exc.strerror or exc}) — kiểm tra tệp và quyền đọc",
        )
    try:
        sizes = page_sizes(path)
    except PageImageError as exc:
        return FileEntry(path, sha, reason=exc.reason, detail=exc.short)
    return FileEntry(path, sha, tuple(sizes))
