"""Quality control: runs, per-value results, superseded verdicts, reviews, device windows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _kind() -> sa.Column[str]:
    return sa.Column("kind", sa.String(length=16), nullable=False)


def _point(table: str) -> list[Any]:
    return [
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f(f"fk_{table}_point_id_points")
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "qc_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("rules_version", sa.String(length=100), nullable=False),
        sa.Column("code_version", sa.String(length=32), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_runs")),
    )
    op.create_table(
        "device_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        *_point("device_windows"),
        sa.Column("parameter_codes", sa.JSON(), nullable=False),
        sa.Column("start_at", WHEN, nullable=False),
        sa.Column("end_at", WHEN, nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("ledger_seq", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_windows")),
    )
    op.create_index(
        "ix_device_windows_point", "device_windows", ["point_id", "start_at"]
    )
    op.create_table(
        "qc_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        *_point("qc_reviews"),
        sa.Column("parameter_code", sa.String(length=16), nullable=False),
        _kind(),
        sa.Column("start_at", WHEN, nullable=False),
        sa.Column("end_at", WHEN, nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("flag", sa.SmallInteger(), nullable=False),
        sa.Column("overrule_device", sa.Boolean(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("reviewed_at", WHEN, nullable=False),
        sa.Column("value_count", BIG_ID, nullable=False),
        sa.Column("ledger_seq", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_reviews")),
    )
    op.create_index("ix_qc_reviews_point", "qc_reviews", ["point_id", "start_at"])
    op.create_table(
        "qc_results",
        *_point("qc_results"),
        sa.Column("parameter_code", sa.String(length=16), nullable=False),
        _kind(),
        sa.Column("measured_at", WHEN, nullable=False),
        sa.Column("device_flag", sa.SmallInteger(), nullable=False),
        sa.Column("auto_flag", sa.SmallInteger(), nullable=False),
        sa.Column("checks", sa.String(length=200), nullable=False),
        sa.Column("run_id", BIG_ID, nullable=True),
        sa.Column("review_flag", sa.SmallInteger(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("flag", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["qc_runs.id"], name=op.f("fk_qc_results_run_id_qc_runs")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["qc_reviews.id"],
            name=op.f("fk_qc_results_review_id_qc_reviews"),
        ),
        sa.PrimaryKeyConstraint(
            "point_id",
            "parameter_code",
            "kind",
            "measured_at",
            name=op.f("pk_qc_results"),
        ),
    )
    op.create_index("ix_qc_results_time", "qc_results", ["measured_at"])
    op.create_table(
        "qc_result_changes",
        sa.Column("id", BIG_ID, nullable=False),
        *_point("qc_result_changes"),
        sa.Column("parameter_code", sa.String(length=16), nullable=False),
        _kind(),
        sa.Column("measured_at", WHEN, nullable=False),
        sa.Column("auto_flag", sa.SmallInteger(), nullable=False),
        sa.Column("checks", sa.String(length=200), nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("superseded_by", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["qc_runs.id"],
            name=op.f("fk_qc_result_changes_run_id_qc_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["qc_runs.id"],
            name=op.f("fk_qc_result_changes_superseded_by_qc_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_result_changes")),
    )
    op.create_index(
        "ix_qc_result_changes_key",
        "qc_result_changes",
        ["point_id", "parameter_code", "kind", "measured_at"],
    )


def downgrade() -> None:
    for table in (
        "qc_result_changes",
        "qc_results",
        "qc_reviews",
        "device_windows",
        "qc_runs",
    ):
        op.drop_table(table)
