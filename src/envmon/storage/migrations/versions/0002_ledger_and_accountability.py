"""Ledger (entries, Merkle nodes, keys, signed tree heads) and accountability tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from envmon.storage.db import append_only_ddl

APPEND_ONLY_TABLES = (
    "ledger_entries",
    "ledger_nodes",
    "ledger_keys",
    "tree_heads",
    "interference_records",
    "user_keys",
    "lab_batches",
    "lab_results",
    "lab_signatures",
)


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "interference_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("intervener_name", sa.String(length=100), nullable=False),
        sa.Column("intervener_position", sa.String(length=200), nullable=False),
        sa.Column("intervener_unit", sa.String(length=200), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "written_instruction",
                "letter",
                "oral",
                "hint",
                "other",
                name="interferencemethod",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("witnesses", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("ledger_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interference_records")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_kind"), ["kind"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_subject"), ["subject"], unique=False
        )

    op.create_table(
        "ledger_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_ledger_keys")),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_ledger_nodes")),
    )
    op.create_table(
        "tree_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_heads")),
    )
    with op.batch_alter_table("tree_heads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tree_heads_tree_size"), ["tree_size"], unique=False
        )

    op.create_table(
        "lab_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("raw_file_id", sa.Integer(), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_file_id"],
            ["raw_files.id"],
            name=op.f("fk_lab_batches_raw_file_id_raw_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_batches")),
    )
    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("point_label", sa.String(length=100), nullable=False),
        sa.Column("parameter_code", sa.String(length=12), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["lab_batches.id"],
            name=op.f("fk_lab_results_batch_id_lab_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["parameter_code"],
            ["parameters.code"],
            name=op.f("fk_lab_results_parameter_code_parameters"),
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["points.id"], name=op.f("fk_lab_results_point_id_points")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_results")),
        sa.UniqueConstraint(
            "batch_id", "row_no", name=op.f("uq_lab_results_batch_id_row_no")
        ),
    )
    with op.batch_alter_table("lab_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lab_results_batch_id"), ["batch_id"], unique=False
        )

    op.create_table(
        "lab_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "step",
            sa.Enum(
                "sampler",
                "analyst",
                "reviewer",
                "signatory",
                name="signstep",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["lab_batches.id"],
            name=op.f("fk_lab_signatures_batch_id_lab_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_signatures")),
        sa.UniqueConstraint(
            "batch_id", "step", name=op.f("uq_lab_signatures_batch_id_step")
        ),
    )
    with op.batch_alter_table("lab_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lab_signatures_batch_id"), ["batch_id"], unique=False
        )

    op.create_table(
        "user_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_user_keys_key_id")),
    )
    with op.batch_alter_table("user_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_keys_user_id"), ["user_id"], unique=False
        )

    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY_TABLES:
        for statement in append_only_ddl(dialect, table):
            op.execute(statement)


def downgrade() -> None:

    with op.batch_alter_table("user_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_keys_user_id"))

    op.drop_table("user_keys")
    with op.batch_alter_table("lab_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_signatures_batch_id"))

    op.drop_table("lab_signatures")
    with op.batch_alter_table("lab_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_results_batch_id"))

    op.drop_table("lab_results")
    op.drop_table("lab_batches")
    with op.batch_alter_table("tree_heads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_heads_tree_size"))

    op.drop_table("tree_heads")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_keys")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_subject"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_kind"))

    op.drop_table("ledger_entries")
    op.drop_table("interference_records")
