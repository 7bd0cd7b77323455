"""Typed access to the YAML files under ``configs/``.

Every file is validated with pydantic when it is loaded; a broken file raises :class:`ConfigError`
naming the file, the key and what was expected.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sohoa.errors import ConfigError
from sohoa.fields import BOOK_TYPES, FIELD_TYPES, is_valid_key
from sohoa.paths import config_dir

M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- eras
class EraRules(_Strict):
    legal_basis: str
    birth_deadline_days: int = Field(gt=0)
    birth_deadline_days_remote: int | None = Field(default=None, gt=0)
    death_deadline_days: int | None = Field(default=None, gt=0)
    marriage_min_age_male: int = Field(gt=0)
    marriage_min_age_female: int = Field(gt=0)
    # "entered": old rule read as past the 19th/17th birthday; "completed": full years (from 2015)
    marriage_age_rule: Literal["entered", "completed"]


class Era(_Strict):
    id: str
    label: str
    registered_from: dt.date | None
    registered_to: dt.date | None
    layout_kind: Literal["ledger", "form"]
    rules: EraRules

    def contains(self, day: dt.date) -> bool:
        """True when a registration on ``day`` belongs to this era."""
        after_start = self.registered_from is None or day >= self.registered_from
        before_end = self.registered_to is None or day <= self.registered_to
        return after_start and before_end


class ErasFile(_Strict):
    eras: list[Era]

    @model_validator(mode="after")
    def _ordered(self) -> ErasFile:
        ids = [e.id for e in self.eras]
        if len(set(ids)) != len(ids):
            raise ValueError("mã giai đoạn (era id) không được trùng nhau")
        return self


# --------------------------------------------------------------------------- book groups
class BookGroup(_Strict):
    id: str
    priority: int = Field(ge=1)
    label: str
    books: list[str]

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in BOOK_TYPES:
            raise ValueError(f"không có loại sổ {v!r}; dùng một trong: {', '.join(BOOK_TYPES)}")
        return v


class BookGroupsFile(_Strict):
    book_groups: list[BookGroup]

    @model_validator(mode="after")
    def _complete(self) -> BookGroupsFile:
        ids = [g.id for g in self.book_groups]
        missing = set(BOOK_TYPES) - set(ids)
        if missing or len(ids) != len(set(ids)):
            raise ValueError(f"mỗi loại sổ phải có đúng một lần; còn thiếu {sorted(missing)}")
        return self


# --------------------------------------------------------------------------- plan
class PlanEra(_Strict):
    era: str
    year_from: int
    year_to: int
    target_records: int = Field(ge=0)
    targets_by_group: dict[str, int]

    @model_validator(mode="after")
    def _groups(self) -> PlanEra:
        unknown = set(self.targets_by_group) - set(BOOK_TYPES)
        if unknown:
            raise ValueError(f"không có nhóm sổ {sorted(unknown)}")
        if sum(self.targets_by_group.values()) != self.target_records:
            raise ValueError("tổng targets_by_group phải bằng target_records")
        return self


class PlanFile(_Strict):
    province: str
    source: str
    era_order: list[str]
    eras: list[PlanEra]


# --------------------------------------------------------------------------- offices
class Commune(_Strict):
    code: str
    name: str
    kind: Literal["xã", "phường", "thị trấn"]


class District(_Strict):
    code: str
    name: str
    kind: Literal["huyện", "thành phố", "thị xã", "quận"]
    communes: list[Commune]


class Province(_Strict):
    code: str
    name: str
    kind: Literal["tỉnh", "thành phố"]
    districts: list[District]


class OfficesFile(_Strict):
    province: Province

    @model_validator(mode="after")
    def _unique_codes(self) -> OfficesFile:
        codes = [self.province.code]
        for d in self.province.districts:
            codes.append(d.code)
            codes.extend(c.code for c in d.communes)
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise ValueError(f"mã cơ quan không được trùng nhau; bị lặp: {sorted(dupes)}")
        return self


class Office(_Strict):
    """One registration office, flattened from the province tree."""

    code: str
    name: str
    level: Literal["province", "district", "commune"]
    kind: str
    parent_code: str | None


# --------------------------------------------------------------------------- layouts
class LedgerColumn(_Strict):
    field: str
    type: str
    header: str
    width: float = Field(default=1.0, gt=0)
    group: str | None = None  # merged upper header cell spanning consecutive columns


class FormField(_Strict):
    field: str
    label: str
    type: str
    line: int | None = None  # print on the same line as the previous field when equal


class Checkbox(_Strict):
    field: str
    options: dict[str, str]


class Layout(_Strict):
    book_type: str
    era: str
    kind: Literal["ledger", "form"]
    title: str
    header_rows: int = Field(default=1, ge=1, le=2)
    columns: list[LedgerColumn] = []
    fields: list[FormField] = []
    checkboxes: list[Checkbox] = []

    @model_validator(mode="after")
    def _consistent(self) -> Layout:
        if self.book_type not in BOOK_TYPES:
            raise ValueError(f"book_type {self.book_type!r} không thuộc: {', '.join(BOOK_TYPES)}")
        if self.kind == "ledger" and not self.columns:
            raise ValueError("bố cục dạng sổ cái (ledger) cần có 'columns'")
        if self.kind == "form" and not (self.fields or self.checkboxes):
            raise ValueError("bố cục dạng tờ khai (form) cần có 'fields' hoặc 'checkboxes'")
        keys = self.field_keys
        for key in keys:
            if not is_valid_key(key, self.book_type):
                raise ValueError(f"{key!r} không phải mã trường của bản ghi {self.book_type}")
        typed: list[LedgerColumn | FormField] = [*self.columns, *self.fields]
        for item in typed:
            if item.type not in FIELD_TYPES:
                raise ValueError(
                    f"trường {item.field!r} có kiểu {item.type!r}; dùng một trong: {FIELD_TYPES}"
                )
        if len(keys) != len(set(keys)):
            raise ValueError("mỗi mã trường chỉ được xuất hiện một lần trong bố cục")
        return self

    @property
    def field_keys(self) -> list[str]:
        """Every field key on the page, in reading order."""
        keys = [c.field for c in self.columns] + [f.field for f in self.fields]
        return keys + [c.field for c in self.checkboxes]


# --------------------------------------------------------------------------- loading
#: Pydantic's commonest complaints, in Vietnamese (others keep pydantic's own words).
_PYDANTIC_VI: dict[str, str] = {
    "missing": "thiếu khóa này",
    "extra_forbidden": "khóa không được phép ở đây",
    "int_parsing": "giá trị phải là số nguyên",
    "int_type": "giá trị phải là số nguyên",
    "int_from_float": "giá trị phải là số nguyên",
    "float_parsing": "giá trị phải là một số",
    "float_type": "giá trị phải là một số",
    "bool_parsing": "giá trị phải là true hoặc false",
    "bool_type": "giá trị phải là true hoặc false",
    "string_type": "giá trị phải là chuỗi ký tự",
    "list_type": "giá trị phải là một danh sách",
    "dict_type": "giá trị phải là một bảng khóa–giá trị",
    "model_type": "giá trị phải là một bảng khóa–giá trị",
    "date_from_datetime_parsing": "giá trị phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "giá trị phải là ngày dạng YYYY-MM-DD",
    "date_type": "giá trị phải là ngày dạng YYYY-MM-DD",
}


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(cấp ngoài cùng)"
    kind, ctx = first["type"], first.get("ctx") or {}
    if kind in _PYDANTIC_VI:
        msg = _PYDANTIC_VI[kind]
    elif kind == "literal_error" and "expected" in ctx:
        msg = f"giá trị phải là {str(ctx['expected']).replace(' or ', ' hoặc ')}"
    else:  # our own validators' messages (Vietnamese), else pydantic's
        msg = str(first["msg"]).removeprefix("Value error, ")
    return f"khóa '{where}': {msg}"


def load_model(path: Path, model: type[M]) -> M:
    """Read ``path`` as YAML and validate it as ``model``; any problem is a :class:`ConfigError`."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"thiếu tệp cấu hình {path}", hint="khôi phục tệp từ kho mã nguồn hoặc đặt SOHOA_CONFIG_DIR"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"không đọc được tệp cấu hình {path}: {exc}", hint="kiểm tra quyền đọc của tệp"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" ở dòng {mark.line + 1}" if mark else ""
        raise ConfigError(f"tệp cấu hình {path} không phải YAML hợp lệ{at}", hint="sửa lỗi cú pháp") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"tệp cấu hình {path} phải chứa một bảng khóa–giá trị", hint=f"cần các khóa của {model.__name__}"
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"tệp cấu hình {path}: {_describe(exc)}", hint="sửa giá trị đó") from None


