"""The one place where domain errors become HTTP status codes and JSON bodies."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from envmon.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    EnvmonError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)

__all__ = ["STATUS_BY_ERROR", "install_error_handlers"]

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[EnvmonError], int] = {
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    AuthenticationError: 401,
    PermissionDenied: 403,
    ConfigurationError: 500,
}


def _status_for(error: EnvmonError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _body(
    kind: str, message: str, problems: list[dict[str, object]] | None = None
) -> dict[str, object]:
    return {"error": {"type": kind, "message": message, "problems": problems or []}}


async def _envmon_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EnvmonError)
    status = _status_for(exc)
    problems = (
        [p.as_dict() for p in exc.problems] if isinstance(exc, ValidationError) else []
    )
    message = exc.args[0] if exc.args else type(exc).__name__
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        _body(type(exc).__name__, message, problems), status, headers=headers
    )


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems: list[dict[str, object]] = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append({"field": field, "message": message})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return JSONResponse(
        _body("ValidationError", f"invalid request: {summary}", problems), 422
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        _body("HTTPError", str(exc.detail)), exc.status_code, headers=exc.headers
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error on %s %s", request.method, request.url.path, exc_info=exc
    )
    return JSONResponse(
        _body("InternalError", "internal error; it has been logged for the operators"),
        500,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Maps every error to a JSON body with a message a person can act on."""
    app.add_exception_handler(EnvmonError, _envmon_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
