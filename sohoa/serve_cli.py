"""``sohoa serve``: the review app with uvicorn on the database of ``SOHOA_DATABASE_URL``."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

ENV_HTTPS = "SOHOA_REVIEW_HTTPS_ONLY"


def build_app() -> object:
    """The review app on the configured database (created or migrated if it was never initialised).

    An app factory (``uvicorn --factory sohoa.serve_cli:build_app``): each worker process builds its own.
    """
    from review.app import create_app
    from review.settings import ReviewSettings
    from sohoa.users_cli import prepared_engine

    engine = prepared_engine()
    https_only = os.environ.get(ENV_HTTPS) == "1"
    return create_app(engine, ReviewSettings.from_env(https_only=https_only))


def run_serve_cli(*, host: str, port: int, https_only: bool, workers: int = 1) -> None:
    """Serve the app; with ``workers`` > 1, that many processes share the port (one per core)."""
    import uvicorn

    from loaders.db import database_url, safe_url
    from review.settings import secret_key
    from sohoa.console import out

    os.environ[ENV_HTTPS] = "1" if https_only else "0"
    if workers > 1:  # every worker signs sessions with the same key
        os.environ.setdefault("SOHOA_SECRET_KEY", secret_key())
    build_app()  # fail here, with one clear line, if the database or the data folder is not usable
    out.print(f"Ứng dụng duyệt hồ sơ: http://{host}:{port}/  (cơ sở dữ liệu {safe_url(database_url())})")
    uvicorn.run(
        "sohoa.serve_cli:build_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )
