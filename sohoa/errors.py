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


class ServiceError(SohoaError):
    """A helper process sohoa starts for itself (the temporary Prefect API server) did not start."""

    exit_code = 8


#: Exit codes of a run stopped from outside (the shell's convention: 128 + the signal's number).
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # SIGTERM


class Stopped(BaseException):
    """The CLI was told to stop (SIGTERM); raised in the main thread so every ``finally`` runs and the
    helper processes (Prefect's temporary server, OCR workers) are ended. Not an :class:`Exception`, like
    :class:`KeyboardInterrupt`: nothing on the way may swallow it."""

    exit_code = EXIT_TERMINATED
