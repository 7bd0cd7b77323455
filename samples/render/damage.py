"""From coverage layers to a scanned page: paper, inks, show-through, stains, light, skew, blur, noise.

Everything is drawn from the page's random generator, so a page seed gives the same bytes every time.
Damage on typed pages stays moderate (the OCR goal there is 99 % of fields exact); handwritten pages get
rougher treatment. The geometric part (skew, then a quarter or half turn for a few pages) is returned as
an affine matrix so that value boxes can be mapped into the saved image.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
from PIL import Image

from samples.render.text import Box

_cv: Any = cv2  # OpenCV's stubs do not know that a number may stand for a scalar

RGB = tuple[int, int, int]
DPI = 200


@dataclass(frozen=True)
class Damage:
    """What happens to one page between the printer and the saved file."""

    tint: RGB  # colour of the paper
    light: float  # depth of uneven lighting (0 = even)
    stains: int
    bleed: float  # strength of the mirrored show-through of the other side (0 = none)
    gutter: float  # shadow of the book's fold in the middle of a ledger spread (0 = none)
    speckles: int
    skew_deg: float  # counter-clockwise
    rotation: Literal[0, 90, 180, 270]  # clockwise quarter turns of the whole scan (a page put in sideways)
    blur: float  # Gaussian sigma in pixels
    noise: float  # sensor noise sigma in grey levels
    jpeg_quality: int | None  # None: saved as PNG
    bed: RGB  # colour around a skewed page (the scanner lid)
    grey: bool = False  # scanned in shades of grey (one channel)


def plan_damage(rng: np.random.Generator, *, handwritten: bool, kind: str, level: float = 1.0) -> Damage:
    """Draw the damage of one page; ``level`` 0 gives a clean scan, 1 the usual mix, 2 a rough one."""
    lv = max(0.0, level)
    rough = 1.0 if handwritten else 0.55  # typed pages keep every glyph legible
    old = kind == "ledger"
    base = np.array([244, 238, 222] if old else [249, 248, 244], dtype=float)
    tint = base - rng.uniform(0, 14 if old else 6) * np.array([0.4, 0.8, 1.6]) * min(lv, 1.5)
    rotation: Literal[0, 90, 180, 270] = 0
    if lv > 0 and rng.random() < 0.03:
        rotation = 180 if rng.random() < 0.5 else (90 if rng.random() < 0.5 else 270)
    jpeg = None
    if lv > 0 and rng.random() < 0.25:
        low = 60 if handwritten else 80
        jpeg = int(rng.integers(low, 96)) if lv <= 1 else int(rng.integers(max(40, low - 20), 85))
    # sensor noise shows mostly on JPEG scans (a noisy PNG is also a huge file)
    noisy = lv > 0 and rng.random() < (0.6 if jpeg else 0.08)
    return Damage(
        tint=(int(tint[0]), int(tint[1]), int(tint[2])),
        light=float(rng.uniform(0.0, 0.12 * rough + 0.04) * min(lv, 2.0)),
        stains=int(rng.poisson(0.8 * lv * (1.4 if old else 0.7))) if lv > 0 else 0,
        bleed=float(rng.uniform(0.0, 0.09 * rough + 0.02) * min(lv, 2.0)) if rng.random() < 0.5 else 0.0,
        gutter=float(rng.uniform(0.08, 0.22) * min(lv, 1.5)) if old and rng.random() < 0.5 else 0.0,
        speckles=int(rng.poisson(lv * (4.0 if handwritten else 2.0) * (11 if old else 4))),
        skew_deg=float(np.clip(rng.normal(0.0, 1.2 * lv), -3.0, 3.0)) if lv > 0 else 0.0,
        rotation=rotation,
        blur=float(rng.uniform(0.0, (1.1 if handwritten else 0.6) * min(lv, 2.0))),
        noise=float(rng.uniform(1.0, (7.0 if handwritten else 4.0) * min(lv, 2.0))) if noisy else 0.0,
        jpeg_quality=jpeg,
        bed=(int(rng.integers(228, 250)),) * 3,  # type: ignore[arg-type]
        grey=bool(rng.random() < (0.15 if handwritten else 0.5)),
    )


def _luma(color: RGB) -> int:
    return round(0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2])


def _shading(
    width: int, height: int, damage: Damage, rng: np.random.Generator, channels: int, show: np.ndarray | None
) -> np.ndarray:
    """Multiplicative light, stains and gutter shadow (drawn at 1/16 scale: smooth by nature) and the
    show-through of the other side (at 1/4 scale), as a full-size uint8 map (255 = unchanged)."""
    w, h = max(2, width // 16), max(2, height // 16)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade: np.ndarray = np.empty((h, w, 3), dtype=np.float32)
    shade[:] = np.asarray(damage.tint, dtype=np.float32) / 255.0  # the paper's colour
    if damage.light > 0:
        angle = rng.uniform(0, 2 * math.pi)
        ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h + 1) / 2
        coarse = rng.uniform(0, 1, size=(4, 6)).astype(np.float32)
        blotch = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        light = 1.0 - damage.light * (0.7 * ramp + 0.3 * blotch)
        shade *= light[:, :, None]
    if damage.gutter > 0:
        centre = w / 2 + rng.normal(0, w * 0.01)
        profile = np.exp(-(((xx - centre) / (w * 0.025)) ** 2))
        shade *= (1.0 - damage.gutter * profile)[:, :, None]
    for _ in range(damage.stains):
        mask: np.ndarray = np.zeros((h, w), dtype=np.float32)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        ax, ay = rng.uniform(0.02, 0.09) * w, rng.uniform(0.02, 0.09) * h
        cv2.ellipse(
            mask, (int(cx), int(cy)), (int(ax) + 1, int(ay) + 1), float(rng.uniform(0, 180)), 0, 360, 1.0, -1
        )
        if rng.random() < 0.6:  # a drying ring: darker edge
            cv2.ellipse(mask, (int(cx), int(cy)), (int(ax) + 1, int(ay) + 1), 0, 0, 360, 1.8, 1)
        mask = cv2.GaussianBlur(mask, (0, 0), max(0.6, min(ax, ay) * 0.25))
        colour = np.array(
            [rng.uniform(0.55, 0.8), rng.uniform(0.45, 0.7), rng.uniform(0.25, 0.5)], np.float32
        )
        alpha = rng.uniform(0.1, 0.35)
        shade *= 1.0 - alpha * np.clip(mask, 0, 1.6)[:, :, None] * (1.0 - colour)[None, None, :]
    if channels == 1:
        shade = (shade @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[:, :, None]
    if show is not None and damage.bleed > 0:  # the other side of the leaf, mirrored and blurred
        qw, qh = max(2, width // 4), max(2, height // 4)
        quarter = cv2.resize(shade, (qw, qh), interpolation=cv2.INTER_LINEAR).reshape(qh, qw, channels)
        back = cv2.pyrDown(cv2.pyrDown(cv2.flip(show, 1)))
        back = cv2.resize(back, (qw, qh), interpolation=cv2.INTER_LINEAR).astype(np.float32) * np.float32(
            1 / 255
        )
        back = np.roll(cv2.GaussianBlur(back, (0, 0), 0.7), int(rng.integers(-10, 10)), axis=0)
        tint = 1.0 - np.array([90, 80, 80], dtype=np.float32) / 255.0
        tone = tint[None, None, :] if channels == 3 else np.array([[[tint.mean()]]], dtype=np.float32)
        shade = quarter * (1.0 - damage.bleed * back[:, :, None] * tone)
    small = np.clip(shade * 255.0, 0, 255).astype(np.uint8)
    if channels == 1:
        small = small[:, :, 0]
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def compose(
    printed: np.ndarray,
    ink: np.ndarray,
    *,
    printed_color: RGB,
    ink_color: RGB,
    damage: Damage,
    rng: np.random.Generator,
) -> np.ndarray:
    """Printed layer, then ink layer, on white; times the paper (tint, light, stains, show-through).

    Returns RGB (or, for a grey scan, single-channel) uint8. All full-size work is OpenCV arithmetic
    on uint8 planes.
    """
    height, width = printed.shape
    channels = 1 if damage.grey else 3

    def tone(color: RGB) -> list[int]:
        return [_luma(color)] if damage.grey else list(color)

    inv_ink = cv2.bitwise_not(ink)
    planes = []
    for pc, ic in zip(tone(printed_color), tone(ink_color), strict=True):
        plane = _cv.subtract(255, _cv.multiply(printed, (255 - pc) / 255.0))  # printed on white
        plane = cv2.add(cv2.multiply(plane, inv_ink, scale=1 / 255.0), _cv.multiply(ink, ic / 255.0))
        planes.append(plane)
    image = planes[0] if channels == 1 else cv2.merge(planes)
    both = cv2.bitwise_or(printed, ink) if damage.bleed > 0 else None
    shade = _shading(width, height, damage, rng, channels, both)
    image = cv2.multiply(image, shade, scale=1.0 / 255.0)
    if damage.speckles:
        xs = rng.integers(0, width, size=damage.speckles)
        ys = rng.integers(0, height, size=damage.speckles)
        rs = rng.choice([1, 1, 1, 1, 2, 2, 3], size=damage.speckles)
        gs = rng.integers(90, 200, size=damage.speckles)
        for x, y, r, g in zip(xs, ys, rs, gs, strict=True):
            colour = int(g) if damage.grey else (int(g), int(g), int(g))
            cv2.circle(image, (int(x), int(y)), int(r), colour, -1, lineType=cv2.LINE_AA)
    return image


def _add_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Grey sensor noise (OpenCV's generator, seeded from ``rng``: deterministic)."""
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    noise: np.ndarray = np.empty(image.shape[:2], dtype=np.int16)
    _cv.randn(noise, 0.0, float(sigma))
    if image.ndim == 3:
        noise = cv2.merge([noise, noise, noise])
    return cv2.add(image, noise, dtype=cv2.CV_8U)


