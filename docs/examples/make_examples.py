"""Render the example pages of this folder (downscaled, palette PNG, under 400 kB each).

    .venv/bin/python docs/examples/make_examples.py

Real sample pages are 4000×2800 (ledger) or 1654×2339 (form) pixels at about 200 dpi; see
``samples/make.py`` for how books are assembled and ``samples/render/`` for how a page is drawn.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from samples.population import draw_books, simulate_for  # noqa: E402
from samples.render.canvas import office_lines  # noqa: E402
from samples.render.page import PageSpec, PenStyle, render_page  # noqa: E402
from sohoa import config  # noqa: E402

HERE = Path(__file__).resolve().parent
WIDTH = 1400


@dataclass(frozen=True)
class Example:
    name: str
    book_type: str
    era: str
    rows: int
    pen: PenStyle
    damage: float
    seed: tuple[int, ...]


EXAMPLES = (
    Example(
        "ledger_typed",
        "birth",
        "2006-2015",
        12,
        PenStyle("typed", "Noto Serif", (25, 25, 30), 34),
        0.6,
        (2026, 0, 0),
    ),
    Example(
        "ledger_handwritten",
        "death",
        "1999-2005",
        14,
        PenStyle("handwritten", "Itim", (30, 55, 150), 36, slant=0.12, jitter=1.0),
        0.8,
        (2026, 1, 0),
    ),
    Example(
        "form_typed", "birth", "2016+", 1, PenStyle("typed", "Roboto", (20, 20, 25), 34), 0.5, (2026, 2, 0)
    ),
    Example(
        "ledger_damaged",
        "marriage",
        "1976-1999",
        16,
        PenStyle("handwritten", "Patrick Hand", (80, 40, 130), 36, slant=0.2, stroke=1, jitter=1.3),
        2.0,
        (2026, 3, 39),  # stains, show-through, gutter shadow, 1.7° skew
    ),
)


def main() -> None:
    population = simulate_for(2, {(e.book_type, e.era): e.rows for e in EXAMPLES})
    for ex in EXAMPLES:
        book = draw_books(population, 5, ex.book_type, ex.era, 1, ex.rows)[0]
        records = []
        for n, rec in enumerate(book.records, start=1):
            fields = dict(rec.fields)
            fields.update(
                {"registration.number": str(n), "registration.volume": "01", "registration.page": "1"}
            )
            records.append(fields)
        years = sorted({r.registration_date.year for r in book.records})
        spec = PageSpec(
            layout=config.layout(ex.book_type, ex.era),
            records=records,
            pen=ex.pen,
            office_lines=office_lines(book.office),
            volume="01",
            page=1,
            subtitle=f"Năm {years[0]}" if len(years) == 1 else f"Từ năm {years[0]} đến năm {years[-1]}",
            seed=ex.seed,
            damage=ex.damage,
        )
        page = render_page(spec)
        image = Image.fromarray(np.ascontiguousarray(page.image)).convert("RGB")
        height = round(image.height * WIDTH / image.width)
        small = image.resize((WIDTH, height), Image.Resampling.LANCZOS)
        small.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            HERE / f"{ex.name}.png", optimize=True
        )


if __name__ == "__main__":
    main()
