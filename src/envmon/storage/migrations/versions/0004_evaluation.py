"""Evaluation: change marks, aggregates, AQI values, exceedances, finalisations; station
assessment attributes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _status() -> sa.Column[str]:
    return sa.Column("status", sa.String(length=12), nullable=False)


def upgrade() -> None:
    op.add_column(
        "stations",
        sa.Column(
            "city_assessment", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    op.add_column(
        "stations", sa.Column("waterbody", sa.String(length=8), nullable=True)
    )
    op.add_column(
        "stations", sa.Column("noise_zone", sa.String(length=4), nullable=True)
    )
    op.create_table(
        "change_marks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f("fk_change_marks_point_id_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_marks")),
    )
    op.create_table(
        "aggregates",
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("parameter_code", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", WHEN, nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("corrected_value", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("count", sa.SmallInteger(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        _status(),
        sa.Column("computed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "point_id",
            "parameter_code",
            "period",
            "period_start",
            name=op.f("pk_aggregates"),
        ),
    )
    op.create_index(
        "ix_aggregates_point_start", "aggregates", ["point_id", "period_start"]
    )
    op.create_table(
        "aqi_values",
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("period_start", WHEN, nullable=False),
        sa.Column("standard", sa.String(length=16), nullable=False),
        sa.Column("aqi", sa.SmallInteger(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("primary_pollutants", sa.String(length=120), nullable=False),
        sa.Column("iaqi", sa.JSON(), nullable=False),
        sa.Column("concentrations", sa.JSON(), nullable=False),
        sa.Column("stations", sa.SmallInteger(), nullable=False),
        sa.Column("publishable", sa.Boolean(), nullable=False),
        _status(),
        sa.Column("computed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint(
            "subject_kind",
            "subject_id",
            "mode",
            "period_start",
            name=op.f("pk_aqi_values"),
        ),
    )
    op.create_index("ix_aqi_values_mode_start", "aqi_values", ["mode", "period_start"])
    op.create_table(
        "exceedances",
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("parameter_code", sa.String(), nullable=False),
        sa.Column("period_start", WHEN, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("limit_value", sa.Float(), nullable=True),
        sa.Column("lower_value", sa.Float(), nullable=True),
        sa.Column("multiple", sa.Float(), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.Column("limit_id", sa.Integer(), nullable=False),
        _status(),
        sa.Column("computed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["limit_id"],
            ["permit_limits.id"],
            name=op.f("fk_exceedances_limit_id_permit_limits"),
        ),
        sa.ForeignKeyConstraint(
            ["parameter_code"],
            ["parameters.code"],
            name=op.f("fk_exceedances_parameter_code_parameters"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f("fk_exceedances_point_id_points")
        ),
        sa.PrimaryKeyConstraint(
            "point_id", "parameter_code", "period_start", name=op.f("pk_exceedances")
        ),
    )
    op.create_index("ix_exceedances_period_start", "exceedances", ["period_start"])
    op.create_table(
        "finalizations",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("finalized_at", WHEN, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_finalizations")),
    )


def downgrade() -> None:
    for table in ("finalizations", "exceedances", "aqi_values", "aggregates"):
        op.drop_table(table)
    op.drop_table("change_marks")
    for column in ("noise_zone", "waterbody", "city_assessment"):
        op.drop_column("stations", column)
