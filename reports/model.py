"""The shape every report takes: views (tables of figures) and chart specs, computed once.

Renderers (``reports.render``) turn one :class:`Report` into a rich table, CSV, XLSX or HTML; they never
compute a figure, so every format shows the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sohoa.errors import InputError

ColumnKind = Literal["text", "int", "year", "pct", "float", "date", "bool"]


@dataclass(frozen=True)
class Column:
    """One column: ``key`` is the CSV header, ``header`` the Vietnamese header (XLSX, HTML, terminal)."""

    key: str
    header: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class View:
    """One table of a report (one XLSX sheet, one HTML section, one CSV file)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    note: str = ""
    terminal_keys: tuple[str, ...] = ()  # the columns a terminal shows (all when empty)

    def terminal_columns(self) -> tuple[Column, ...]:
        if not self.terminal_keys:
            return self.columns
        return tuple(c for c in self.columns if c.key in self.terminal_keys)

    def values(self, row: dict[str, Any]) -> list[Any]:
        return [row.get(c.key) for c in self.columns]


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


@dataclass(frozen=True)
class ChartSpec:
    """Data for one chart: grouped bars over categories, or a line over time labels."""

    kind: Literal["bars", "line"]
    title: str
    labels: list[str]
    series: list[Series]
    y_label: str = ""
    annotations: list[str] = field(default_factory=list)  # bars: a text above each group


@dataclass(frozen=True)
class Report:
    kind: Literal["progress", "quality", "vital"]
    title: str
    generated_at: dt.datetime
    filters: dict[str, str]
    views: list[View]
    charts: list[ChartSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def primary(self) -> View:
        return self.views[0]

    def view(self, name: str) -> View:
        for v in self.views:
            if v.name == name:
                return v
        known = ", ".join(v.name for v in self.views)
        raise InputError(f"báo cáo {self.kind} không có dạng xem {name!r}", hint=f"dùng một trong: {known}")


def ratio(part: int | float, whole: int | float) -> float | None:
    """``part / whole``, or None when ``whole`` is 0 (shown as blank, never as 0 %)."""
    return part / whole if whole else None