@cache
def _eras_file(root: Path) -> ErasFile:
    return load_model(root / "eras.yaml", ErasFile)


def eras() -> list[Era]:
    """The eras, oldest first."""
    return list(_eras_file(config_dir()).eras)


def era(era_id: str) -> Era:
    for e in eras():
        if e.id == era_id:
            return e
    known = ", ".join(e.id for e in eras())
    raise ConfigError(f"không có giai đoạn {era_id!r}", hint=f"dùng một trong: {known}")


def era_of(day: dt.date) -> Era:
    """The era a registration date belongs to."""
    for e in eras():
        if e.contains(day):
            return e
    raise ConfigError(f"không giai đoạn nào chứa ngày {day.isoformat()}", hint="kiểm tra configs/eras.yaml")


@cache
def _book_groups_file(root: Path) -> BookGroupsFile:
    return load_model(root / "book_groups.yaml", BookGroupsFile)


def book_groups() -> list[BookGroup]:
    """The book groups in their digitization priority order."""
    return sorted(_book_groups_file(config_dir()).book_groups, key=lambda g: g.priority)


@cache
def _plan_file(root: Path) -> PlanFile:
    plan = load_model(root / "plan.yaml", PlanFile)
    known = {e.id for e in _eras_file(root).eras}
    for name in [*plan.era_order, *(p.era for p in plan.eras)]:
        if name not in known:
            raise ConfigError(
                f"tệp cấu hình {root / 'plan.yaml'}: không có giai đoạn {name!r}",
                hint=f"dùng một trong {sorted(known)}",
            )
    return plan


