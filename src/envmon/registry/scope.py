"""What part of the registry a caller may see. Pure."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Scope"]


@dataclass(frozen=True, slots=True)
class Scope:
    """A visibility scope: a region subtree, and optionally one enterprise or agency.

    ``region_path`` is the materialised path of the user's region (``/110000/110100/``);
    ``None`` means every region. An enterprise user sees only its ``enterprise_id``.
    """

    region_path: str | None = None
    enterprise_id: int | None = None
    agency_id: int | None = None

    @classmethod
    def everything(cls) -> Scope:
        """Returns the scope that sees every record (administrators of the platform)."""
        return cls()
