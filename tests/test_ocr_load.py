"""Loading page images: every supported format, and every kind of bad file refused with a reason."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageFile

from ocr.load import PageImage, PageImageError, iter_pages, load_pages, sniff_format
from sohoa.errors import InputError


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _huge_png(path: Path, width: int, height: int) -> None:
    """A valid PNG header claiming width × height, with almost no pixel data (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit gray
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _pdf(path: Path, pages: list[tuple[float, float]]) -> None:
    pdf = pdfium.PdfDocument.new()
    for width, height in pages:
        pdf.new_page(width, height)
    pdf.save(path)
    pdf.close()


# --------------------------------------------------------------------------- good files
@pytest.mark.parametrize("fmt", ["png", "jpeg"])
@pytest.mark.parametrize("kind", ["gray", "gray_as_rgb", "color"])
def test_fast_decoding_gives_the_pixels_pil_gives(tmp_path: Path, fmt: str, kind: str) -> None:
    """Plain PNG and JPEG pages are decoded by OpenCV: the pixels must be exactly PIL's."""
    rng = np.random.default_rng(7)
    gray = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    pixels = {
        "gray": gray,
        "gray_as_rgb": np.dstack([gray, gray, gray]),
        "color": rng.integers(0, 256, (37, 53, 3), dtype=np.uint8),
    }[kind]
    path = tmp_path / f"p.{fmt}"
    Image.fromarray(pixels).save(path, format=fmt.upper())
    with Image.open(path) as im:
        im.load()
        by_pil = np.asarray(im.convert("RGB"))[:, :, ::-1] if kind == "color" else np.asarray(im.convert("L"))

    [page] = load_pages(path)
    np.testing.assert_array_equal(page.image, by_pil)
    if fmt == "png":  # lossless: the very pixels saved
        np.testing.assert_array_equal(page.image, pixels[:, :, ::-1] if kind == "color" else gray)


def test_png_gray_and_color(tmp_path: Path) -> None:
    gray = np.full((40, 60), 200, np.uint8)
    gray[10:20, 10:30] = 0
    Image.fromarray(gray).save(tmp_path / "g.png", dpi=(300, 300))
    rgb = np.full((30, 50, 3), 255, np.uint8)
    rgb[5, 5] = (255, 0, 0)  # red
    Image.fromarray(rgb).save(tmp_path / "c.png")

    [page] = load_pages(tmp_path / "g.png")
    assert isinstance(page, PageImage)
    assert page.image.dtype == np.uint8 and page.image.shape == (40, 60)
    np.testing.assert_array_equal(page.image, gray)
    assert page.index == 0 and page.source == tmp_path / "g.png" and page.format == "png"
    assert page.dpi == pytest.approx(300, abs=1)

    [color] = load_pages(tmp_path / "c.png")
    assert color.image.shape == (30, 50, 3) and color.is_color
    assert tuple(color.image[5, 5]) == (0, 0, 255)  # BGR, as OpenCV expects
    assert color.dpi is None
    assert load_pages(tmp_path / "c.png", color=False)[0].image.ndim == 2


def test_gray_scan_saved_as_rgb_is_kept_gray(tmp_path: Path) -> None:
    Image.fromarray(np.full((20, 20, 3), 128, np.uint8)).save(tmp_path / "p.png")
    assert load_pages(tmp_path / "p.png")[0].image.shape == (20, 20)


def test_rgba_is_put_on_white_and_16_bit_is_scaled(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)  # fully transparent black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert load_pages(tmp_path / "a.png")[0].image.min() == 255

    deep = (np.arange(100, dtype=np.uint16).reshape(10, 10) * 600).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.png")
    arr = load_pages(tmp_path / "d.png")[0].image
    assert arr.dtype == np.uint8 and arr.min() == 0 and arr.max() == 255


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    im = Image.new("L", (80, 40), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: viewers rotate 90° clockwise
    im.save(tmp_path / "p.jpg", exif=exif)
    [page] = load_pages(tmp_path / "p.jpg")
    assert page.format == "jpeg" and page.image.shape == (80, 40)


def test_multi_page_tiff(tmp_path: Path) -> None:
    frames = [Image.new("L", (30 + 10 * i, 20), 40 * i) for i in range(3)]
    frames[0].save(tmp_path / "book.tif", save_all=True, append_images=frames[1:], dpi=(200, 200))
    pages = load_pages(tmp_path / "book.tif")
    assert [p.index for p in pages] == [0, 1, 2]
    assert [p.image.shape for p in pages] == [(20, 30), (20, 40), (20, 50)]
    assert [int(p.image[0, 0]) for p in pages] == [0, 40, 80]
    assert all(p.format == "tiff" and p.dpi == pytest.approx(200) for p in pages)


def test_bilevel_tiff_g4(tmp_path: Path) -> None:
    im = Image.new("1", (64, 32), 1)
    im.paste(0, (0, 0, 10, 10))
    im.save(tmp_path / "bw.tif", compression="group4")
    arr = load_pages(tmp_path / "bw.tif")[0].image
    assert arr.dtype == np.uint8 and set(np.unique(arr)) == {0, 255}


def test_pdf_pages_rendered_at_200_dpi(tmp_path: Path) -> None:
    _pdf(tmp_path / "scan.pdf", [(595, 842), (842, 595)])  # A4 portrait, landscape
    pages = load_pages(tmp_path / "scan.pdf")
    assert [p.index for p in pages] == [0, 1]
    assert pages[0].image.shape[:2] == (round(842 * 200 / 72), round(595 * 200 / 72))
    assert pages[1].image.shape[:2] == (round(595 * 200 / 72), round(842 * 200 / 72))
    assert pages[0].dpi == pytest.approx(200) and pages[0].format == "pdf"
    assert pages[0].image.ndim == 2  # a blank (gray) page collapses to one channel


def test_pdf_too_big_for_the_limit_is_rendered_smaller(tmp_path: Path) -> None:
    _pdf(tmp_path / "big.pdf", [(595, 842)])
    [page] = load_pages(tmp_path / "big.pdf", max_pixels=2_000_000)
    assert page.image.shape[0] * page.image.shape[1] <= 2_000_000
    assert page.dpi is not None and 72 <= page.dpi < 200


def test_iter_pages_is_lazy(tmp_path: Path) -> None:
    _pdf(tmp_path / "s.pdf", [(100, 100)] * 3)
    it = iter_pages(tmp_path / "s.pdf")
    first = next(it)
    assert first.index == 0
    assert [p.index for p in it] == [1, 2]


def test_format_is_decided_by_content_not_name(tmp_path: Path) -> None:
    Image.new("L", (10, 10), 0).save(tmp_path / "really_png.jpg", format="PNG")
    assert load_pages(tmp_path / "really_png.jpg")[0].format == "png"
    assert sniff_format(b"junk\n%PDF-1.4\n") == "pdf"
    assert sniff_format(b"II*\x00abcd") == "tiff"
    assert sniff_format(b"GIF89a") is None


# --------------------------------------------------------------------------- bad files
def _refused(path: Path, reason: str, **kw: object) -> PageImageError:
    with pytest.raises(PageImageError) as info:
        load_pages(path, **kw)  # type: ignore[arg-type]
    err = info.value
    assert err.reason == reason, str(err)
    assert isinstance(err, InputError) and err.exit_code == 5
    assert str(path) in str(err) and err.hint  # says which file and what to do
    return err


def test_zero_bytes(tmp_path: Path) -> None:
    (tmp_path / "p.png").write_bytes(b"")
    err = _refused(tmp_path / "p.png", "empty")
    assert "0 byte" in str(err) and "tệp rỗng" in str(err)


def test_truncated_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 300), dtype=np.uint8)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    _refused(tmp_path / "cut.png", "corrupt")
    (tmp_path / "header_only.png").write_bytes(data[:20])
    _refused(tmp_path / "header_only.png", "corrupt")


