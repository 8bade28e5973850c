"""Request dependencies: settings, the per-request session, the clock, the current user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from envmon.config import Settings
from envmon.errors import AuthenticationError
from envmon.registry.scope import Scope
from envmon.storage.db import session_scope
from envmon.users import service as users
from envmon.users.models import User

__all__ = [
    "CurrentUser",
    "NowDep",
    "PageDep",
    "ScopeDep",
    "SessionDep",
    "SettingsDep",
    "TokenDep",
]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    """Returns the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """Yields one session per request: committed on success, rolled back on error."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_now() -> datetime:
    """Returns the current UTC time (overridable in tests)."""
    return datetime.now(UTC)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
TokenDep = Annotated[str | None, Depends(oauth2_scheme)]


def get_current_user(request: Request, token: TokenDep, now: NowDep) -> User:
    """Returns the user of the bearer token, or raises AuthenticationError.

    The lookup runs in its own short transaction, so that a route's own work (and its
    rollback on error) is independent of authentication.
    """
    if not token:
        msg = "authentication required: send 'Authorization: Bearer <token>'"
        raise AuthenticationError(msg)
    with session_scope(request.app.state.session_factory) as session:
        return users.resolve_token(session=session, token=token, now=now)


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_scope(user: CurrentUser) -> Scope:
    """Returns what the current user may see."""
    return users.scope_for(user)


ScopeDep = Annotated[Scope, Depends(get_scope)]


class PageParams:
    """Page number and size of a listing."""

    def __init__(
        self,
        page: Annotated[
            int, Query(ge=1, le=1_000_000, description="Page number, from 1")
        ] = 1,
        size: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    ) -> None:
        self.page = page
        self.size = size


PageDep = Annotated[PageParams, Depends()]
