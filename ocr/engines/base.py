"""The one OCR engine interface, its output and the raw field confidence.

Every engine reads one crop (a cell, a line after a label) and returns a :class:`Recognition`: the text
(Unicode NFC), a field confidence in 0..1 and the words with their own confidence and box. Engines never
restrict the character set (whitelists break Tesseract's LSTM decoder): digits and dates are checked after
recognition by ``normalize/``.

The field confidence is the *lowest* word confidence (one doubtful word makes the field doubtful), raw: the
calibration into "probability that the field is exactly right" is :func:`ocr.confidence.field_confidence`,
applied by :mod:`ocr.read` to every field once its text is cleaned. A crop without ink gets confidence 1
(surely empty).
"""

from __future__ import annotations

import logging
import math
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, NamedTuple

import cv2
import numpy as np

from sohoa.errors import ConfigError, SohoaError
from sohoa.fields import FIELD_TYPES

log = logging.getLogger(__name__)

Mode = Literal["line", "block", "word"]
MODES: Final[tuple[str, ...]] = ("line", "block", "word")
BBox = tuple[int, int, int, int]  # x, y, width, height in the pixels of the image given to the engine


class EngineUnavailable(ConfigError):
    """The OCR engine or its Vietnamese model is not installed or cannot start."""


class OcrEngineError(SohoaError):
    """The OCR engine failed on an image."""


class Word(NamedTuple):
    """One recognized word: text, confidence 0..1 and box (x, y, w, h)."""

    text: str
    confidence: float
    bbox: BBox


@dataclass(frozen=True, slots=True)
class Recognition:
    """What an engine read in one crop."""

    text: str
    confidence: float  # field confidence (the lowest word confidence), 0..1
    words: tuple[Word, ...] = ()
    raw_confidence: float = 0.0  # the same: engines do not calibrate (see ocr.confidence)
    mode: Mode = "line"
    kind: str = "text"
    blank: bool = False  # the crop had no ink, so the engine did not run (confidence 1: surely empty)

    @property
    def empty(self) -> bool:
        """True when nothing was read."""
        return not self.text.strip()

    @property
    def bbox(self) -> BBox | None:
        """The box around every word, or None when nothing was read."""
        if not self.words:
            return None
        x0 = min(w.bbox[0] for w in self.words)
        y0 = min(w.bbox[1] for w in self.words)
        x1 = max(w.bbox[0] + w.bbox[2] for w in self.words)
        y1 = max(w.bbox[1] + w.bbox[3] for w in self.words)
        return (x0, y0, x1 - x0, y1 - y0)


# --------------------------------------------------------------------------- confidence
def field_confidence(words: Iterable[Word]) -> float:
    """The raw field confidence: the lowest word confidence (0.0 when there is no word)."""
    confs = [w.confidence for w in words]
    return min(confs) if confs else 0.0


#: What an engine-level calibration looks like (field confidence, field type) → confidence. Engines keep none
#: (``OcrEngine.calibration`` is None): the one calibration is :func:`ocr.confidence.field_confidence`.
Calibration = Callable[[float, str], float]


def calibrate(confidence: float, kind: str) -> float:
    """The engine-level confidence of a field of type ``kind``: the raw one, clipped to 0..1. Calibrating it
    into "probability of being exactly right" is :func:`ocr.confidence.field_confidence`'s job, applied once
    to every field by :mod:`ocr.read` (it knows the text after cleaning, which engines do not)."""
    del kind
    return _clip01(confidence)


def _clip01(x: float) -> float:
    return 0.0 if math.isnan(x) else min(1.0, max(0.0, float(x)))


# --------------------------------------------------------------------------- text clean-up
def clean_text(lines: Iterable[str], mode: Mode) -> str:
    """NFC, trimmed lines, no empty lines; lines joined by newlines in block mode, by spaces otherwise."""
    kept = [" ".join(unicodedata.normalize("NFC", line).split()) for line in lines]
    kept = [line for line in kept if line]
    return ("\n" if mode == "block" else " ").join(kept)


