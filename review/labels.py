"""Vietnamese labels of field keys, roles, states, reasons and book types for the templates."""

from __future__ import annotations

from typing import Final

ROLES: Final[dict[str, str]] = {
    "child": "Người được khai sinh / con",
    "mother": "Mẹ",
    "father": "Cha",
    "declarant": "Người đi khai",
    "bride": "Bên nữ (vợ)",
    "groom": "Bên nam (chồng)",
    "parent": "Cha/mẹ",
    "person": "Người được xác nhận",
    "applicant": "Người yêu cầu",
    "deceased": "Người chết",
    "subject": "Người được đăng ký",
    "guardian": "Người giám hộ",
    "ward": "Người được giám hộ",
    "registration": "Đăng ký",
    "note": "Ghi chú",
}

ATTRIBUTES: Final[dict[str, str]] = {
    "full_name": "Họ, chữ đệm, tên",
    "birth_date": "Ngày sinh",
    "birth_date_words": "Ngày sinh (bằng chữ)",
    "birth_year": "Năm sinh",
    "sex": "Giới tính",
    "ethnicity": "Dân tộc",
    "nationality": "Quốc tịch",
    "birth_place": "Nơi sinh",
    "home_town": "Quê quán",
    "residence": "Nơi cư trú",
    "id_number": "Số CMND/CCCD",
    "death_date": "Ngày chết",
    "death_place": "Nơi chết",
    "death_cause": "Nguyên nhân chết",
    "relationship": "Quan hệ",
    "marital_status": "Tình trạng hôn nhân",
    "purpose": "Mục đích sử dụng",
    "number": "Số",
    "date": "Ngày đăng ký",
    "volume": "Quyển số",
    "page": "Trang",
    "timeliness": "Đúng hạn / quá hạn",
    "kind": "Loại việc",
}

BOOK_TYPES: Final[dict[str, str]] = {
    "marriage": "Kết hôn",
    "birth": "Khai sinh",
    "parent_recognition": "Nhận cha, mẹ, con",
    "marital_status": "Xác nhận tình trạng hôn nhân",
    "death": "Khai tử",
    "other": "Hộ tịch khác",
}

STATES: Final[dict[str, str]] = {
    "staged": "Chờ duyệt",
    "in_review": "Đang duyệt",
    "approved": "Đã duyệt",
    "loaded": "Đã nạp",
    "rejected": "Đã từ chối",
}

REJECT_REASONS: Final[dict[str, str]] = {
    "illegible": "Không đọc được",
    "not_a_record": "Không phải bản ghi",
    "rescan": "Cần quét lại",
}

USER_ROLES: Final[dict[str, str]] = {
    "operator": "Nhân viên nhập liệu",
    "reviewer": "Người duyệt",
    "supervisor": "Giám sát",
    "admin": "Quản trị",
}

LINK_STATUS: Final[dict[str, str]] = {
    "auto": "Tự động",
    "suggested": "Gợi ý",
    "confirmed": "Đã xác nhận",
    "rejected": "Đã bác bỏ",
}


def field_label(key: str) -> str:
    """``child.full_name`` → "Người được khai sinh / con — Họ, chữ đệm, tên"."""
    if "." not in key:
        return ROLES.get(key, key)
    role, attribute = key.split(".", 1)
    return f"{ROLES.get(role, role)} — {ATTRIBUTES.get(attribute, attribute)}"


def short_label(key: str) -> str:
    attribute = key.split(".", 1)[-1]
    return ATTRIBUTES.get(attribute, attribute)


def role_label(role: str) -> str:
    return ROLES.get(role, role)