def plan() -> PlanFile:
    return _plan_file(config_dir())


@cache
def _offices_file(root: Path) -> OfficesFile:
    return load_model(root / "offices.yaml", OfficesFile)


def province() -> Province:
    return _offices_file(config_dir()).province


def offices() -> list[Office]:
    """Every office of the province: the province, its districts and their communes."""
    p = province()
    out = [Office(code=p.code, name=p.name, level="province", kind=p.kind, parent_code=None)]
    for d in p.districts:
        out.append(Office(code=d.code, name=d.name, level="district", kind=d.kind, parent_code=p.code))
        out.extend(
            Office(code=c.code, name=c.name, level="commune", kind=c.kind, parent_code=d.code)
            for c in d.communes
        )
    return out


def office(code: str) -> Office:
    for o in offices():
        if o.code == code:
            return o
    raise ConfigError(f"không có mã cơ quan {code!r}", hint="xem các mã trong configs/offices.yaml")


@cache
def _layout_file(path: Path) -> Layout:
    return load_model(path, Layout)


def layout_path(book_type: str, era_id: str) -> Path:
    return config_dir() / "layouts" / book_type / f"{era_id}.yaml"


def layout(book_type: str, era_id: str, path: Path | None = None) -> Layout:
    """The layout of a book type in an era, or the office's own file when ``path`` is given."""
    era(era_id)
    if book_type not in BOOK_TYPES:
        raise ConfigError(f"không có loại sổ {book_type!r}", hint=f"dùng một trong: {', '.join(BOOK_TYPES)}")
    chosen = path or layout_path(book_type, era_id)
    result = _layout_file(chosen.resolve())
    if result.book_type != book_type or result.era != era_id:
        raise ConfigError(
            f"tệp cấu hình {chosen}: tệp mô tả {result.book_type}/{result.era}, không phải {book_type}/{era_id}",
            hint="chọn đúng bố cục của sổ này",
        )
    return result


def clear_caches() -> None:
    """Forget loaded files (tests that edit configs call this)."""
    for fn in (_eras_file, _book_groups_file, _plan_file, _offices_file, _layout_file):
        fn.cache_clear()


def check_all() -> list[tuple[str, str]]:
    """Load every configuration file; return (file, summary) rows or raise the first ConfigError."""
    rows = [
        ("eras.yaml", f"{len(eras())} eras"),
        ("book_groups.yaml", " → ".join(g.id for g in book_groups())),
        ("plan.yaml", f"{sum(p.target_records for p in plan().eras):,} records planned"),
        ("offices.yaml", f"{len(offices())} offices of {province().name}"),
    ]
    for book_type in BOOK_TYPES:
        for e in eras():
            lay = layout(book_type, e.id)
            rows.append((f"layouts/{book_type}/{e.id}.yaml", f"{lay.kind}, {len(lay.field_keys)} fields"))
    return rows
