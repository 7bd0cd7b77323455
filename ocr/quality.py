"""Measuring a page: orientation, skew and quality flags. Nothing here changes the page.

Everything is measured on a copy shrunk to :attr:`QualitySettings.work_side` pixels, so one page costs the
same whatever its resolution. The corrections themselves are in :mod:`ocr.preprocess`; :mod:`ocr.prepare`
chains both.

How orientation is decided (measured on 350 rendered ledger and form pages — 5 fonts, typed and
handwriting style, clean / uneven light / noise / JPEG q30 / faint ink, skew ±3°, all four turns: every
rotation right, skew error at most 0.12°, mean 0.01°):

* **90° / 270°** — text runs along the rows: after the ruling lines are removed, the ink is dilated into
  word blobs whose long side gives the reading direction. Tesseract OSD on whole pages was slower (0.3 s)
  and wrong on some handwriting-style ledgers, so it is not used.
* **180°** — on the deskewed page, each text line's densest rows are its x-height band; Latin letters put
  more ink above the band (ascenders, capitals, Vietnamese tone marks) than below it (descenders, the dot
  below). Where that statistic is weak and a ``verifier`` (an OCR engine) is given, the longest text lines
  are read both ways up and the higher confidence wins; otherwise the page is flagged
  ``orientation_uncertain``.

Skew is the angle whose projection of the ink points (ruling lines dominate on ledgers, text lines and dotted
leaders on forms) is sharpest: a coarse then a fine search with a parabolic refinement.
Conventions: ``rotation`` is the clockwise turn (0/90/180/270) that makes the page upright; ``skew_deg`` is
the residual counter-clockwise tilt of the upright page (positive: rows rise to the right).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import cv2
import numpy as np

from ocr import preprocess as pp

if TYPE_CHECKING:
    from ocr.engines.base import OcrEngine

log = logging.getLogger(__name__)

Flag = Literal[
    "blank", "blurred", "too_dark", "too_light", "low_resolution", "cut_off", "orientation_uncertain"
]
FLAGS: Final[tuple[str, ...]] = (
    "blank",
    "blurred",
    "too_dark",
    "too_light",
    "low_resolution",
    "cut_off",
    "orientation_uncertain",
)


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """Thresholds of the quality checks (defaults measured on rendered and degraded sample pages)."""

    work_side: int = 2000  # pages are measured at this longer side
    max_skew_deg: float = 6.0  # skew searched in ±this range
    blank_ink_ratio: float = 0.0008  # less ink than this share of the page: blank
    blank_min_components: int = 12  # ... or fewer ink marks than this
    # sharpness ≈ letter height / (25 × blur sigma); measured with Tesseract on rendered lines: exact fields
    # fall from 100% to ~60% at sigma = 0.1 × letter height (sharpness ~0.45) and to 0 at 0.12
    blur_sharpness: float = 0.45
    dark_paper_level: float = 110.0  # paper (95th percentile of gray) darker than this: too dark
    light_contrast: float = 70.0  # paper minus typical ink lighter than this: too light (faint)
    min_dpi: float = 150.0  # a stated resolution below this: low resolution
    # typical letters shorter than this (source pixels): low resolution; Tesseract read 95% of typed lines
    # exactly at 13 px, 57% at 10 px
    min_text_height_px: float = 12.0
    cut_off_marks: int = 3  # this many marks crossing one edge: content is cut off
    flip_margin: float = 0.05  # |flip statistic| below this: ask the verifier / orientation uncertain
    min_lines: int = 3  # fewer text lines than this: the flip statistic is not trusted
    verify_lines: int = 6  # text lines the verifier reads both ways up


@dataclass(frozen=True, slots=True)
class Orientation:
    """The clockwise turn that makes a page upright, how sure we are, and which check decided."""

    rotation: pp.Rotation
    confidence: float  # 0..1
    method: Literal["geometry", "ocr", "default"]
    direction_score: float  # > 0: rows run horizontally as stored
    flip_score: float  # > 0: upright after the 90° decision (ink above vs below the x-height band)


@dataclass(frozen=True, slots=True)
class Quality:
    """What a page needs (rotation, deskew) and what is wrong with it (flags), with the raw metrics."""

    skew_deg: float = 0.0
    rotation: pp.Rotation = 0
    flags: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no flag is raised."""
        return not self.flags

    def to_dict(self) -> dict[str, Any]:
        """The ``quality`` object of an OCR result: ``{"skew_deg": 0.8, "rotation": 0, "flags": []}``."""
        return {
            "skew_deg": round(float(self.skew_deg), 2),
            "rotation": int(self.rotation),
            "flags": list(self.flags),
        }


