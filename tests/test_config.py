"""Configuration files: the bundled ones load; broken ones fail naming the file, the key and the expectation."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa import config
from sohoa.errors import ConfigError
from sohoa.fields import BOOK_TYPES, FIELDS_BY_BOOK_TYPE, is_valid_key
from sohoa.paths import REPO_ROOT


@pytest.fixture()
def config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of configs/ that a test may break."""
    root = tmp_path / "configs"
    shutil.copytree(REPO_ROOT / "configs", root)
    monkeypatch.setenv("SOHOA_CONFIG_DIR", str(root))
    config.clear_caches()
    yield root
    config.clear_caches()


def test_bundled_configs_are_valid() -> None:
    rows = config.check_all()
    assert len(rows) == 4 + len(BOOK_TYPES) * len(config.eras())


def test_priority_order_is_the_plans() -> None:
    assert [g.id for g in config.book_groups()] == [
        "marriage",
        "birth",
        "parent_recognition",
        "marital_status",
        "death",
        "other",
    ]


def test_eras_partition_the_calendar() -> None:
    assert config.era_of(dt.date(1976, 5, 1)).id == "1976-1999"
    assert config.era_of(dt.date(1998, 12, 31)).id == "1976-1999"
    assert config.era_of(dt.date(1999, 1, 1)).id == "1999-2005"
    assert config.era_of(dt.date(2005, 12, 31)).id == "1999-2005"
    assert config.era_of(dt.date(2006, 1, 1)).id == "2006-2015"
    assert config.era_of(dt.date(2016, 1, 1)).id == "2016+"
    assert config.era_of(dt.date(2025, 7, 1)).id == "2016+"


def test_plan_matches_cao_bang_numbers() -> None:
    targets = {p.era: p.target_records for p in config.plan().eras}
    assert targets == {"2016+": 109304, "2006-2015": 409152, "1999-2005": 102395, "1976-1999": 13172}
    assert sum(targets.values()) == 634023


def test_offices_form_a_tree_with_unique_codes() -> None:
    offices = config.offices()
    codes = {o.code for o in offices}
    assert len(codes) == len(offices)
    assert offices[0].level == "province" and offices[0].name == "Cao Bằng"
    for o in offices[1:]:
        assert o.parent_code in codes
    assert sum(1 for o in offices if o.level == "district") >= 10
    assert sum(1 for o in offices if o.level == "commune") >= 50


@pytest.mark.parametrize("book_type", BOOK_TYPES)
def test_every_book_type_has_a_layout_per_era(book_type: str) -> None:
    for era in config.eras():
        lay = config.layout(book_type, era.id)
        assert lay.kind == era.layout_kind
        assert all(is_valid_key(k, book_type) for k in lay.field_keys)
        assert set(lay.field_keys) <= set(FIELDS_BY_BOOK_TYPE[book_type])
        assert "registration.date" in lay.field_keys


def test_missing_file_names_it(config_copy: Path) -> None:
    (config_copy / "eras.yaml").unlink()
    with pytest.raises(ConfigError, match=r"thiếu tệp cấu hình .*eras\.yaml"):
        config.eras()


def test_invalid_yaml_names_file_and_line(config_copy: Path) -> None:
    (config_copy / "plan.yaml").write_text("province: '04'\neras: [\n  - oops: {\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"plan\.yaml không phải YAML hợp lệ ở dòng \d+"):
        config.plan()


def test_wrong_type_names_the_key(config_copy: Path) -> None:
    path = config_copy / "eras.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("birth_deadline_days: 60", "birth_deadline_days: soon", 1)
    )
    with pytest.raises(ConfigError) as info:
        config.eras()
    message = str(info.value)
    assert "eras.yaml" in message
    assert "eras.2.rules.birth_deadline_days" in message
    assert "phải là số nguyên" in message


def test_unknown_field_key_in_layout(config_copy: Path) -> None:
    path = config_copy / "layouts" / "birth" / "2006-2015.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("child.full_name", "child.nickname", 1))
    with pytest.raises(ConfigError, match=r"'child\.nickname' không phải mã trường của bản ghi birth"):
        config.layout("birth", "2006-2015")


def test_layout_for_the_wrong_book_is_refused(config_copy: Path) -> None:
    other = config_copy / "layouts" / "death" / "2006-2015.yaml"
    with pytest.raises(ConfigError, match="không phải birth/2006-2015"):
        config.layout("birth", "2006-2015", path=other)


def test_unknown_era_and_type_say_what_exists() -> None:
    with pytest.raises(ConfigError, match="dùng một trong: 1976-1999"):
        config.era("1990s")
    with pytest.raises(ConfigError, match="dùng một trong: marriage, birth"):
        config.layout("adoption", "2016+")


def test_plan_targets_must_add_up(config_copy: Path) -> None:
    path = config_copy / "plan.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("birth: 54652", "birth: 54000", 1))
    with pytest.raises(ConfigError, match="tổng targets_by_group phải bằng target_records"):
        config.plan()


def test_duplicate_office_codes_are_refused(config_copy: Path) -> None:
    path = config_copy / "offices.yaml"
    text = path.read_text(encoding="utf-8")
    first, second = _two_communes()
    path.write_text(text.replace(f'"{second}"', f'"{first}"', 1), encoding="utf-8")
    config.clear_caches()
    with pytest.raises(ConfigError, match="mã cơ quan không được trùng nhau"):
        config.offices()


def _two_communes() -> tuple[str, str]:
    communes = [o.code for o in config.offices() if o.level == "commune"]
    return communes[0], communes[1]
