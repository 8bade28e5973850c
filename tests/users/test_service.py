from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from envmon.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDenied,
    ValidationError,
)
from envmon.users import service
from envmon.users.models import Role
from envmon.users.schemas import UserCreate
from tests.conftest import NOW

pytestmark = pytest.mark.db


def new(username: str = "alice", role: Role = Role.VIEWER, **extra: str) -> UserCreate:
    return UserCreate(
        username=username,
        display_name=username,
        password="a long password",
        role=role,
        **extra,
    )


def test_passwords_are_hashed_with_argon2id(session: Session) -> None:
    user = service.create(session=session, user_in=new(), now=NOW)
    assert user.password_hash.startswith("$argon2id$")
    assert "a long password" not in user.password_hash
    assert (
        service.authenticate(
            session=session, username="alice", password="a long password"
        )
        is user
    )
    with pytest.raises(AuthenticationError, match="wrong username or password"):
        service.authenticate(
            session=session, username="alice", password="a long passwore"
        )
    with pytest.raises(AuthenticationError, match="wrong username or password"):
        service.authenticate(
            session=session, username="bob", password="a long password"
        )


def test_tokens_expire_and_are_stored_only_as_hashes(session: Session) -> None:
    user = service.create(session=session, user_in=new(), now=NOW)
    token, row = service.issue_token(
        session=session, user=user, now=NOW, ttl=timedelta(hours=1)
    )
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert service.resolve_token(session=session, token=token, now=NOW) is user
    with pytest.raises(AuthenticationError, match="token expired"):
        service.resolve_token(
            session=session, token=token, now=NOW + timedelta(hours=1)
        )
    service.revoke_token(session=session, token=token, now=NOW)
    with pytest.raises(AuthenticationError, match="invalid token"):
        service.resolve_token(session=session, token=token, now=NOW)


def test_role_needs_its_anchor(session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        service.create(session=session, user_in=new(role=Role.ENTERPRISE), now=NOW)
    assert [p.field for p in caught.value.problems] == ["enterprise"]
    with pytest.raises(ValidationError) as caught:
        service.create(
            session=session, user_in=new(role=Role.TOWNSHIP, region="110105"), now=NOW
        )
    assert (
        str(caught.value.problems[0]) == "field 'region': region 110105 does not exist"
    )
    service.create(session=session, user_in=new(), now=NOW)
    with pytest.raises(ConflictError):
        service.create(session=session, user_in=new(), now=NOW)


def test_require_role_names_who_may(session: Session) -> None:
    user = service.create(session=session, user_in=new(), now=NOW)
    with pytest.raises(PermissionDenied, match="role viewer may not import .* admin"):
        service.require_role(user, service.WRITERS, "import")
    assert service.scope_for(user).region_path is None
