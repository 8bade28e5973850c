"""Foundation: registry, users and tokens, raw files, quarantine, measurements.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from envmon.storage.db import POSTGRES_REFUSE_FUNCTION, append_only_ddl

# Raw evidence and history: the database itself refuses UPDATE and DELETE on these.
APPEND_ONLY_TABLES = (
    "raw_files",
    "quarantine",
    "measurements",
    "registry_changes",
    "calibrations",
)


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "parameters",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("code_2005", sa.String(length=12), nullable=True),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("amount_unit", sa.String(length=20), nullable=True),
        sa.Column(
            "medium",
            sa.Enum(
                "water",
                "air",
                "flue_gas",
                "noise",
                "meteorology",
                "radiation",
                "device",
                name="medium",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_parameters")),
    )
    with op.batch_alter_table("parameters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parameters_code_2005"), ["code_2005"], unique=False
        )

    op.create_table(
        "raw_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_files")),
    )
    with op.batch_alter_table("raw_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_raw_files_sha256"), ["sha256"], unique=False
        )

    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "province",
                "city",
                "county",
                "township",
                name="regionlevel",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["regions.id"], name=op.f("fk_regions_parent_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_regions_code")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_path"), ["path"], unique=False)

    op.create_table(
        "registry_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_key", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_changes")),
    )
    with op.batch_alter_table("registry_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_changes_entity_key", ["entity", "entity_key"], unique=False
        )

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "om",
                "monitoring",
                "supplier",
                name="agencykind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_agencies_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_agencies_credit_code")),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=False),
        sa.Column("industry_code", sa.String(length=10), nullable=True),
        sa.Column("key_categories", sa.JSON(), nullable=False),
        sa.Column("permit_number", sa.String(length=40), nullable=True),
        sa.Column("responsible_name", sa.String(length=50), nullable=False),
        sa.Column("responsible_phone", sa.String(length=30), nullable=False),
        sa.Column("responsible_email", sa.String(length=200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "retired",
                name="status",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_enterprises_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprises_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "station", "outlet", name="pointkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("mn", sa.String(length=32), nullable=True),
        sa.Column("hj212_password", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "retired",
                name="status",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_points_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points")),
        sa.UniqueConstraint("mn", name=op.f("uq_points_mn")),
    )
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw_file_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_file_id"],
            ["raw_files.id"],
            name=op.f("fk_quarantine_raw_file_id_raw_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantine_reason"), ["reason"], unique=False
        )

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("manufacturer", sa.String(length=100), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "analyser",
                "data_logger",
                name="devicekind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("parameter_codes", sa.JSON(), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "retired",
                name="status",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_devices_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f("fk_devices_point_id_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("serial", name=op.f("uq_devices_serial")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_devices_point_id"), ["point_id"], unique=False
        )

    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("parameter_code", sa.String(length=12), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "realtime",
                "minute",
                "hour",
                "day",
                name="datakind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("device_flag", sa.String(length=4), nullable=True),
        sa.Column("raw_file_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parameter_code"],
            ["parameters.code"],
            name=op.f("fk_measurements_parameter_code_parameters"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f("fk_measurements_point_id_points")
        ),
        sa.ForeignKeyConstraint(
            ["raw_file_id"],
            ["raw_files.id"],
            name=op.f("fk_measurements_raw_file_id_raw_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
        sa.UniqueConstraint(
            "point_id",
            "parameter_code",
            "kind",
            "measured_at",
            name=op.f("uq_measurements_point_id_parameter_code_kind_measured_at"),
        ),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measurements_kind_time", ["kind", "measured_at"], unique=False
        )

    op.create_table(
        "outlets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "outlet_kind",
            sa.Enum(
                "flue_gas",
                "wastewater",
                name="outletkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("reference_o2", sa.Float(), nullable=True),
        sa.Column("emission_standard", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_outlets_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["points.id"], name=op.f("fk_outlets_id_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlets")),
        sa.UniqueConstraint(
            "enterprise_id", "code", name=op.f("uq_outlets_enterprise_id_code")
        ),
    )
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outlets_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "point_parameters",
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("parameter_code", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["parameter_code"],
            ["parameters.code"],
            name=op.f("fk_point_parameters_parameter_code_parameters"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["points.id"],
            name=op.f("fk_point_parameters_point_id_points"),
        ),
        sa.PrimaryKeyConstraint(
            "point_id", "parameter_code", name=op.f("pk_point_parameters")
        ),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "element",
            sa.Enum(
                "air",
                "surface_water",
                "drinking_water",
                "groundwater",
                "soil",
                "noise",
                "radiation",
                "voc",
                "ecology",
                name="element",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "control_level",
            sa.Enum(
                "national",
                "provincial",
                "city",
                "county",
                "township",
                name="controllevel",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["id"], ["points.id"], name=op.f("fk_stations_id_points")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["agencies.id"],
            name=op.f("fk_stations_operator_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_stations_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "monitoring_centre",
                "enforcement",
                "township",
                "enterprise",
                "agency",
                "discipline_inspection",
                "viewer",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_users_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_users_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_users_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "calibration",
                "verification",
                "comparison",
                name="calibrationkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "pass", "fail", name="calibrationresult", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("performed_by", sa.String(length=100), nullable=True),
        sa.Column("certificate", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_calibrations_device_id_devices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibrations")),
        sa.UniqueConstraint(
            "device_id",
            "performed_on",
            "kind",
            name=op.f("uq_calibrations_device_id_performed_on_kind"),
        ),
    )
    with op.batch_alter_table("calibrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calibrations_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "permit_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("parameter_code", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("lower_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_permit_limits_date_order"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_permit_limits_outlet_id_outlets"),
        ),
        sa.ForeignKeyConstraint(
            ["parameter_code"],
            ["parameters.code"],
            name=op.f("fk_permit_limits_parameter_code_parameters"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_limits")),
        sa.UniqueConstraint(
            "outlet_id",
            "parameter_code",
            "effective_from",
            name=op.f("uq_permit_limits_outlet_id_parameter_code_effective_from"),
        ),
    )
    with op.batch_alter_table("permit_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_permit_limits_outlet_id"), ["outlet_id"], unique=False
        )

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(POSTGRES_REFUSE_FUNCTION)
    for table in APPEND_ONLY_TABLES:
        for statement in append_only_ddl(dialect, table):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS envmon_refuse_change() CASCADE")

    with op.batch_alter_table("permit_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_permit_limits_outlet_id"))

    op.drop_table("permit_limits")
    with op.batch_alter_table("calibrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibrations_device_id"))

    op.drop_table("calibrations")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("stations")
    op.drop_table("point_parameters")
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outlets_enterprise_id"))

    op.drop_table("outlets")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index("ix_measurements_kind_time")

    op.drop_table("measurements")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_point_id"))

    op.drop_table("devices")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_reason"))

    op.drop_table("quarantine")
    with op.batch_alter_table("points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_region_id"))

    op.drop_table("points")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_region_id"))

    op.drop_table("enterprises")
    op.drop_table("agencies")
    with op.batch_alter_table("registry_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_changes_entity_key")

    op.drop_table("registry_changes")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_path"))

    op.drop_table("regions")
    with op.batch_alter_table("raw_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_files_sha256"))

    op.drop_table("raw_files")
    with op.batch_alter_table("parameters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parameters_code_2005"))

    op.drop_table("parameters")
