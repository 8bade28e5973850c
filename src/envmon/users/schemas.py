"""Pydantic shapes of users and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from envmon.users.models import Role

__all__ = ["TokenRead", "UserCreate", "UserRead"]

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{3,64}$")
]


class UserCreate(BaseModel):
    """A new user; ``region`` is a region code, ``enterprise``/``agency`` credit codes."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)]
    role: Role
    region: str | None = None
    enterprise: str | None = None
    agency: str | None = None
    phone: str | None = None
    email: str | None = None


class UserRead(BaseModel):
    """A user as the API shows it."""

    username: str
    display_name: str
    role: Role
    region: str | None
    enterprise: str | None
    agency: str | None
    active: bool


class TokenRead(BaseModel):
    """A freshly issued bearer token (shown once)."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
