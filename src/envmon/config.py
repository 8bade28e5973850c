"""Settings of one envmon installation, read from ``ENVMON_*`` environment variables.

Read them through :func:`get_settings` and pass the object on; nothing else in the package
reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password"})


class Settings(BaseSettings):
    """One typed settings object for the whole platform."""

    model_config = SettingsConfigDict(env_prefix="ENVMON_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        default="development",
        description="Deployment kind; production refuses placeholder secrets.",
    )
    data_dir: Path = Field(
        default=Path("envmon-data"),
        description="Directory for the SQLite database, keys and exports.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means SQLite at DATA_DIR/envmon.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/dbname",
    )
    api_host: str = Field(default="127.0.0.1", description="Address the API binds to.")
    api_port: int = Field(default=8000, ge=0, le=65535, description="API port.")
    token_ttl_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="Lifetime of a login token."
    )
    secret_key: SecretStr = Field(
        default=SecretStr("changeme"),
        description="Installation secret (token pepper); must be set in production.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    ledger_key_path: Path | None = Field(
        default=None,
        description="Ed25519 key that signs tree heads; generated on first use. "
        "Default DATA_DIR/ledger/signing-key.pem",
    )
    ledger_witness_path: Path | None = Field(
        default=None,
        description="Append-only JSON-lines file of published signed tree heads. "
        "Default DATA_DIR/ledger/tree-heads.jsonl",
    )
    ledger_sign_interval_s: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="How often `envmon serve` signs a tree head.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production" and (
            self.secret_key.get_secret_value().lower() in PLACEHOLDER_SECRETS
            or len(self.secret_key.get_secret_value()) < 16
        ):
            msg = (
                "ENVMON_SECRET_KEY is a placeholder or shorter than 16 characters; "
                "set a real secret when ENVMON_ENV=production"
            )
            raise ValueError(msg)
        return self

    @property
    def resolved_ledger_key_path(self) -> Path:
        """Returns where the ledger signing key lives."""
        return self.ledger_key_path or self.data_dir / "ledger" / "signing-key.pem"

    @property
    def resolved_ledger_witness_path(self) -> Path:
        """Returns where published tree heads are appended."""
        return self.ledger_witness_path or self.data_dir / "ledger" / "tree-heads.jsonl"

    @property
    def resolved_database_url(self) -> str:
        """Returns the database URL in force: the configured one or the SQLite default."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'envmon.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the settings read once from the environment."""
    return Settings()
