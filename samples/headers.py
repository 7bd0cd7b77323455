"""Printers' column headers for sample ledgers: shapes, caption variants and column widths, fit vs eval.

Every dimension here has a *fit* part (pages a reader may be tuned on) and an *eval* part (pages nothing
is tuned on), chosen with ``split``:

- captions: :data:`CAPTION_VARIANTS` holds, per field attribute (the last part of a field key:
  ``full_name``, ``birth_date``, …), the wordings printers used, split in two disjoint lists. Fit pages
  use the layout's own caption or a fit variant; eval pages use only eval variants (never the layout's
  caption nor a fit variant), and half the eval books print every caption in capitals.
  :data:`GROUP_VARIANTS` does the same for the merged group captions.
- column widths (``widths="jitter"``): each relative width × a factor, then renormalised. Fit factors
  come from 0.85–1.18, eval factors from 0.80–1.25 and from another random stream, so no eval book shares
  a fit book's widths. Outside about 0.8–1.25 neighbouring columns could swap places in the reader's
  width-based mapping, which is not what these pages are for.
- shape: ``layout`` (as the layout file says), ``one_row``, ``numbered`` or ``three_rows``
  (see :mod:`samples.render.ledger`); ``mixed`` picks one per book from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from samples.render.ledger import HEADER_SHAPES, HeaderStyle
from sohoa.config import Layout

SPLITS: tuple[str, ...] = ("fit", "eval")
SHAPE_CHOICES: tuple[str, ...] = (*HEADER_SHAPES, "mixed")
WIDTH_CHOICES: tuple[str, ...] = ("layout", "jitter")
WIDTH_RANGES: dict[str, tuple[float, float]] = {"fit": (0.85, 1.18), "eval": (0.80, 1.25)}
_SPLIT_STREAM = {"fit": 0, "eval": 1}

# field attribute -> (fit wordings, eval wordings); the layouts' own captions count as fit
CAPTION_VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "number": (("Số TT", "Số thứ tự"), ("STT", "Số đăng ký")),
    "date": (("Ngày, tháng đăng ký", "Ngày tháng năm đăng ký"), ("Ngày ĐK", "Đăng ký ngày")),
    "full_name": (("Họ tên", "Họ, chữ đệm, tên"), ("Họ và tên người được đăng ký", "Tên họ")),
    "birth_date": (
        ("Ngày tháng năm sinh", "Sinh ngày"),
        ("Ngày, tháng, năm sinh", "Ngày sinh (ghi bằng số)"),
    ),
    "sex": (("Nam/Nữ", "Giới"), ("Phái", "Giới tính (Nam, Nữ)")),
    "ethnicity": (("Dân tộc (ghi rõ)",), ("Dân tộc - Tôn giáo", "Thành phần dân tộc")),
    "nationality": (("Quốc tịch (ghi rõ)",), ("Q.tịch", "Công dân nước")),
    "residence": (("Nơi cư trú", "Chỗ ở hiện nay"), ("Nơi ĐKTT", "Địa chỉ thường trú")),
    "birth_place": (("Nơi sinh (xã, huyện, tỉnh)",), ("Sinh tại", "Nơi sinh ra")),
    "birth_year": (("Năm sinh (tuổi)",), ("Sinh năm", "Năm s.")),
    "relationship": (("Quan hệ với người được khai",), ("Là gì của người được khai", "Q.hệ")),
    "note": (("Ghi chú (nếu có)",), ("Chú thích", "Ghi chú khác")),
    "id_number": (("Số CMND/Hộ chiếu",), ("CMND số", "Số giấy tờ tùy thân")),
    "death_date": (("Chết ngày",), ("Ngày, giờ chết", "Ngày tháng năm chết")),
    "death_place": (("Nơi chết (ghi rõ)",), ("Chết tại", "Địa điểm chết")),
    "death_cause": (("Nguyên nhân",), ("Chết vì", "Lý do chết")),
    "marital_status": (("Tình trạng HN",), ("Hôn nhân", "Tình trạng hôn nhân hiện tại")),
    "purpose": (("Mục đích",), ("Dùng để", "Sử dụng vào việc")),
    "kind": (("Loại",), ("Việc đăng ký", "Loại việc hộ tịch")),
    "home_town": (("Nguyên quán",), ("Quê", "Quê gốc")),
}
# group caption -> (fit wordings, eval wordings)
GROUP_VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Người được khai sinh": (("Phần khai về người con",), ("Người con", "Trẻ em được khai sinh")),
    "Người chết": (("Phần khai về người chết",), ("Người đã chết", "Người từ trần")),
    "Mẹ": (("Người mẹ",), ("Phần khai về mẹ", "Mẹ đẻ")),
    "Cha": (("Người cha",), ("Phần khai về cha", "Cha đẻ")),
    "Vợ": (("Bên vợ",), ("Người vợ", "Phần khai về vợ")),
    "Chồng": (("Bên chồng",), ("Người chồng", "Phần khai về chồng")),
    "Người được cấp giấy xác nhận": (("Người được xác nhận",), ("Người xin xác nhận", "Người yêu cầu")),
    "Người được nhận": (("Người được nhận là con",), ("Con được nhận", "Người con được nhận")),
    "Người nhận": (("Người nhận con",), ("Cha/mẹ nhận con", "Người đứng ra nhận")),
    "Người được đăng ký": (("Người được ghi vào sổ",), ("Người có tên", "Đương sự")),
    "Người đi khai tử": (("Người khai tử",), ("Người báo tử", "Người đứng khai")),
    "Người đi khai sinh": (("Người khai sinh",), ("Người đứng khai", "Người báo sinh")),
    "Người giám hộ": (("Người giám hộ (nếu có)",), ("Giám hộ", "Người đỡ đầu")),
}


def field_attribute(field_key: str) -> str:
    return field_key.rsplit(".", 1)[-1]


def caption_choices(layout: Layout, column: int, split: str) -> tuple[str, ...]:
    """The wordings a column's caption may take on ``split`` pages (fit: the layout's own first)."""
    c = layout.columns[column]
    fit, ev = CAPTION_VARIANTS.get(field_attribute(c.field), ((), ()))
    if split == "fit":
        return (c.header, *(v for v in fit if v != c.header))
    taken = {v.casefold() for v in (c.header, *fit)}
    return tuple(v for v in ev if v.casefold() not in taken)


def group_choices(group: str, split: str) -> tuple[str, ...]:
    fit, ev = GROUP_VARIANTS.get(group, ((), ()))
    if split == "fit":
        return (group, *(v for v in fit if v != group))
    taken = {v.casefold() for v in (group, *fit)}
    return tuple(v for v in ev if v.casefold() not in taken)


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str | None:
    return str(options[int(rng.integers(0, len(options)))]) if options else None


def choose_header(
    rng: np.random.Generator, layout: Layout, shape: str, split: str, widths: str
) -> HeaderStyle | None:
    """A book's header: ``None`` (exactly as the layout says) for layout shape, fit split, layout widths.

    ``rng`` is the book's own header stream (separate from the streams that draw the rest of the book).
    """
    if shape == "mixed":
        shape = HEADER_SHAPES[int(rng.integers(0, len(HEADER_SHAPES)))]
    if shape == "layout" and split == "fit" and widths == "layout":
        return None
    captions: list[str | None] = [None] * len(layout.columns)
    groups: list[str | None] = [None] * len(layout.columns)
    vary = not (shape == "layout" and split == "fit")
    if vary:
        upper = split == "eval" and rng.random() < 0.5
        for i in range(len(layout.columns)):
            text = _pick(rng, caption_choices(layout, i, split))
            if split == "eval" and text is None:
                text = layout.columns[i].header.upper()  # no eval wording: at least not the fit text
            captions[i] = text.upper() if (text and upper) else text
        picked: dict[str, str | None] = {}
        for i, c in enumerate(layout.columns):
            if c.group is None:
                continue
            if c.group not in picked:
                text = _pick(rng, group_choices(c.group, split))
                if split == "eval" and text is None:
                    text = c.group.upper()
                picked[c.group] = text.upper() if (text and upper) else text
            groups[i] = picked[c.group]
    factors: tuple[float, ...] | None = None
    if widths == "jitter":
        low, high = WIDTH_RANGES[split]
        wrng = np.random.default_rng(
            np.random.SeedSequence([int(rng.integers(0, 2**31)), 7, _SPLIT_STREAM[split]])
        )
        factors = tuple(round(float(f), 3) for f in wrng.uniform(low, high, size=len(layout.columns)))
    return HeaderStyle(
        shape=shape,
        captions=tuple(captions) if vary else None,
        groups=tuple(groups) if vary else None,
        width_factors=factors,
    )


def manifest_entry(style: HeaderStyle | None, split: str) -> dict[str, Any]:
    """What the manifest says about a book's header."""
    style = style or HeaderStyle()
    return {
        "header_shape": style.shape,
        "split": split,
        "width_factors": list(style.width_factors) if style.width_factors else None,
        "captions": list(style.captions) if style.captions else None,
    }
