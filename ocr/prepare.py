"""One page from the file to what layout detection works on: measured, turned upright, deskewed, evened out.

``load → prepare_page → (layout → cells → engine)``:

>>> for page in iter_pages("book.pdf"):                      # doctest: +SKIP
...     prepared = prepare_page(page, verifier=engine)
...     prepared.quality.to_dict()      # {"skew_deg": 0.8, "rotation": 0, "flags": []}
...     ink = prepared.ink()            # binarized for finding ruling lines
...     prepared.bbox_to_source((x, y, w, h))  # a box found on the prepared page, on the scan as stored

Everything the later stages cut out comes from ``gray`` (illumination-normalized), so cells of a page with
a shadow at the spine read like the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr import preprocess as pp
from ocr.load import PageImage
from ocr.quality import Quality, QualitySettings, assess

if TYPE_CHECKING:
    from ocr.engines.base import OcrEngine

log = logging.getLogger(__name__)

BBox = tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)
class PreparedPage:
    """A page made ready for layout detection.

    ``gray``: upright and deskewed, gray, with the paper evened out to white; ``image``: the same geometry
    in the original colours (made on first use: reading needs only ``gray``); ``matrix``: the 2×3 affine
    map from source pixels (the file as stored) to prepared pixels.
    """

    gray: np.ndarray
    quality: Quality
    matrix: np.ndarray
    source: PageImage | None = None
    original: np.ndarray | None = field(default=None, repr=False)  # the page as stored
    rotation: int = 0  # the clockwise turn applied to ``original``
    skew_deg: float = 0.0  # the skew taken out after the turn (0: none)
    _ink: list[np.ndarray] = field(default_factory=list, repr=False)
    _image: list[np.ndarray] = field(default_factory=list, repr=False)
    _inverse: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def image(self) -> np.ndarray:
        """Upright and deskewed, original colours; computed once, on first use."""
        if not self._image:
            if self.original is None:
                self._image.append(self.gray)
            else:
                self._image.append(_straighten(self.original, self.rotation, self.skew_deg))
        return self._image[0]

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.gray.shape[0]), int(self.gray.shape[1]))

    def ink(self) -> np.ndarray:
        """The ink mask (255 = ink) of ``gray`` for finding ruling lines; computed once."""
        if not self._ink:
            self._ink.append(pp.binarize(self.gray))
        return self._ink[0]

    def to_source(self, points: np.ndarray) -> np.ndarray:
        """Points (N×2, x y) on the prepared page mapped back onto the source image."""
        if not self._inverse:
            self._inverse.append(cv2.invertAffineTransform(self.matrix.astype(np.float64)))
        inverse = self._inverse[0]
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return pts @ inverse[:, :2].T + inverse[:, 2]

    def bbox_to_source(self, bbox: BBox) -> BBox:
        """The upright box (x, y, w, h) on the source image that holds ``bbox`` of the prepared page."""
        x, y, w, h = bbox
        corners = self.to_source(np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], dtype=np.float64))
        x0, y0 = np.floor(corners.min(axis=0)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
        return (int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def prepare_page(
    page: PageImage | np.ndarray,
    *,
    settings: QualitySettings | None = None,
    verifier: OcrEngine | None = None,
    min_skew_deg: float = 0.05,
    correct: bool = True,
) -> PreparedPage:
    """Measure ``page`` (:func:`ocr.quality.assess`) and apply what it needs.

    ``verifier``: an OCR engine consulted only when the cheap upside-down check is undecided.
    Skews under ``min_skew_deg`` are left alone (interpolation would blur more than it straightens).
    With ``correct=False`` the page is measured but neither turned nor deskewed.
    """
    source = page if isinstance(page, PageImage) else None
    image = page.image if isinstance(page, PageImage) else page
    dpi = page.dpi if isinstance(page, PageImage) else None
    quality = assess(image, dpi=dpi, settings=settings, verifier=verifier)
    h, w = image.shape[:2]
    rotation = quality.rotation if correct else 0
    skew = quality.skew_deg if correct and abs(quality.skew_deg) >= min_skew_deg else 0.0
    matrix = _rot90_matrix(rotation, w, h)
    if skew:
        turned_shape = (w, h) if rotation in (90, 270) else (h, w)
        deskew = np.vstack([pp.rotation_matrix(turned_shape, -skew), [0.0, 0.0, 1.0]])
        matrix = (deskew @ np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    # only the gray page is straightened here (a colour page costs three times as much to turn)
    gray = pp.normalize_illumination(_straighten(pp.to_gray(image), rotation, skew))
    where = f"{source.source} page {source.index + 1}" if source is not None else "page"
    log.debug("prepared %s: %s", where, quality.to_dict())
    return PreparedPage(
        gray=gray,
        quality=quality,
        matrix=matrix,
        source=source,
        original=image,
        rotation=rotation,
        skew_deg=skew,
    )


def _straighten(image: np.ndarray, rotation: int, skew_deg: float) -> np.ndarray:
    """``image`` turned clockwise by ``rotation`` and with ``skew_deg`` taken out (the same image when
    neither is needed)."""
    out = pp.rotate90(image, rotation) if rotation else image
    return pp.deskew(out, skew_deg) if skew_deg else out


def prepare_pages(pages: Iterable[PageImage], **options: object) -> Iterator[PreparedPage]:
    """:func:`prepare_page` over pages, one at a time."""
    for page in pages:
        yield prepare_page(page, **options)  # type: ignore[arg-type]


def _rot90_matrix(rotation: int, width: int, height: int) -> np.ndarray:
    """The map of source pixels to pixels of the image turned clockwise by ``rotation`` degrees."""
    if rotation == 90:
        return np.array([[0.0, -1.0, height - 1.0], [1.0, 0.0, 0.0]])
    if rotation == 180:
        return np.array([[-1.0, 0.0, width - 1.0], [0.0, -1.0, height - 1.0]])
    if rotation == 270:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width - 1.0]])
    return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
