"""Users: create, authenticate, issue and resolve tokens, derive the visibility scope."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from envmon.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDenied,
    Problem,
    ValidationError,
)
from envmon.ledger import service as ledger
from envmon.registry.models import Agency, Enterprise, Region
from envmon.registry.scope import Scope
from envmon.users.models import ApiToken, Role, User
from envmon.users.schemas import UserCreate, UserRead

__all__ = [
    "WRITERS",
    "authenticate",
    "create",
    "get_by_username",
    "issue_token",
    "require_role",
    "resolve_token",
    "revoke_token",
    "scope_for",
    "user_read",
]

_hasher = PasswordHasher()

WRITERS = frozenset({Role.ADMIN, Role.MONITORING_CENTRE})
"""Roles that may change the registry (within their region)."""


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_by_username(*, session: Session, username: str) -> User | None:
    """Returns the user with the given username, or None."""
    return session.scalar(
        select(User)
        .where(User.username == username)
        .options(
            selectinload(User.region),
            selectinload(User.enterprise),
            selectinload(User.agency),
        )
    )


def _anchors(
    session: Session, user_in: UserCreate
) -> tuple[Region | None, Enterprise | None, Agency | None, list[Problem]]:
    """Looks up the user's region, enterprise and agency, and what is missing."""
    problems: list[Problem] = []
    lookups = (
        ("region", Region, Region.code, user_in.region),
        ("enterprise", Enterprise, Enterprise.credit_code, user_in.enterprise),
        ("agency", Agency, Agency.credit_code, user_in.agency),
    )
    found: dict[str, Any] = {}
    for name, model, column, key in lookups:
        found[name] = (
            session.scalar(select(model).where(column == key)) if key else None
        )
        if key and found[name] is None:
            problems.append(Problem(f"{name} {key} does not exist", name))
    # Roles bound to something need it: they would otherwise see everything.
    needs = {
        Role.ENTERPRISE: "enterprise",
        Role.AGENCY: "agency",
        Role.TOWNSHIP: "region",
    }
    needed = needs.get(user_in.role)
    if needed and not getattr(user_in, needed):
        problems.append(
            Problem(f"a {user_in.role.value} user needs a {needed}", needed)
        )
    return found["region"], found["enterprise"], found["agency"], problems


def create(
    *, session: Session, user_in: UserCreate, now: datetime, actor: str = "system"
) -> User:
    """Creates a user; the enterprise role needs an enterprise, agency role an agency."""
    if get_by_username(session=session, username=user_in.username) is not None:
        msg = f"user {user_in.username!r} already exists"
        raise ConflictError(msg)
    region, enterprise, agency, problems = _anchors(session, user_in)
    if problems:
        msg = f"cannot create user {user_in.username!r}"
        raise ValidationError(msg, problems)
    if enterprise is not None and region is None:
        region = enterprise.region
    user = User(
        username=user_in.username,
        display_name=user_in.display_name,
        password_hash=_hasher.hash(user_in.password),
        role=user_in.role,
        region=region,
        enterprise=enterprise,
        agency=agency,
        phone=user_in.phone,
        email=user_in.email,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    ledger.append(
        session=session,
        kind="user.created",
        subject=f"user:{user.username}",
        payload={
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "region": region.code if region else None,
            "enterprise": enterprise.credit_code if enterprise else None,
            "agency": agency.credit_code if agency else None,
        },
        actor=actor,
        now=now,
    )
    return user


def authenticate(*, session: Session, username: str, password: str) -> User:
    """Returns the active user with these credentials, or raises AuthenticationError."""
    user = get_by_username(session=session, username=username)
    # The same message for unknown users and wrong passwords: no user enumeration.
    failure = AuthenticationError("wrong username or password")
    if user is None or not user.active:
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as err:
        raise failure from err
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def issue_token(
    *, session: Session, user: User, now: datetime, ttl: timedelta
) -> tuple[str, ApiToken]:
    """Issues a new bearer token for ``user``; returns the token text (shown once)."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=_token_digest(token),
        user=user,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_token(*, session: Session, token: str, now: datetime) -> User:
    """Returns the user a valid token belongs to, or raises AuthenticationError."""
    row = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _token_digest(token))
        .options(selectinload(ApiToken.user))
    )
    if row is None or row.revoked_at is not None:
        msg = "invalid token: log in again"
        raise AuthenticationError(msg)
    if row.expires_at <= now:
        msg = "token expired: log in again"
        raise AuthenticationError(msg)
    if not row.user.active:
        msg = "user is deactivated"
        raise AuthenticationError(msg)
    return get_by_username(session=session, username=row.user.username) or row.user


def revoke_token(*, session: Session, token: str, now: datetime) -> None:
    """Revokes a token (logout)."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(token))
    )
    if row is not None and row.revoked_at is None:
        row.revoked_at = now


def scope_for(user: User) -> Scope:
    """Returns what ``user`` may see: their region subtree, own enterprise or agency."""
    return Scope(
        region_path=user.region.path if user.region is not None else None,
        enterprise_id=user.enterprise_id if user.role is Role.ENTERPRISE else None,
        agency_id=user.agency_id if user.role is Role.AGENCY else None,
    )


def require_role(user: User, roles: frozenset[Role], action: str) -> None:
    """Raises PermissionDenied unless ``user`` has one of ``roles``."""
    if user.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        msg = f"role {user.role.value} may not {action} (allowed: {allowed})"
        raise PermissionDenied(msg)


def user_read(user: User) -> UserRead:
    """Returns the user's public shape."""
    return UserRead(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        region=user.region.code if user.region else None,
        enterprise=user.enterprise.credit_code if user.enterprise else None,
        agency=user.agency.credit_code if user.agency else None,
        active=user.active,
    )
