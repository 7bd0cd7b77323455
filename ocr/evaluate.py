"""OCR results scored against ground truth (``truth.jsonl`` from samples/): the one scoring used by the
accuracy tests, the calibration fit and ``benchmarks/ocr_bench.py``.

A record of the result matches the truth record with the same image and row (images compared by their path
relative to the samples folder, see :func:`image_key`). A field is *exact* when both texts are equal after NFC
and whitespace folding; a ``choice`` field is also exact when the truth's caption reads as the option key the
OCR gave. Every truth field counts, empty ones too (an empty cell read as text is an error). Fields are tallied
overall, per field type, per style and per font (from the manifest's ``page_details``), and, for the fields
whose confidence reaches ``threshold``, separately: the share marked confident and how often those are right.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr.read import choice_key, field_kinds, fold
from sohoa.config import layout as load_layout

#: Calibrated confidence at or above which a field counts as "confident" (shown to reviewers as trusted).
CONFIDENT = 0.9


@dataclass
class Tally:
    """How many fields were compared and how many were exactly right."""

    total: int = 0
    exact: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.exact += int(ok)

    @property
    def rate(self) -> float:
        return self.exact / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"fields": self.total, "exact": self.exact, "rate": round(self.rate, 4)}


@dataclass
class Score:
    """Accuracy of a set of OCR results against the truth of the same pages."""

    threshold: float = CONFIDENT
    records_truth: int = 0
    records_found: int = 0
    records_extra: int = 0
    fields: Tally = field(default_factory=Tally)
    confident: Tally = field(default_factory=Tally)
    by_type: dict[str, Tally] = field(default_factory=dict)
    by_style: dict[str, Tally] = field(default_factory=dict)
    by_font: dict[str, Tally] = field(default_factory=dict)
    by_key: dict[str, Tally] = field(default_factory=dict)
    #: (calibrated or raw confidence, exact) of every compared field, for fitting a calibration
    observations: list[tuple[str, float, bool]] = field(default_factory=list)

    @property
    def records_found_rate(self) -> float:
        return self.records_found / self.records_truth if self.records_truth else 0.0

    @property
    def confident_share(self) -> float:
        return self.confident.total / self.fields.total if self.fields.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "records_truth": self.records_truth,
            "records_found": round(self.records_found_rate, 4),
            "records_extra": self.records_extra,
            "field_exact": round(self.fields.rate, 4),
            "fields": self.fields.total,
            "confident_threshold": self.threshold,
            "confident_share": round(self.confident_share, 4),
            "confident_exact": round(self.confident.rate, 4),
            "by_type": {k: v.to_dict() for k, v in sorted(self.by_type.items())},
            "by_style": {k: v.to_dict() for k, v in sorted(self.by_style.items())},
            "by_font": {k: v.to_dict() for k, v in sorted(self.by_font.items())},
        }


def image_key(path: str | Path, root: str | Path | None = None) -> str:
    """The path of an image as the truth names it: relative to the samples folder ``root`` when it lies
    inside it, with forward slashes."""
    p = Path(path)
    if root is not None:
        with contextlib.suppress(ValueError):
            p = p.resolve().relative_to(Path(root).resolve())
    return p.as_posix()


def page_fonts(manifest: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Image path → (style, font) from a samples manifest's ``page_details``."""
    out: dict[str, tuple[str, str]] = {}
    for book in manifest.get("books", []):
        for detail in book.get("page_details", []):
            out[detail["image"]] = (str(detail.get("style", "?")), str(detail.get("font", "?")))
    return out


def same_text(truth: str, got: str, kind: str, book_type: str, key: str) -> bool:
    """Whether ``got`` is exactly the truth's text (after folding; ``choice`` fields by option)."""
    t, g = fold(truth), fold(got)
    if t == g:
        return True
    if kind == "choice" and t:
        return choice_key(book_type, key, t, 1.0)[0] == g
    return False


def score(
    results: Iterable[Mapping[str, Any]],
    truth: Iterable[Mapping[str, Any]],
    *,
    fonts: Mapping[str, tuple[str, str]] | None = None,
    root: str | Path | None = None,
    threshold: float = CONFIDENT,
) -> Score:
    """Score OCR result dicts (the OCR result contract) against truth records of the same pages.

    ``root`` is the samples folder (result images are made relative to it); ``fonts`` maps truth image
    paths to (style, font) (see :func:`page_fonts`)."""
    got: dict[tuple[str, int], Mapping[str, Any]] = {}
    for r in results:
        got[(image_key(r["image"], root), int(r["row"]))] = r
    out = Score(threshold=threshold)
    kinds_cache: dict[tuple[str, str], dict[str, str]] = {}
    matched: set[tuple[str, int]] = set()
    for t in truth:
        out.records_truth += 1
        key = (image_key(t["image"]), int(t["row"]))
        style, font = (fonts or {}).get(key[0], ("?", "?"))
        lt = (str(t["book_type"]), str(t["era"]))
        if lt not in kinds_cache:
            kinds_cache[lt] = field_kinds(load_layout(*lt))
        kinds = kinds_cache[lt]
        rec = got.get(key)
        if rec is not None:
            out.records_found += 1
            matched.add(key)
        for fkey, ttext in t["fields"].items():
            if fkey not in kinds:
                continue  # truth holds a few fields the layout does not read (e.g. of another era)
            kind = kinds[fkey]
            fres = rec["fields"].get(fkey) if rec is not None else None
            text = str(fres["text"]) if fres else ""
            conf = float(fres["confidence"]) if fres else 0.0
            ok = same_text(str(ttext), text, kind, lt[0], fkey)
            out.fields.add(ok)
            out.by_type.setdefault(kind, Tally()).add(ok)
            out.by_style.setdefault(style, Tally()).add(ok)
            out.by_font.setdefault(font, Tally()).add(ok)
            out.by_key.setdefault(fkey, Tally()).add(ok)
            out.observations.append((kind, conf, ok))
            if conf >= threshold:
                out.confident.add(ok)
    out.records_extra = len(set(got) - matched)
    return out