# --------------------------------------------------------------------------- the interface
class OcrEngine(ABC):
    """Reads one crop. Subclasses implement :meth:`_read`; :meth:`recognize` does the rest.

    ``pad`` white pixels are added around every crop (Tesseract misreads text that touches the edge);
    crops whose height is under ``min_height`` are enlarged to it first. Word boxes are given back in the
    caller's pixels. A crop without ink (darkest and lightest pixels closer than ``blank_contrast``) is not
    read at all: Tesseract invents a character or two on empty crops.
    """

    name: str = "engine"
    #: Always None: confidences are calibrated once per field by :func:`ocr.confidence.field_confidence`.
    calibration: Calibration | None = None

    def __init__(self, *, pad: int = 10, min_height: int = 24, blank_contrast: int = 40) -> None:
        self.pad = pad
        self.min_height = min_height
        self.blank_contrast = blank_contrast

    def recognize(self, image: np.ndarray, *, mode: Mode = "line", kind: str = "text") -> Recognition:
        """Read ``image`` (gray or BGR uint8): ``mode`` is one line, a block of lines or one word;
        ``kind`` the field type (of :data:`sohoa.fields.FIELD_TYPES`)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if kind not in FIELD_TYPES:
            raise ValueError(f"kind must be a field type of sohoa.fields.FIELD_TYPES, not {kind!r}")
        gray = _as_gray(image)
        if gray.shape[0] < 2 or gray.shape[1] < 2 or is_blank(gray, self.blank_contrast):
            return self._blank(mode, kind)
        scale = 1.0
        if gray.shape[0] < self.min_height:
            scale = self.min_height / gray.shape[0]
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        if self.pad:
            gray = cv2.copyMakeBorder(
                gray, self.pad, self.pad, self.pad, self.pad, cv2.BORDER_CONSTANT, value=255
            )
        text, words = self._read(np.ascontiguousarray(gray), mode, kind)
        mapped = tuple(
            Word(w.text, _clip01(w.confidence), _unmap(w.bbox, self.pad, scale, image.shape)) for w in words
        )
        return self._result(text, mapped, mode, kind)

    def _result(self, text: str, words: tuple[Word, ...], mode: Mode, kind: str) -> Recognition:
        raw = field_confidence(words) if text.strip() else 0.0
        return Recognition(text=text, confidence=raw, words=words, raw_confidence=raw, mode=mode, kind=kind)

    def _blank(self, mode: Mode, kind: str) -> Recognition:
        return Recognition(text="", confidence=1.0, raw_confidence=1.0, mode=mode, kind=kind, blank=True)

    @abstractmethod
    def _read(self, gray: np.ndarray, mode: Mode, kind: str) -> tuple[str, list[Word]]:
        """Text (cleaned with :func:`clean_text`) and words (confidence 0..1, boxes in ``gray``'s pixels)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the engine holds (nothing by default)."""


def _as_gray(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise ValueError("image must be a non-empty numpy array")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8, not {image.dtype}")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    raise ValueError(f"image must be gray or BGR, not shape {image.shape}")


def is_blank(gray: np.ndarray, contrast: int = 40) -> bool:
    """True when a gray crop holds no ink: its 0.5th and 99.5th percentiles differ by less than ``contrast``."""
    step = max(1, int(math.sqrt(gray.size / 20_000)))
    sample = gray[::step, ::step]
    lo, hi = percentiles_u8(sample, (0.5, 99.5))
    return bool(hi - lo < contrast)


def percentiles_u8(image: np.ndarray, qs: tuple[float, ...]) -> tuple[float, ...]:
    """``np.percentile(image, qs)`` (linear interpolation, the same values) of a uint8 array, from its
    histogram rather than by sorting."""
    ends = np.cumsum(np.bincount(image.ravel(), minlength=256))  # ends[v]: how many values are <= v
    last = int(ends[-1]) - 1
    pos = [q / 100.0 * last for q in qs]
    lows = [math.floor(p) for p in pos]
    values = np.searchsorted(ends, [*lows, *(min(i + 1, last) for i in lows)], side="right").tolist()
    k = len(qs)
    return tuple(values[j] + (pos[j] - lows[j]) * (values[k + j] - values[j]) for j in range(k))


def _unmap(bbox: BBox, pad: int, scale: float, shape: tuple[int, ...]) -> BBox:
    """A box in the padded, scaled crop back to the caller's pixels (clipped to the image)."""
    h, w = shape[:2]
    x0 = max(0, min(w, round((bbox[0] - pad) / scale)))
    y0 = max(0, min(h, round((bbox[1] - pad) / scale)))
    x1 = max(0, min(w, round((bbox[0] + bbox[2] - pad) / scale)))
    y1 = max(0, min(h, round((bbox[1] + bbox[3] - pad) / scale)))
    return (x0, y0, x1 - x0, y1 - y0)


# --------------------------------------------------------------------------- Tesseract's model files
_SEARCH: Final[tuple[str, ...]] = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/usr/local/share/tesseract-ocr/*/tessdata",
    "/opt/homebrew/share/tessdata",
)


def find_tessdata(lang: str = "vie") -> Path:
    """The folder holding ``<lang>.traineddata`` for every language of ``lang`` ("vie", "vie+eng").

    ``TESSDATA_PREFIX`` first (the folder itself, or its ``tessdata`` subfolder), then the usual system
    places, newest Tesseract version first.
    """
    import glob
    import os

    needed = [part for part in lang.split("+") if part]
    candidates: list[Path] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [Path(prefix), Path(prefix) / "tessdata"]
    for pattern in _SEARCH:
        candidates += [Path(p) for p in sorted(glob.glob(pattern), reverse=True)]
    for folder in candidates:
        if all((folder / f"{part}.traineddata").is_file() for part in needed):
            return folder
    looked = ", ".join(str(c) for c in candidates) or "không nơi nào"
    raise EngineUnavailable(
        f"không tìm thấy mô hình Tesseract {lang!r} (đã tìm ở {looked})",
        hint="cài mô hình (apt-get install tesseract-ocr-vie) hoặc đặt TESSDATA_PREFIX là thư mục "
        "chứa vie.traineddata",
    )
