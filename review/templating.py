"""Jinja2 templates (autoescaped: values from OCR or reviewers are always shown as text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from review import labels
from review.security import CSRF_FIELD, csrf_token, pop_flash

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
TEMPLATES.env.autoescape = True
TEMPLATES.env.globals.update(
    labels=labels,
    field_label=labels.field_label,
    short_label=labels.short_label,
    role_label=labels.role_label,
    CSRF_FIELD=CSRF_FIELD,
)


def confidence_class(value: Any) -> str:
    """CSS class of a confidence: ``conf-high`` (≥ 0.9), ``conf-mid`` (≥ 0.6), ``conf-low``, ``conf-none``."""
    if not isinstance(value, int | float):
        return "conf-none"
    if value >= 0.9:
        return "conf-high"
    return "conf-mid" if value >= 0.6 else "conf-low"


TEMPLATES.env.filters["conf_class"] = confidence_class


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``name`` with the signed-in user, the CSRF token and the flash messages."""
    context.setdefault("user", getattr(request.state, "user", None))
    context["csrf"] = csrf_token(request)
    context["flashes"] = pop_flash(request)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
