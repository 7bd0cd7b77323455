"""The result every normalizer returns, and the catalogue of issues it can carry.

A normalizer never raises on its input text: it returns a :class:`Normalized` that keeps the original
text (``raw``), the typed value (or ``None`` when it could not be read), a canonical display text, a
confidence between 0 and 1 and the list of :class:`Issue` found on the way. Messages are Vietnamese,
written for the reviewers (công chức hộ tịch) who read them next to the page image.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Final, Generic, Literal, TypeVar

Severity = Literal["error", "warning", "info"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a value or a record: a stable code and a Vietnamese message."""

    code: str
    message: str
    field: str | None = None
    severity: Severity = "warning"


@dataclass(frozen=True)
class Normalized(Generic[T]):
    """A raw OCR text turned into a typed value.

    ``raw`` is the text exactly as given; ``text`` the canonical display text (what a reviewer sees and what
    normalizing again reproduces); ``value`` the typed value or ``None``; ``confidence`` 0..1 says how sure
    the normalization is (not the OCR engine's confidence, which the caller combines with it).
    """

    raw: str
    value: T | None
    text: str
    confidence: float
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """A value was read and no issue is an error."""
        return self.value is not None and not any(i.severity == "error" for i in self.issues)

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.issues]

    def for_field(self, key: str | None) -> Normalized[T]:
        """The same result with every issue attributed to the field ``key``."""
        if key is None:
            return self
        return replace(self, issues=[replace(i, field=key) for i in self.issues])


