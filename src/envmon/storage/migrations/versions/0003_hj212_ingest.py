"""HJ 212 ingest: raw frame archive and batches, frame references, legacy CRC per point.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from envmon.storage.db import append_only_ddl

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("frame_batches", "raw_frames")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _add_reference(table: str, column: str, target: str) -> None:
    # measurements and quarantine are append-only: on SQLite they must not be rebuilt by a
    # batch "move and copy" (that would drop their triggers), so the column and its
    # foreign key are added with one ALTER TABLE; PostgreSQL adds a named constraint.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} BIGINT REFERENCES {target} (id)"
        )
        return
    op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        f"fk_{table}_{column}_{target}", table, target, [column], ["id"]
    )


def upgrade() -> None:
    op.create_table(
        "frame_batches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame_batches")),
    )
    op.create_table(
        "raw_frames",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("peer", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("mn", sa.String(length=64), nullable=True),
        sa.Column("cn", sa.String(length=8), nullable=True),
        sa.Column("qn", sa.String(length=24), nullable=True),
        sa.Column("data_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pnum", sa.SmallInteger(), nullable=True),
        sa.Column("pno", sa.SmallInteger(), nullable=True),
        sa.Column("crc_valid", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["frame_batches.id"],
            name=op.f("fk_raw_frames_batch_id_frame_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_frames")),
    )
    op.create_index("ix_raw_frames_batch_id", "raw_frames", ["batch_id"])
    op.create_index("ix_raw_frames_content_key", "raw_frames", ["content_key"])
    op.create_index("ix_raw_frames_mn_received", "raw_frames", ["mn", "received_at"])
    for name in ("min_value", "max_value", "corrected_value", "amount"):
        op.add_column("measurements", sa.Column(name, sa.Float(), nullable=True))
    _add_reference("measurements", "frame_id", "raw_frames")
    _add_reference("quarantine", "raw_frame_id", "raw_frames")
    op.create_index("ix_quarantine_raw_frame_id", "quarantine", ["raw_frame_id"])
    op.add_column(
        "points", sa.Column("legacy_crc", sa.String(length=16), nullable=True)
    )
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for statement in append_only_ddl(dialect, table):
            op.execute(statement)


def downgrade() -> None:
    msg = "evidence tables are never dropped by a downgrade"
    raise NotImplementedError(msg)
