"""The page renderer of the sample books: ledger and form pages, typed or handwritten, scanned and damaged.

    from samples.render import PageSpec, choose_pen, render_page

    page = render_page(PageSpec(layout, records, pen, office_lines, volume="01", page=1, seed=(1, 0, 0)))
    page.image      # uint8, H×W×3 RGB or H×W grey, as it is saved
    page.boxes      # per record: field key -> [x, y, w, h] in that image (after skew and rotation)
    page.encode()   # PNG or JPEG bytes (page.extension), deterministic

Modules: :mod:`.fonts` (bundled fonts, glyph coverage), :mod:`.text` (pens, wrapping), :mod:`.canvas`
(layers, rules, tick marks, office names), :mod:`.ledger`, :mod:`.form`, :mod:`.damage` (paper, scan,
encoding), :mod:`.page` (one page from its spec).
"""

from samples.render.page import STYLES, PageSpec, PenStyle, RenderedPage, choose_pen, render_page

__all__ = ["STYLES", "PageSpec", "PenStyle", "RenderedPage", "choose_pen", "render_page"]
