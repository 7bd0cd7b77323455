"""``sohoa serve``: the review app with uvicorn on the database of ``SOHOA_DATABASE_URL``."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def build_app(*, https_only: bool = False) -> object:
    """The review app on the configured database (created or migrated if it was never initialised)."""
    from review.app import create_app
    from review.settings import ReviewSettings
    from sohoa.users_cli import prepared_engine

    engine = prepared_engine()
    return create_app(engine, ReviewSettings.from_env(https_only=https_only))


def run_serve_cli(*, host: str, port: int, https_only: bool, workers_log: str = "info") -> None:
    import uvicorn

    from loaders.db import database_url, safe_url
    from sohoa.console import out

    app = build_app(https_only=https_only)
    out.print(f"Ứng dụng duyệt hồ sơ: http://{host}:{port}/  (cơ sở dữ liệu {safe_url(database_url())})")
    uvicorn.run(app, host=host, port=port, log_level=workers_log, access_log=False)  # type: ignore[arg-type]
