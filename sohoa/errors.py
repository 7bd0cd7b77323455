"""The one exception hierarchy of sohoa.

Every error a user can cause carries a message that says what went wrong *and* how to fix it;
the CLI prints it on one line and exits non-zero, never with a traceback.
"""

from __future__ import annotations


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(SohoaError):
    """A configuration file is missing, unreadable or invalid."""

    exit_code = 2


class DatabaseError(SohoaError):
    """The database cannot be reached, or is not at the expected schema."""

    exit_code = 3


class DataDirError(SohoaError):
    """A data or output directory cannot be created or written."""

    exit_code = 4


class InputError(SohoaError):
    """An input file (page image, manifest, layout) cannot be used."""

    exit_code = 5


class NotFoundError(SohoaError):
    """A named thing (office, book, record, user) does not exist."""

    exit_code = 6


class StateError(SohoaError):
    """An action is not allowed in the current state (e.g. approving a rejected record)."""

    exit_code = 7


class ConflictError(StateError):
    """Somebody else changed the same thing first (optimistic locking)."""
