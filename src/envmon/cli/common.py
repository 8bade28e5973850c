"""What every command shares: settings, database, error mapping to exit codes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console

from envmon.errors import EnvmonError, ValidationError

__all__ = ["console", "err_console", "handle_errors"]

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Maps domain errors to exit code 1 with the message (and every problem) on stderr."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ValidationError as error:
            err_console.print(f"error: {error.args[0]}", markup=False, highlight=False)
            for problem in error.problems:
                err_console.print(f"  - {problem}", markup=False, highlight=False)
            raise typer.Exit(1) from error
        except EnvmonError as error:
            err_console.print(f"error: {error}", markup=False, highlight=False)
            raise typer.Exit(1) from error
        except PydanticValidationError as error:
            err_console.print(
                f"error: invalid {error.title}:", markup=False, highlight=False
            )
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"])
                err_console.print(f"  - {where}: {detail['msg']}", markup=False)
            raise typer.Exit(1) from error

    return wrapper
