"""The calibration table behind :func:`ocr.confidence.field_confidence`, and how it is fitted.

A field falls in one *group*, ``<field type>.<page class>/<grade>`` (the grade says whether the text is a
valid value of its type, see :func:`ocr.confidence.grade`; the page class whether Tesseract reads the page's
other fields with ease, see :func:`ocr.confidence.page_class`). Within a group the calibrated confidence is a non-decreasing
step function of the engine's raw confidence: ``steps`` is a list of ``[raw_from, confidence]`` pairs, the
confidence of the last step whose ``raw_from`` is at most the raw confidence (the first step below it).
A group without enough fitted fields falls back to ``<field type>/<grade>``, ``*/<grade>``, then ``*/*``
(:func:`fallbacks`).

Fitting (:func:`fit`), per group: fields binned by raw confidence (bins of at least ``min_bin`` fields),
pool-adjacent-violators over the bins (isotonic regression, weighted by counts), and each pooled block's
exactness replaced by a lower bound (Wilson's, so a block of 40 of 40 right is not "certain"), kept
non-decreasing; under ``min_raw`` raw confidence a field is never confident. Then one *cut* is chosen on the fitted fields: the lowest probability such that the fields at
or above it are at least ``target`` exact in every style (typed, handwritten). Probabilities at or above the cut
are raised to at least :data:`CONFIDENT`, those below it lowered to just under it, so that "confident" means
"at least ``target`` exact" while every value stays close to the probability it was fitted as.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sohoa.errors import ConfigError

#: Calibrated confidence at or above which a field counts as "confident" (same as ``ocr.evaluate.CONFIDENT``).
CONFIDENT = 0.9
#: What a probability just under the cut is lowered to.
BELOW = 0.89
ANY = "*"


@dataclass(frozen=True, slots=True)
class Observation:
    """One field read on a sample page: its group, raw confidence, whether it was exact, and where from."""

    group: str  # "<kind>/<grade>"
    raw: float
    exact: bool
    style: str = "?"  # typed | handwritten
    layout: str = "?"  # ledger | form


@dataclass(frozen=True)
class Table:
    """Group → steps ``[(raw_from, confidence), ...]`` sorted by ``raw_from``, non-decreasing confidence."""

    groups: Mapping[str, Sequence[tuple[float, float]]]
    cut: float = CONFIDENT
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, steps in self.groups.items():
            _check_steps(name, steps)

    def steps_for(self, group: str) -> Sequence[tuple[float, float]] | None:
        """The steps of the first of :func:`fallbacks` of ``group`` the table has (None when there is none)."""
        for name in fallbacks(group):
            if name in self.groups:
                return self.groups[name]
        return None

    def __call__(self, group: str, raw: float) -> float:
        """The calibrated confidence of a field of ``group`` with raw confidence ``raw``."""
        steps = self.steps_for(group)
        if steps is None:
            return _clip01(raw)
        i = bisect.bisect_right([s[0] for s in steps], raw) - 1
        return steps[max(i, 0)][1]


def fallbacks(group: str) -> tuple[str, ...]:
    """``group`` and the groups standing in for it, most specific first: ``date.clear/valid`` →
    ``date.clear/valid``, ``date/valid``, ``*/valid``, ``*/*`` (``.clear``: the page class, see
    :func:`ocr.confidence.page_class`)."""
    kind, _, grade = group.partition("/")
    base = kind.partition(".")[0]
    names = [group] + ([f"{base}/{grade}"] if base != kind else [])
    return (*names, f"{ANY}/{grade}", f"{ANY}/{ANY}")


def _check_steps(name: str, steps: Sequence[tuple[float, float]]) -> None:
    xs = [s[0] for s in steps]
    ys = [s[1] for s in steps]
    if "/" not in name:
        raise ValueError(f"calibration group {name!r} is not '<field type>/<grade>'")
    if not steps or xs != sorted(xs) or ys != sorted(ys) or not all(0.0 <= y <= 1.0 for y in ys):
        raise ValueError(
            f"calibration steps of {name!r} must be non-empty, sorted by raw confidence, "
            "with non-decreasing confidences in 0..1"
        )


def _clip01(x: float) -> float:
    return 0.0 if math.isnan(x) else min(1.0, max(0.0, float(x)))


# --------------------------------------------------------------------------- reading and writing
def load_table(path: Path) -> Table:
    """Read a table written by :func:`dump_table`; a :class:`ConfigError` says what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        groups = {str(k): [(float(a), float(b)) for a, b in v] for k, v in dict(raw["groups"]).items()}
        return Table(groups, float(raw.get("cut", CONFIDENT)), dict(raw.get("fit", {})))
    except OSError as exc:
        raise ConfigError(
            f"không đọc được tệp hiệu chỉnh OCR {path} ({exc})",
            hint="khôi phục configs/ocr_calibration.yaml hoặc chạy lại scripts/fit_ocr_calibration.py",
        ) from None
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"tệp hiệu chỉnh OCR {path} bị sai định dạng ({exc})",
            hint="chạy lại scripts/fit_ocr_calibration.py để ghi lại tệp",
        ) from None


def dump_table(table: Table, header: str = "") -> str:
    """The YAML text of ``table`` (``header`` lines become comments at the top)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    body: dict[str, Any] = {
        "fit": dict(table.meta),
        "cut": round(table.cut, 4),
        "groups": {k: [[round(a, 4), round(b, 4)] for a, b in v] for k, v in sorted(table.groups.items())},
    }
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)
    return "\n".join(lines) + ("\n" if lines else "") + text


# --------------------------------------------------------------------------- fitting
def pav(values: Sequence[float], weights: Sequence[float]) -> list[tuple[int, int, float]]:
    """Pool adjacent violators: non-decreasing blocks ``(start, end, mean)`` (end exclusive) fitted to
    ``values`` with ``weights``, in order."""
    blocks: list[list[float]] = []  # [start, end, weighted sum, weight]
    for i, (v, w) in enumerate(zip(values, weights, strict=True)):
        blocks.append([i, i + 1, v * w, w])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] >= blocks[-1][2] / blocks[-1][3]:
            last = blocks.pop()
            blocks[-1][1] = last[1]
            blocks[-1][2] += last[2]
            blocks[-1][3] += last[3]
    return [(int(b[0]), int(b[1]), b[2] / b[3]) for b in blocks]


def lower_bound(exact: int, total: int, z: float = 1.2816) -> float:
    """A cautious exactness: the Wilson score lower bound (``z`` = 1.28: one-sided 90%; 0 with no data)."""
    if total <= 0:
        return 0.0
    p = exact / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return max(0.0, (centre - spread) / (1 + z2 / total))


def bins(points: Sequence[tuple[float, bool]], min_bin: int) -> list[tuple[float, int, int]]:
    """Fields sorted by raw confidence cut into bins of at least ``min_bin`` (equal raw values never
    split): ``(raw_from, exact, total)`` per bin."""
    ordered = sorted(points)
    out: list[tuple[float, int, int]] = []
    start = 0
    while start < len(ordered):
        end = min(len(ordered), start + min_bin)
        while end < len(ordered) and ordered[end][0] == ordered[end - 1][0]:
            end += 1
        if len(ordered) - end < min_bin:
            end = len(ordered)
        chunk = ordered[start:end]
        out.append((chunk[0][0], sum(ok for _, ok in chunk), len(chunk)))
        start = end
    return out


def fit_steps(
    points: Sequence[tuple[float, bool]], *, min_bin: int = 25, z: float = 1.2816
) -> list[tuple[float, float]]:
    """Non-decreasing steps ``(raw_from, probability)`` for one group's (raw, exact) points."""
    binned = bins(points, min_bin)
    blocks = pav([k / n for _, k, n in binned], [float(n) for _, _, n in binned])
    steps: list[tuple[float, float]] = []
    for start, end, _ in blocks:
        exact = sum(binned[i][1] for i in range(start, end))
        total = sum(binned[i][2] for i in range(start, end))
        steps.append((0.0 if not steps else binned[start][0], lower_bound(exact, total, z)))
    # the lower bounds of short blocks may dip: keep them non-decreasing by lowering earlier steps
    for i in range(len(steps) - 2, -1, -1):
        if steps[i][1] > steps[i + 1][1]:
            steps[i] = (steps[i][0], steps[i + 1][1])
    return _merge_equal(steps)


def _merge_equal(steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for raw_from, p in steps:
        if out and abs(out[-1][1] - p) < 1e-9:
            continue
        out.append((raw_from, p))
    return out


def group_points(observations: Iterable[Observation], min_group: int) -> dict[str, list[tuple[float, bool]]]:
    """Points per group, plus the ``*/<grade>`` and ``*/*`` fallbacks; groups under ``min_group`` left out."""
    points: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for o in observations:
        for name in fallbacks(o.group):
            points[name].append((o.raw, o.exact))
    return {k: v for k, v in points.items() if len(v) >= min_group or k == f"{ANY}/{ANY}"}


def choose_cut(scored: Sequence[tuple[float, Observation]], target: float) -> float:
    """The lowest probability p such that, in every style (typed, handwritten), the fields with probability
    ≥ p are at least ``target`` exact (1.0 when no p qualifies). Styles, not style × layout: the few dozen
    confident fields of a style's form pages are too few to set a cut on."""
    slices: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for p, o in scored:
        slices[o.style].append((p, o.exact))
    cut = 0.0
    for pts in slices.values():
        cut = max(cut, _slice_cut(pts, target))
    return cut


def _slice_cut(points: list[tuple[float, bool]], target: float) -> float:
    """The lowest p whose fields at or above are ``target`` exact (only at distinct p values)."""
    ordered = sorted(points, key=lambda t: -t[0])
    best = 1.0 + 1e-9
    exact = total = 0
    i = 0
    while i < len(ordered):
        p = ordered[i][0]
        while i < len(ordered) and ordered[i][0] == p:
            exact += ordered[i][1]
            total += 1
            i += 1
        if exact / total >= target:
            best = p
    return min(best, 1.0)


def cap_below(steps: list[tuple[float, float]], raw: float) -> list[tuple[float, float]]:
    """``steps`` with the probabilities of raw confidences under ``raw`` lowered to at most :data:`BELOW`."""
    at = Table({"x/x": steps})("x/x", raw)
    capped = [(a, min(p, BELOW)) for a, p in steps if a < raw]
    return _merge_equal([*capped, (raw, at), *((a, p) for a, p in steps if a > raw)])


def fold_at_cut(p: float, cut: float) -> float:
    """Probability → reported confidence: at least :data:`CONFIDENT` from the cut up, at most
    :data:`BELOW` under it (non-decreasing)."""
    return max(p, CONFIDENT) if p >= cut else min(p, BELOW)


def fit(
    observations: Sequence[Observation],
    *,
    target: float = 0.997,
    min_group: int = 60,
    min_bin: int = 25,
    z: float = 1.2816,
    min_raw: float = 0.6,
) -> Table:
    """A table fitted on ``observations`` (see the module docstring). A field whose raw confidence is under
    ``min_raw`` is never confident, whatever its group's record."""
    probs = {
        name: cap_below(fit_steps(pts, min_bin=min_bin, z=z), min_raw)
        for name, pts in group_points(observations, min_group).items()
    }
    raw_table = Table(probs, cut=0.0)
    scored = [(raw_table(o.group, o.raw), o) for o in observations]
    cut = choose_cut(scored, target)
    folded = {
        name: _merge_equal([(a, fold_at_cut(p, cut)) for a, p in steps]) for name, steps in probs.items()
    }
    return Table(folded, cut=cut)


def summary(scored: Iterable[tuple[float, Observation]], by: str = "") -> dict[str, dict[str, float]]:
    """confident_share and confident_exact overall (``by=""``) or per ``style``, ``layout``, ``kind``."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # fields, confident, confident exact
    for p, o in scored:
        name = {
            "style": o.style,
            "layout": o.layout,
            "kind": o.group.partition("/")[0].partition(".")[0],
        }.get(by, "all")
        t = tallies[name]
        t[0] += 1
        if p >= CONFIDENT:
            t[1] += 1
            t[2] += int(o.exact)
    return {
        k: {
            "fields": t[0],
            "confident_share": round(t[1] / t[0], 4) if t[0] else 0.0,
            "confident_exact": round(t[2] / t[1], 4) if t[1] else 1.0,
        }
        for k, t in sorted(tallies.items())
    }
