"""The envmon error tree. Every domain error derives from :class:`EnvmonError`.

::

    EnvmonError
    ├── NotFoundError            a named record does not exist            (HTTP 404)
    ├── ConflictError            the change clashes with existing data     (HTTP 409)
    ├── ValidationError          input is invalid; ``problems`` lists each (HTTP 422)
    │   └── ImportRejected       a registry import refused whole, with every problem
    ├── AuthenticationError      no, unknown or expired credentials        (HTTP 401)
    ├── PermissionDenied         authenticated but not allowed             (HTTP 403)
    └── ConfigurationError       the installation is misconfigured         (HTTP 500)

The API maps these to status codes in one place (``envmon.api.errors``); the CLI maps them
to exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "EnvmonError",
    "ImportRejected",
    "NotFoundError",
    "PermissionDenied",
    "Problem",
    "ValidationError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is and why it is wrong."""

    message: str
    field: str | None = None
    row: int | None = None
    source: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.source,
                f"row {self.row}" if self.row is not None else None,
                f"line {self.line}" if self.line is not None else None,
                f"field {self.field!r}" if self.field else None,
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        """Returns the problem as a JSON-ready mapping."""
        return {
            "source": self.source,
            "row": self.row,
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class EnvmonError(Exception):
    """Base of every error envmon raises on purpose."""


class NotFoundError(EnvmonError):
    """A record named by the caller does not exist."""


class ConflictError(EnvmonError):
    """The change clashes with data already stored (duplicate key, wrong state)."""


class ValidationError(EnvmonError):
    """Input is invalid; ``problems`` names every problem found."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = problems or []

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class ImportRejected(ValidationError):
    """A registry import was refused whole; nothing was written."""


class AuthenticationError(EnvmonError):
    """Credentials are missing, unknown or expired."""


class PermissionDenied(EnvmonError):
    """The authenticated user may not do this."""


class ConfigurationError(EnvmonError):
    """The installation is misconfigured (database URL, data directory, keys)."""