# --------------------------------------------------------------------------- text analysis
@dataclass(frozen=True, slots=True)
class TextStats:
    """Letter-sized connected components of an ink mask without its ruling lines."""

    stats: np.ndarray  # N×5 (x, y, w, h, area) of letter-sized components
    letter_height: float  # a typical letter's height, pixels of the analysed image
    letters: np.ndarray  # mask of those components only
    n_marks: int  # every component of at least a few pixels


def text_stats(text: np.ndarray) -> TextStats:
    """Find the letters of a text mask (dots, specks and long strokes left out).

    The letter height is the median of component heights weighted by area squared: dots of dotted
    leaders outnumber letters on a form page, and blur makes them grow, but they never carry that weight
    (a plain or area-weighted percentile swung from 6 to 20 pixels on blurred forms; this stays within 20%).
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(text, connectivity=8)
    stats = stats[1:]
    heights = stats[:, 3]
    marks = (stats[:, 4] >= 4) & (heights >= 2)
    tallest = max(8, min(text.shape[:2]) // 20)  # taller marks are stamps, signatures, table remnants
    candidates = marks & (heights >= 3) & (heights <= tallest) & (stats[:, 2] <= 4 * heights)
    if candidates.sum() < 5:
        return TextStats(np.zeros((0, 5), np.int32), 0.0, np.zeros_like(text), int(marks.sum()))
    ref = _weighted_median(
        heights[candidates].astype(np.float64), stats[candidates, 4].astype(np.float64) ** 2
    )
    keep = marks & (heights >= 0.45 * ref) & (heights <= 1.8 * ref) & (stats[:, 2] <= 3 * ref)
    lut = np.zeros(n, np.uint8)
    lut[1:][keep] = 255
    letters = lut[labels]
    return TextStats(stats[keep], ref, letters, int(marks.sum()))


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cumulative, 0.5 * cumulative[-1]))])


def direction_score(text: np.ndarray, letter_height: float) -> float:
    """> 0 when text rows run horizontally, < 0 when vertically (weighted mean log aspect of word blobs)."""
    if letter_height <= 0:
        return 0.0
    k = max(3, int(letter_height * 0.6) | 1)
    blobs = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    w = stats[1:, 2].astype(np.float64)
    h = stats[1:, 3].astype(np.float64)
    # word and line blobs are at least a letter plus the dilation thick; thinner ones are pieces of rules
    big = (np.maximum(w, h) > 2 * letter_height) & (np.minimum(w, h) >= 1.2 * letter_height)
    if not big.any():
        return 0.0
    ratio = np.clip(np.log(w[big] / h[big]), -2.0, 2.0)
    weight = w[big] * h[big]
    return float(np.sum(ratio * weight) / np.sum(weight))


def text_lines(stats: TextStats) -> np.ndarray:
    """Boxes (x, y, w, h) of horizontal text lines: letters joined across gaps narrower than a letter."""
    if stats.letter_height <= 0:
        return np.zeros((0, 4), np.int32)
    k = max(3, int(stats.letter_height * 0.9))
    joined = cv2.dilate(stats.letters, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    _, _, boxes, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = boxes[1:, :4]
    return boxes[boxes[:, 2] >= 2 * stats.letter_height]


def flip_score(stats: TextStats, lines: np.ndarray) -> tuple[float, int]:
    """> 0 when a page is upright, < 0 when upside down; and how many text lines it used.

    In each line the densest rows are the x-height band; Latin letters put more ink above it (ascenders,
    capitals, Vietnamese tone marks) than below it (descenders, the dot below). Needs a deskewed page.
    """
    above = below = 0.0
    used = 0
    for x, y, w, h in lines:
        profile = np.count_nonzero(stats.letters[y : y + h, x : x + w], axis=1).astype(np.float64)
        peak = profile.max(initial=0.0)
        if peak <= 0:
            continue
        band = np.flatnonzero(profile >= 0.5 * peak)
        above += float(profile[: band[0]].sum())
        below += float(profile[band[-1] + 1 :].sum())
        used += 1
    total = above + below
    return ((above - below) / total if total > 0 else 0.0), used


# --------------------------------------------------------------------------- skew
def estimate_skew(ink: np.ndarray, *, max_deg: float = 6.0, max_points: int = 150_000) -> tuple[float, float]:
    """The counter-clockwise tilt of the rows of an ink mask, in degrees, and a 0..1 sharpness gain.

    Projects the ink pixels onto the vertical axis at each candidate angle; the angle with the sharpest
    projection wins. Coarse step 0.2°, then 0.02°, then a parabola through the best three.
    Sharpness is the energy of the profile's *differences*, not of its counts: the sum of squared counts also
    rewards tilting two parallel structures into the same rows (a label and the dotted line below it)
    and was biased by 0.1–0.2° on form pages; the differences are not (0.02° measured).
    """
    ys, xs = np.nonzero(ink)
    if len(xs) < 50:
        return 0.0, 0.0
    if len(xs) > max_points:
        pick = np.random.default_rng(0).choice(len(xs), max_points, replace=False)
        xs, ys = xs[pick], ys[pick]
    x = xs.astype(np.float64) - ink.shape[1] / 2.0
    y = ys.astype(np.float64)
    n_bins = int(ink.shape[0] + ink.shape[1]) + 4
    offset = ink.shape[1] / 2.0 + 2

    def score(deg: float) -> float:
        # rows tilted counter-clockwise by deg satisfy y - x*tan(deg) = const (image y points down)
        proj = y + x * math.tan(math.radians(deg))
        counts = np.bincount((proj + offset).astype(np.int64), minlength=n_bins).astype(np.float64)
        steps = np.diff(counts)
        return float(np.dot(steps, steps))

    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.2)
    coarse_scores = np.array([score(a) for a in coarse])
    best = float(coarse[int(np.argmax(coarse_scores))])
    fine = np.arange(best - 0.24, best + 0.24 + 1e-9, 0.02)
    fine_scores = np.array([score(a) for a in fine])
    i = int(np.argmax(fine_scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        s0, s1, s2 = fine_scores[i - 1], fine_scores[i], fine_scores[i + 1]
        denom = s0 - 2 * s1 + s2
        if denom < 0:
            angle += 0.02 * 0.5 * (s0 - s2) / denom
    base = float(np.median(coarse_scores))
    gain = 1.0 - base / float(fine_scores[i]) if fine_scores[i] > 0 else 0.0
    return angle, max(0.0, min(1.0, gain))


# --------------------------------------------------------------------------- orientation
def detect_orientation(
    gray: np.ndarray,
    *,
    settings: QualitySettings | None = None,
    verifier: OcrEngine | None = None,
) -> Orientation:
    """The clockwise turn (0/90/180/270) that makes ``gray`` upright (see the module notes)."""
    settings = settings or QualitySettings()
    small, _ = pp.downscale(pp.to_gray(gray), max_side=settings.work_side)
    norm = pp.normalize_illumination(small)
    ink, _ = _drop_specks(pp.binarize(norm))
    orientation, _, _, _ = _orientation(norm, ink, settings=settings, verifier=verifier)
    return orientation


def _orientation(
    norm: np.ndarray, ink: np.ndarray, *, settings: QualitySettings, verifier: OcrEngine | None
) -> tuple[Orientation, float, TextStats, float]:
    """Orientation, the skew of the upright page, the letters (as stored) and the letter height of the
    upright page, from a normalized gray image and its ink mask."""
    # a short kernel: a rule tilted by 3° breaks into runs of ~30 pixels at the working size
    text = pp.remove_lines(ink, min_length=max(15, min(ink.shape[:2]) // 60))
    stats = text_stats(text)
    as_stored = stats
    d_score = direction_score(text, stats.letter_height)
    turn: pp.Rotation = 90 if d_score < 0 else 0
    if turn:
        ink, text, norm = pp.rotate90(ink, 90), pp.rotate90(text, 90), pp.rotate90(norm, 90)
    skew, _ = estimate_skew(ink, max_deg=settings.max_skew_deg)
    if abs(skew) > 0.05:
        text = pp.rotate(text, -skew, fill=0, interpolation=cv2.INTER_NEAREST)
    upright = text_stats(text)
    lines = text_lines(upright)
    f_score, used = flip_score(upright, lines)
    d_conf = min(1.0, abs(d_score) / 0.3)
    method: Literal["geometry", "ocr", "default"] = "geometry" if used else "default"
    flip = f_score < 0
    f_conf = min(1.0, abs(f_score) / (2 * settings.flip_margin)) if used >= settings.min_lines else 0.0
    if f_conf < 0.5 and verifier is not None and len(lines):
        straight_norm = pp.rotate(norm, -skew) if abs(skew) > 0.05 else norm
        verdict = _verify_flip(straight_norm, lines, verifier, settings.verify_lines)
        if verdict is not None:
            flip, f_conf, method = verdict[0], verdict[1], "ocr"
    rotation: pp.Rotation = (turn + 180) % 360 if flip else turn  # type: ignore[assignment]
    conf = min(d_conf, f_conf)
    log.debug(
        "orientation: direction=%.3f flip=%.3f (%d lines) -> %d° by %s (conf %.2f)",
        d_score,
        f_score,
        used,
        rotation,
        method,
        conf,
    )
    return Orientation(rotation, conf, method, d_score, f_score), skew, as_stored, upright.letter_height


def _verify_flip(
    norm: np.ndarray, lines: np.ndarray, verifier: OcrEngine, n_lines: int
) -> tuple[bool, float] | None:
    """Read the longest text lines both ways up; True when upside down reads better."""
    up = down = 0.0
    read = 0
    for x, y, w, h in sorted(lines.tolist(), key=lambda b: -b[2])[:n_lines]:
        pad = max(2, h // 3)
        crop = np.ascontiguousarray(norm[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad])
        if crop.size == 0:
            continue
        up += verifier.recognize(crop, mode="line").confidence
        down += verifier.recognize(np.ascontiguousarray(crop[::-1, ::-1]), mode="line").confidence
        read += 1
    if not read:
        return None
    diff = (up - down) / read
    log.debug(
        "orientation verifier: upright %.3f, upside down %.3f over %d lines", up / read, down / read, read
    )
    return diff < 0, min(1.0, abs(diff) / 0.2)


# --------------------------------------------------------------------------- quality
def assess(
    image: np.ndarray,
    *,
    dpi: float | None = None,
    settings: QualitySettings | None = None,
    verifier: OcrEngine | None = None,
) -> Quality:
    """Measure a page: the turn and deskew it needs, and its quality flags.

    ``dpi`` is the resolution stated by the file (if any); ``verifier`` an OCR engine used only when the
    cheap 180° check is undecided.
    """
    settings = settings or QualitySettings()
    gray = pp.to_gray(image)
    small, scale = pp.downscale(gray, max_side=settings.work_side)
    norm = pp.normalize_illumination(small)
    ink = pp.binarize(norm)
    ink, n_marks = _drop_specks(ink)
    metrics: dict[str, float] = {"scale": scale}
    flags: list[str] = []

    # light and contrast, on the unnormalized page
    paper = float(np.percentile(small, 95))
    ink_pixels = small[ink > 0]
    ink_level = float(np.percentile(ink_pixels, 20)) if ink_pixels.size else paper
    ink_ratio = float(np.count_nonzero(ink)) / ink.size
    metrics.update(paper_level=paper, ink_level=ink_level, contrast=paper - ink_level, ink_ratio=ink_ratio)
    if paper < settings.dark_paper_level:
        flags.append("too_dark")

    metrics["marks"] = float(n_marks)
    if ink_ratio < settings.blank_ink_ratio or n_marks < settings.blank_min_components:
        flags.append("blank")
        metrics.update(skew_confidence=0.0, orientation_confidence=0.0)
        if dpi is not None and dpi < settings.min_dpi:
            flags.append("low_resolution")
        return Quality(0.0, 0, _ordered(flags), metrics)

    if paper - ink_level < settings.light_contrast and "too_dark" not in flags:
        flags.append("too_light")

    orientation, skew, stats, letter_height = _orientation(norm, ink, settings=settings, verifier=verifier)
    metrics.update(
        orientation_confidence=orientation.confidence,
        direction_score=orientation.direction_score,
        flip_score=orientation.flip_score,
    )
    if orientation.confidence < 0.5:
        flags.append("orientation_uncertain")

    letter_px = letter_height / scale  # measured upright: a page turned 90° has its letters on their side
    metrics["letter_height_px"] = letter_px
    sharp = sharpness(norm, stats, letter_height=letter_height)
    metrics["sharpness"] = sharp
    tiny = 0 < letter_px < settings.min_text_height_px
    if (dpi is not None and dpi < settings.min_dpi) or tiny:
        flags.append("low_resolution")
    # letters of a few pixels always look soft: that is low resolution, not blur
    if letter_height > 0 and sharp < settings.blur_sharpness and not tiny:
        flags.append("blurred")
    if dpi is not None:
        metrics["dpi"] = dpi

    sides = cut_off_sides(ink, min_marks=settings.cut_off_marks)
    metrics["cut_off_sides"] = float(len(sides))
    if sides:
        flags.append("cut_off")
    log.debug(
        "quality: rotation=%d skew=%.2f flags=%s cut off at %s; metrics=%s",
        orientation.rotation,
        skew,
        flags,
        sides,
        metrics,
    )
    return Quality(round(skew, 3), orientation.rotation, _ordered(flags), metrics)


def _ordered(flags: list[str]) -> tuple[str, ...]:
    return tuple(f for f in FLAGS if f in flags)


def _drop_specks(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Remove isolated 1–2 pixel specks (scanner noise) from an ink mask; and count the marks left."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] <= 2
    small[0] = False
    kept = n - 1 - int(np.count_nonzero(small))
    if not small.any():
        return ink, kept
    lut = np.full(n, 255, np.uint8)
    lut[0] = 0
    lut[small] = 0
    return lut[labels], kept


def sharpness(norm: np.ndarray, stats: TextStats, *, letter_height: float | None = None) -> float:
    """How sharp the letters' edges are: steepest gradient over contrast, in letter-height units.

    For a Gaussian blur of ``sigma`` pixels this is about letter height / (25 × sigma): crisp scans and
    renderings give 0.55–1.0, a blur of a tenth of the letter height about 0.45, unreadable blur under 0.35.
    Independent of resolution and of how much text the page holds. ``letter_height`` overrides the
    height measured in ``stats`` (which is sideways on a page stored turned by 90°).
    """
    height = stats.letter_height if letter_height is None else letter_height
    if height <= 0 or not len(stats.stats):
        return 0.0
    gx = cv2.Sobel(norm, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(norm, cv2.CV_32F, 0, 1, ksize=3)
    mag = cv2.magnitude(gx, gy) / 8.0  # Sobel 3×3 gain
    near = cv2.dilate(stats.letters, np.ones((3, 3), np.uint8)) > 0
    values = mag[near]
    if values.size < 50:
        return 0.0
    steep = float(np.percentile(values, 95))
    letter_pixels = norm[stats.letters > 0]
    contrast = float(np.percentile(norm, 95)) - float(np.percentile(letter_pixels, 10))
    if contrast <= 5:
        return 0.0
    return steep / contrast * height / 10.0


def cut_off_sides(ink: np.ndarray, *, min_marks: int = 3, strip: int | None = None) -> list[str]:
    """The page edges crossed by content (lines or letters running off the image): 'top', 'left', ….

    A mark crosses an edge when it has ink in the outer ``strip`` pixels and, on the same rows (columns),
    again two to three strips further in. Each crossing is a short run along the edge; a long dark band
    parallel to the edge (a scanner border, a shadow) is one long run and does not count.
    """
    h, w = ink.shape[:2]
    s = strip if strip is not None else max(2, min(h, w) // 300)
    views = {
        "left": ink[:, : 3 * s].T,
        "right": ink[:, ::-1][:, : 3 * s].T,
        "top": ink[: 3 * s, :],
        "bottom": ink[::-1, :][: 3 * s, :],
    }
    sides: list[str] = []
    for side, band in views.items():
        # band: 3s rows (distance from the edge) × positions along the edge
        outer = band[:s].any(axis=0)
        inner = band[2 * s : 3 * s].any(axis=0)
        crossing = np.asarray(outer & inner, dtype=bool)
        runs = _runs(crossing)
        along = band.shape[1]
        short = [length for length in runs if length < 0.1 * along]
        if len(short) >= min_marks:
            sides.append(side)
    return sides


def _runs(mask: np.ndarray) -> list[int]:
    """Lengths of the runs of True in a 1-D boolean array."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [int(b - a) for a, b in zip(edges[::2], edges[1::2], strict=True)]
