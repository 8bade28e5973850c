"""User and token tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from envmon.registry.models import Agency, Enterprise, Region
from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime, enum_column

__all__ = ["ApiToken", "Role", "User"]


class Role(StrEnum):
    """What a user does; with the user's region (and enterprise) it decides what they see."""

    ADMIN = "admin"
    MONITORING_CENTRE = "monitoring_centre"
    ENFORCEMENT = "enforcement"
    TOWNSHIP = "township"
    ENTERPRISE = "enterprise"
    AGENCY = "agency"
    DISCIPLINE_INSPECTION = "discipline_inspection"
    VIEWER = "viewer"


class User(Base):
    """A person who logs in. Region scopes what they see; enterprise users see one unit."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, 32))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    region: Mapped[Region | None] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