def degrade(image: np.ndarray, damage: Damage, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Skew, blur, noise and the quarter turn. Returns the image and the 2×3 matrix page → saved image."""
    height, width = image.shape[:2]
    matrix = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if abs(damage.skew_deg) > 0.01:
        rad = math.radians(abs(damage.skew_deg))
        new_w = math.ceil(width * math.cos(rad) + height * math.sin(rad))
        new_h = math.ceil(width * math.sin(rad) + height * math.cos(rad))
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), damage.skew_deg, 1.0)
        matrix[0, 2] += (new_w - width) / 2
        matrix[1, 2] += (new_h - height) / 2
        image = cv2.warpAffine(
            image,
            matrix,
            (new_w, new_h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(damage.bed[0],) * 3 if image.ndim == 3 else damage.bed[0],
        )
        height, width = new_h, new_w
    if damage.blur > 0.25:
        image = cv2.GaussianBlur(image, (0, 0), damage.blur)
    if damage.noise > 0.5:
        image = _add_noise(image, damage.noise, rng)
    if damage.rotation:
        k = damage.rotation // 90
        image = np.ascontiguousarray(np.rot90(image, k=-k))  # clockwise
        turn = {
            90: np.array([[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0]]),
            180: np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0]]),
            270: np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0]]),
        }[damage.rotation]
        matrix = turn @ np.vstack([matrix, [0.0, 0.0, 1.0]])
    return image, matrix


def map_box(box: Box, matrix: np.ndarray, size: tuple[int, int]) -> list[int]:
    """The axis-aligned [x, y, w, h] around ``box`` after ``matrix``, clipped to an image of ``size``."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x0, y1, 1.0], [x1, y1, 1.0]])
    pts = corners @ matrix.T
    w, h = size
    nx0 = int(np.clip(math.floor(pts[:, 0].min()), 0, w))
    ny0 = int(np.clip(math.floor(pts[:, 1].min()), 0, h))
    nx1 = int(np.clip(math.ceil(pts[:, 0].max()), 0, w))
    ny1 = int(np.clip(math.ceil(pts[:, 1].max()), 0, h))
    return [nx0, ny0, nx1 - nx0, ny1 - ny0]


def _png_with_dpi(png: bytes, dpi: int) -> bytes:
    """Insert a pHYs chunk (pixels per metre) after IHDR."""
    ppm = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", ppm, ppm, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    ihdr_end = 8 + 4 + 4 + 13 + 4  # signature, IHDR length, type, data, CRC
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def encode(image: np.ndarray, jpeg_quality: int | None) -> bytes:
    """PNG (no timestamp) or baseline JPEG (no EXIF), both tagged 200 dpi; deterministic bytes.

    PNG goes through OpenCV with the "up" filter and fast deflate: scans of 11 megapixels are written in
    half the time of the adaptive filters, for files about 15 % larger.
    """
    if jpeg_quality is None:
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
        params = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
        ok, data = cv2.imencode(".png", bgr, params)
        if not ok:
            raise RuntimeError("PNG encoding failed")
        return _png_with_dpi(data.tobytes(), DPI)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=jpeg_quality, dpi=(DPI, DPI), optimize=False)
    return buf.getvalue()