def test_truncated_jpeg_and_tiff(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    im = Image.fromarray(rng.integers(0, 255, (120, 160), dtype=np.uint8))
    im.save(tmp_path / "a.jpg", quality=90)
    im.save(tmp_path / "a.tif")
    for name in ("a.jpg", "a.tif"):
        data = (tmp_path / name).read_bytes()
        (tmp_path / f"cut_{name}").write_bytes(data[: len(data) // 3])
        _refused(tmp_path / f"cut_{name}", "corrupt")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    (tmp_path / "scan.jpg").write_text("this is not an image\n", encoding="utf-8")
    err = _refused(tmp_path / "scan.jpg", "unsupported")
    assert "tệp văn bản" in str(err) and "PNG" in str(err)


def test_other_formats_are_unsupported(tmp_path: Path) -> None:
    Image.new("L", (10, 10)).save(tmp_path / "p.gif")
    _refused(tmp_path / "p.gif", "unsupported")
    _refused(tmp_path, "unsupported")  # a folder


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nope.png", "missing")


def test_30000_by_30000_png_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.png"
    _huge_png(path, 30000, 30000)
    assert path.stat().st_size < 200

    def no_decoding(*_: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    err = _refused(path, "too_large")
    # decoding would have failed as corrupt (there is almost no pixel data): the size check came first
    assert "30000×30000" in str(err) and "900 megapixel" in str(err)


def test_pixel_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("L", (100, 100), 255).save(tmp_path / "p.png")
    _refused(tmp_path / "p.png", "too_large", max_pixels=5_000)
    assert load_pages(tmp_path / "p.png", max_pixels=10_000)[0].image.shape == (100, 100)
    monkeypatch.setenv("SOHOA_MAX_PIXELS", "5000")
    _refused(tmp_path / "p.png", "too_large")


def test_pil_own_bomb_check_becomes_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("L", (100, 100), 255).save(tmp_path / "p.png")
    # another library lowered PIL's limit far below ours: PIL's DecompressionBombError is reported as ours
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    monkeypatch.setattr("ocr.load._allow_pil_up_to", lambda limit: None)
    _refused(tmp_path / "p.png", "too_large")


def test_pdf_with_no_pages(tmp_path: Path) -> None:
    _pdf(tmp_path / "empty.pdf", [])
    err = _refused(tmp_path / "empty.pdf", "no_pages")
    assert "không có trang nào" in str(err)


def test_handwritten_pdf_with_no_pages(tmp_path: Path) -> None:
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    body += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(body)
    body += b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    body += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n" + str(xref).encode() + b"\n%%EOF\n"
    (tmp_path / "hand.pdf").write_bytes(body)
    _refused(tmp_path / "hand.pdf", "no_pages")


def test_corrupt_pdf(tmp_path: Path) -> None:
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    _refused(tmp_path / "bad.pdf", "corrupt")


def test_pdf_page_too_large_even_at_72_dpi(tmp_path: Path) -> None:
    _pdf(tmp_path / "poster.pdf", [(14400, 14400)])  # 200 × 200 inches
    _refused(tmp_path / "poster.pdf", "too_large")
