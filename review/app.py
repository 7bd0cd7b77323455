"""The FastAPI application: sessions, security headers, error pages and the routers.

``create_app(engine, settings)`` builds it for one database; ``sohoa serve`` runs it with uvicorn.
The /reports pages show the figures of ``reports/`` (review.routes.reports).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware

from loaders.approval import PermissionDenied
from loaders.limits import TooLongError
from review.routes import auth, batch, media, operator, persons, records, reports, supervisor
from review.routes.common import too_long_message
from review.security import Forbidden, NotAuthenticated
from review.settings import ReviewSettings
from review.templating import render
from review.throttle import LoginThrottle
from sohoa.errors import NotFoundError, SohoaError

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "sohoa_session"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def _wants_page(request: Request) -> bool:
    """GET of an HTML page (redirect to /login) rather than an API call, image or form post (401)."""
    return request.method == "GET" and not request.url.path.startswith(("/media/", "/api/"))


def server_error() -> Response:
    """The answer to an unexpected error: a short Vietnamese page, nothing of the error itself."""
    body = (
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi máy chủ</title>'
        "<h1>Lỗi máy chủ</h1><p>Đã có lỗi ngoài dự kiến; thao tác có thể chưa được lưu. "
        "Hãy tải lại trang, và báo cho quản trị nếu lỗi lặp lại.</p></html>"
    )
    return HTMLResponse(body, status_code=500)


def warm_up() -> None:
    """Load what the first request would otherwise wait for: templates, configuration, name tables."""
    from normalize import normalize_record
    from review.templating import TEMPLATES
    from sohoa import config

    for name in TEMPLATES.env.list_templates():
        TEMPLATES.env.get_template(name)
    config.plan()
    config.book_groups()
    sample = {"n": "Nguyễn Văn An", "d": "05/03/2008", "p": "xã Tam Kim, huyện Nguyên Bình", "e": "Tày"}
    normalize_record({"n": "name", "d": "date", "p": "place", "e": "ethnicity"}, sample)


def create_app(engine: Engine, settings: ReviewSettings) -> FastAPI:
    app = FastAPI(title="sohoa — duyệt hồ sơ", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.state.throttle = LoginThrottle(
        settings.login_max_failures, settings.login_window_s, settings.login_lockout_s
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="strict",
        https_only=settings.https_only,
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = await call_next(request)
        except Exception:  # an error no handler answered: a 500 with the same headers as every answer
            log.exception("%s %s failed", request.method, request.url.path)
            response = server_error()
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(("/static/", "/media/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, _exc: NotAuthenticated) -> Response:
        if _wants_page(request):
            return RedirectResponse("/login", status_code=303)
        return JSONResponse({"detail": "Chưa đăng nhập"}, status_code=401)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        return render(
            request,
            "error.html",
            403,
            title="Không có quyền",
            message="Vai trò của bạn không dùng được trang này.",
        )

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        if not _wants_page(request):
            return JSONResponse({"detail": "Không tìm thấy"}, status_code=404)
        return render(
            request,
            "error.html",
            404,
            title="Không tìm thấy",
            message="Không tìm thấy hồ sơ này trong cơ quan của bạn.",
        )

    @app.exception_handler(SohoaError)
    async def sohoa_error(request: Request, exc: SohoaError) -> Response:
        status = 403 if isinstance(exc, PermissionDenied) else 400  # the account may not do this
        return render(request, "error.html", status, title="Không thực hiện được", message=str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404 or (not _wants_page(request) and request.method == "GET"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(request, "error.html", exc.status_code, title="Lỗi", message=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        status = 404 if in_path or request.method == "GET" else 400  # an id no row can have: not found
        return JSONResponse({"detail": "Yêu cầu không hợp lệ"}, status_code=status)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        """A number or text beyond what a column holds (SQLite: OverflowError; PostgreSQL: DataError)."""
        log.info("%s %s: value out of range: %s", request.method, request.url.path, exc)
        if request.method == "GET":
            return JSONResponse({"detail": "Không tìm thấy"}, status_code=404)
        return render(
            request,
            "error.html",
            400,
            title="Không thực hiện được",
            message="Giá trị đã nhập quá lớn hoặc quá dài. Chưa có gì được lưu.",
        )

    @app.exception_handler(TooLongError)
    async def too_long(request: Request, exc: TooLongError) -> Response:
        return render(request, "error.html", 400, title="Nội dung quá dài", message=too_long_message(exc))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, records, media, batch, supervisor, operator, reports, persons):
        app.include_router(module.router)
    warm_up()
    return app
