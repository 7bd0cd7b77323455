"""Settings of the review app: the session secret, cookie flags, claim timeout, login throttling, scan root."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sohoa.errors import DataDirError

log = logging.getLogger(__name__)

ENV_SECRET = "SOHOA_SECRET_KEY"
ENV_SCAN_ROOT = "SOHOA_SCAN_ROOT"
SECRET_FILE = "review_secret.key"


def secret_key(data: Path | None = None) -> str:
    """``SOHOA_SECRET_KEY``, else a random key kept in ``<data dir>/review_secret.key`` (made once, mode 0600)."""
    value = os.environ.get(ENV_SECRET)
    if value:
        return value
    from loaders.db import ensure_data_dir

    folder = ensure_data_dir(data)
    path = folder / SECRET_FILE
    try:
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        log.info("new session secret written to %s", path)
        return key
    except OSError as exc:
        raise DataDirError(
            f"không lưu được khóa bí mật phiên đăng nhập vào {path} ({exc.strerror or exc})",
            hint=f"đặt {ENV_SECRET} hoặc cấp quyền ghi cho thư mục dữ liệu",
        ) from None


def scan_root() -> Path | None:
    """The folder whose sub-folders operators may scan (``SOHOA_SCAN_ROOT``); None: scanning from the app is off."""
    value = os.environ.get(ENV_SCAN_ROOT)
    return Path(value).resolve() if value else None


@dataclass(frozen=True)
class ReviewSettings:
    secret_key: str
    session_max_age_s: int = 10 * 3600
    https_only: bool = False
    claim_timeout: dt.timedelta = dt.timedelta(minutes=30)
    login_max_failures: int = 5
    login_window_s: float = 15 * 60
    login_lockout_s: float = 15 * 60
    scan_root: Path | None = None
    upload_root: Path | None = None  # where uploaded pages are kept (default <data dir>/uploads)
    spot_check_size: int = 5
    doubtful_below: float = 0.9

    @classmethod
    def from_env(cls, *, https_only: bool = False) -> ReviewSettings:
        return cls(secret_key=secret_key(), https_only=https_only, scan_root=scan_root())
