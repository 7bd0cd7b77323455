"""ocr.correct: slips undone after recognition, and right values left alone."""

from __future__ import annotations

import pytest

from ocr.correct import correct


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("H Mông", "ethnicity", "H'Mông"),
        ("HMông", "ethnicity", "H'Mông"),
        ("H'Mông", "ethnicity", "H'Mông"),
        ("Dao.", "ethnicity", "Dao"),
        ("Mông", "ethnicity", "Mông"),
        ("Đỉnh Văn Kiên", "name", "Đinh Văn Kiên"),
        ("Đinh Văn Kiên", "name", "Đinh Văn Kiên"),
        ("Ha Thị Oanh", "name", "Ha Thị Oanh"),  # no tone mark read: not guessed (Ma or Hà)
        ("Hoàng Thị Hợi l", "name", "Hoàng Thị Hợi"),
        ("Vừ Mí Di", "name", "Vừ Mí Di"),
        ("Nguyễn", "name", "Nguyễn"),
        ("24/12/2000 l", "date", "24/12/2000"),
        ("27/01/2004.", "date", "27/01/2004"),
        ("09/08/1 985", "date", "09/08/1985"),
        ("17⁄11/1981", "date", "17/11/1981"),
        ("„20", "number", "20"),
        ("12", "number", "12"),
        ("ốm đau", "text", "Ốm đau"),
        ("01", "text", "01"),
        ("J", "text", ""),
        ("1", "text", "1"),
        ("xã Thượng Hà, tỉnh Cao Bằng.", "place", "xã Thượng Hà, tỉnh Cao Bằng"),
        ("X. Thượng Hà, H. Bảo Lạc, TP.", "place", "X. Thượng Hà, H. Bảo Lạc, TP."),
        ("", "name", ""),
        ("on_time", "choice", "on_time"),
    ],
)
def test_correct(text: str, kind: str, expected: str) -> None:
    assert correct(text, kind) == expected


def test_correct_is_idempotent() -> None:
    for text, kind in [("Đỉnh Văn Kiên", "name"), ("H Mông", "ethnicity"), ("24/12/2000 l", "date")]:
        once = correct(text, kind)
        assert correct(once, kind) == once