# code -> (severity, message template). Templates use str.format with the keyword arguments of issue().
ISSUE_CATALOGUE: Final[dict[str, tuple[Severity, str]]] = {
    # generic
    "field_type_unknown": ("error", "Kiểu trường “{field_type}” không được hỗ trợ."),
    "internal_error": ("error", "Không chuẩn hóa được giá trị (lỗi nội bộ: {detail})."),
    "unreadable": ("error", "Không đọc được giá trị “{text}”."),
    # names
    "name_absent": ("info", "Ghi “{text}”: không có tên (để trống)."),
    "name_single_syllable": ("warning", "Họ tên chỉ có một tiếng “{text}”: có thể thiếu họ hoặc tên."),
    "name_family_unknown": ("info", "Họ “{family}” không có trong danh sách họ đã biết."),
    "name_syllable_corrected": ("warning", "Đã sửa “{before}” thành “{after}” (lỗi nhận dạng ký tự)."),
    "name_syllable_ambiguous": (
        "warning",
        "Tiếng “{syllable}” không hợp lệ và có nhiều cách sửa ({candidates}): cần người kiểm tra.",
    ),
    "name_syllable_invalid": ("warning", "Tiếng “{syllable}” không phải âm tiết tiếng Việt hợp lệ."),
    "name_has_digits": ("error", "Họ tên có chữ số: “{text}”."),
    # dates
    "date_unparsed": ("error", "Không đọc được ngày tháng “{text}”."),
    "date_impossible": ("error", "Ngày không tồn tại: {text} (không tự đoán, cần kiểm tra)."),
    "date_out_of_range": ("error", "Năm {year} nằm ngoài khoảng hợp lý."),
    "date_ocr_fixed": ("warning", "Đã sửa ký tự nhận dạng nhầm trong ngày tháng: “{before}” → “{after}”."),
    "date_two_digit_year": ("info", "Năm ghi hai chữ số “{yy}” được hiểu là {year}."),
    "date_two_digit_year_assumed": (
        "warning",
        "Năm ghi hai chữ số “{yy}” được hiểu là {year} khi không biết năm đăng ký: cần kiểm tra.",
    ),
    "date_incomplete": ("warning", "Ngày tháng thiếu năm: “{text}”."),
    "date_words_mismatch": (
        "error",
        "Ngày ghi bằng số ({digits}) khác ngày ghi bằng chữ ({words}).",
    ),
    "year_from_age": ("warning", "Ghi tuổi “{text}”: năm sinh ước tính {year} (±1)."),
    "year_from_date": ("info", "Ghi cả ngày tháng “{text}”: lấy năm {year}."),
    # places
    "place_unknown": ("warning", "Không tìm thấy địa danh “{text}” trong danh mục đơn vị hành chính."),
    "place_part_unknown": ("warning", "Không tìm thấy {level} “{name}” trong danh mục."),
    "place_ambiguous": ("warning", "Có nhiều {level} tên “{name}” ({candidates}): cần ghi rõ huyện/tỉnh."),
    "place_fuzzy": ("info", "“{name}” được hiểu là {canonical} (viết gần giống)."),
    "place_former_unit": ("info", "{canonical} là đơn vị hành chính cũ (đã giải thể hoặc đổi tên)."),
    "place_former_province": ("info", "Tỉnh “{name}” là tỉnh cũ (nay thuộc {successors})."),
    "place_outside_gazetteer": (
        "info",
        "Địa danh ngoài tỉnh Cao Bằng: chỉ kiểm tra được cấp tỉnh ({province}).",
    ),
    "place_inconsistent": ("warning", "{level} “{name}” không thuộc {parent}."),
    # ethnicity, nationality, sex
    "ethnicity_unknown": ("warning", "Không nhận ra dân tộc “{text}”."),
    "ethnicity_variant": ("info", "“{text}” là tên gọi khác của dân tộc {name}."),
    "ethnicity_ambiguous": ("warning", "“{text}” có thể là dân tộc {options}: cần kiểm tra."),
    "ethnicity_fuzzy": ("info", "“{text}” được hiểu là dân tộc {name} (viết gần giống)."),
    "nationality_unknown": ("warning", "Không nhận ra quốc tịch “{text}”."),
    "nationality_fuzzy": ("info", "“{text}” được hiểu là quốc tịch {name}."),
    "sex_unknown": ("error", "Không đọc được giới tính “{text}”."),
    "sex_fuzzy": ("info", "“{text}” được hiểu là {name}."),
    # tick boxes and choices
    "checkbox_none": ("warning", "Không ô nào được đánh dấu."),
    "checkbox_multiple": ("error", "Nhiều ô được đánh dấu cùng lúc: {options}."),
    "checkbox_faint": ("warning", "Ô “{option}” đánh dấu mờ (tỉ lệ tô {ratio:.0%}): cần kiểm tra."),
    "choice_unknown": ("warning", "“{text}” không khớp lựa chọn nào ({options})."),
    # numbers and identity documents
    "number_invalid": ("warning", "“{text}” không phải là số."),
    "number_ocr_fixed": ("warning", "Đã sửa ký tự nhận dạng nhầm trong số: “{before}” → “{after}”."),
    "id_length": (
        "error",
        "Số giấy tờ “{text}” có {length} chữ số (CMND 9 số, CCCD/định danh 12 số, hộ chiếu: chữ cái rồi 6–9 số).",
    ),
    "id_province_unknown": ("error", "Mã tỉnh “{prefix}” ở đầu số CCCD không tồn tại."),
    "id_sex_mismatch": ("error", "Số CCCD mã hóa giới tính {id_sex}, nhưng giới tính ghi là {sex}."),
    "id_birth_year_mismatch": ("error", "Số CCCD mã hóa năm sinh {id_year}, nhưng năm sinh ghi là {year}."),
    "id_ocr_fixed": ("warning", "Đã sửa ký tự nhận dạng nhầm trong số giấy tờ: “{before}” → “{after}”."),
    # record validation
    "era_unknown": ("error", "Giai đoạn “{era}” không có trong cấu hình."),
    "registration_date_missing": ("error", "Thiếu ngày đăng ký."),
    "registration_outside_era": ("error", "Ngày đăng ký {date} không thuộc giai đoạn {era} ({label})."),
    "registration_outside_book": ("error", "Ngày đăng ký {date} nằm ngoài thời gian của sổ ({start}–{end})."),
    "event_after_registration": ("error", "{what} ({date}) sau ngày đăng ký ({registered})."),
    "registration_late": ("info", "Đăng ký sau {days} ngày, quá thời hạn {deadline} ngày."),
    "timeliness_mismatch": (
        "warning",
        "Sổ đánh dấu “{ticked}” nhưng theo ngày tháng là “{computed}” ({days} ngày, hạn {deadline} ngày).",
    ),
    "child_marriage": (
        "warning",
        "Tảo hôn: {role} {age} tuổi khi kết hôn, dưới tuổi tối thiểu {minimum} ({rule}).",
    ),
    "marriage_age_uncertain": (
        "info",
        "{role} có thể chưa đủ tuổi kết hôn ({min_age}–{max_age} tuổi, tối thiểu {minimum}): cần ngày sinh đầy đủ.",
    ),
    "mother_age_implausible": ("warning", "Mẹ {age} tuổi khi sinh con: ngoài khoảng 14–50 tuổi."),
    "death_before_birth": ("error", "Ngày chết ({death}) trước ngày sinh ({birth})."),
}


def issue(code: str, field: str | None = None, severity: Severity | None = None, **details: Any) -> Issue:
    """Build an :class:`Issue` from the catalogue (an unknown code still gives a readable issue)."""
    default_severity, template = ISSUE_CATALOGUE.get(code, ("warning", code))
    try:
        message = template.format(**details)
    except (KeyError, IndexError, ValueError):
        message = template
    return Issue(code=code, message=message, field=field, severity=severity or default_severity)


def empty(raw: str) -> Normalized[Any]:
    """The result for a blank cell: nothing written is not a problem of the value itself."""
    return Normalized(raw=raw, value=None, text="", confidence=1.0, issues=[])


def clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else round(x, 4)
