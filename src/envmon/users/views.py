"""Login, logout, who am I, and user administration."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from envmon.api.deps import CurrentUser, NowDep, SessionDep, SettingsDep, TokenDep
from envmon.users import service
from envmon.users.models import Role
from envmon.users.schemas import TokenRead, UserCreate, UserRead

__all__ = ["public_router", "router"]

router = APIRouter(tags=["users 用户"])
public_router = APIRouter(tags=["users 用户"])


@public_router.post("/auth/token", response_model=TokenRead)
def login(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Any:
    """Exchanges username and password for a bearer token."""
    user = service.authenticate(
        session=session, username=form.username, password=form.password
    )
    token, row = service.issue_token(
        session=session,
        user=user,
        now=now,
        ttl=timedelta(hours=settings.token_ttl_hours),
    )
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.post("/auth/logout", status_code=204)
def logout(
    session: SessionDep, user: CurrentUser, token: TokenDep, now: NowDep
) -> None:
    """Revokes the token used for this request."""
    assert token is not None
    service.revoke_token(session=session, token=token, now=now)


@router.get("/auth/me", response_model=UserRead)
def me(user: CurrentUser) -> Any:
    """The logged-in user."""
    return service.user_read(user)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    session: SessionDep, user: CurrentUser, now: NowDep, new: UserCreate
) -> Any:
    """Creates a user (administrators only)."""
    service.require_role(user, frozenset({Role.ADMIN}), "create users")
    return service.user_read(
        service.create(session=session, user_in=new, now=now, actor=user.username)
    )
