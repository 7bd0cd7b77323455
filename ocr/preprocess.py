"""Pure image operations on page images: gray, scale, light correction, binarization, ruling lines, rotation.

Every function takes arrays and keywords and returns new arrays; none of them decides anything about a page
(that is :mod:`ocr.quality`) or keeps state. Conventions: images are uint8, gray (H×W) or BGR (H×W×3);
*ink masks* are uint8 with 255 for ink and 0 for paper.
"""

from __future__ import annotations

import logging
from typing import Literal

import cv2
import numpy as np

log = logging.getLogger(__name__)

Rotation = Literal[0, 90, 180, 270]


def to_gray(image: np.ndarray) -> np.ndarray:
    """A gray uint8 view or copy of ``image`` (BGR, BGRA or gray)."""
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"not an image array: shape {image.shape}")


def downscale(image: np.ndarray, *, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` shrunk (area interpolation) so its longer side is at most ``max_side``; and the scale used."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def estimate_background(gray: np.ndarray, *, kernel: int | None = None) -> np.ndarray:
    """The paper's brightness at every pixel: ink closed away, then smoothed (same size as ``gray``).

    ``kernel`` is the closing size in pixels of ``gray``; by default 1/40 of the longer side, which is wider
    than any stroke or character and narrower than a shadow or a light gradient.
    """
    h, w = gray.shape[:2]
    small, scale = downscale(gray, max_side=800)
    k = kernel if kernel is not None else max(h, w) // 40
    k_small = max(3, round(k * scale) | 1)
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k_small, k_small))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, element)
    background = cv2.medianBlur(background, max(3, (k_small // 2) | 1))
    background = cv2.GaussianBlur(background, (0, 0), sigmaX=max(1.0, k_small / 4))
    if scale < 1.0:
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return background


def normalize_illumination(gray: np.ndarray, *, kernel: int | None = None) -> np.ndarray:
    """``gray`` divided by its estimated background: white paper everywhere, ink keeps its contrast.

    Removes shadows at the spine, yellowed paper and uneven scanner light.
    """
    background = estimate_background(gray, kernel=kernel)
    return cv2.divide(gray, np.maximum(background, 1), scale=255)


def binarize(gray: np.ndarray, *, block: int | None = None, offset: float = 12.0) -> np.ndarray:
    """An ink mask (255 = ink) by a local mean threshold, robust to uneven light.

    ``block`` is the neighbourhood (odd, pixels; default about 1/50 of the longer side) and ``offset`` how
    much darker than its neighbourhood a pixel must be to count as ink.
    """
    h, w = gray.shape[:2]
    b = block if block is not None else max(15, max(h, w) // 50)
    b = max(3, b | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, b, offset)


def binarize_global(normalized: np.ndarray, *, level: float = 0.72) -> np.ndarray:
    """An ink mask of an illumination-normalized image: ink is darker than ``level`` × paper white."""
    _, mask = cv2.threshold(normalized, int(255 * level), 255, cv2.THRESH_BINARY_INV)
    return mask


def line_masks(ink: np.ndarray, *, min_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The horizontal and vertical ruling lines of an ink mask, as two masks (morphological opening).

    A run of ink must be at least ``min_length`` pixels (default 1/30 of the shorter side) to count as a
    line, which keeps lines tilted by a few degrees and drops letters.
    """
    h, w = ink.shape[:2]
    length = min_length if min_length is not None else max(15, min(h, w) // 30)
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return horizontal, vertical


def remove_lines(ink: np.ndarray, *, min_length: int | None = None) -> np.ndarray:
    """``ink`` without its ruling lines (what is left is mostly text, stamps and signatures)."""
    horizontal, vertical = line_masks(ink, min_length=min_length)
    lines = cv2.bitwise_or(horizontal, vertical)
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(lines))


def rotate90(image: np.ndarray, rotation: int) -> np.ndarray:
    """``image`` turned clockwise by ``rotation`` degrees (0, 90, 180 or 270)."""
    turns = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    if rotation not in turns:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, not {rotation}")
    code = turns[rotation]
    return image if code is None else cv2.rotate(image, code)


def rotation_matrix(shape: tuple[int, ...], angle_deg: float) -> np.ndarray:
    """The 2×3 affine matrix turning an image of ``shape`` counter-clockwise by ``angle_deg`` about its centre."""
    h, w = shape[:2]
    return cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, 1.0)


def rotate(
    image: np.ndarray, angle_deg: float, *, fill: int | None = None, interpolation: int = cv2.INTER_LINEAR
) -> np.ndarray:
    """``image`` turned counter-clockwise by ``angle_deg`` about its centre, same size.

    Uncovered corners are filled with ``fill`` (default: the image's paper colour, its 95th percentile);
    use ``interpolation=cv2.INTER_NEAREST`` for masks.
    """
    if abs(angle_deg) < 1e-3:
        return image
    if fill is None:
        small, _ = downscale(to_gray(image), max_side=400)
        fill = int(np.percentile(small, 95))
    border: tuple[int, int, int] = (fill, fill, fill)
    matrix = rotation_matrix(image.shape, angle_deg)
    h, w = image.shape[:2]
    return cv2.warpAffine(
        image, matrix, (w, h), flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def deskew(image: np.ndarray, skew_deg: float, *, fill: int | None = None) -> np.ndarray:
    """``image`` with a measured skew of ``skew_deg`` (counter-clockwise positive) taken out."""
    return rotate(image, -skew_deg, fill=fill)
