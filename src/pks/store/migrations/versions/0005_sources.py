"""configured data sources: source_run (every run) and data_deviation (failed runs)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_source_run_batch_id_import_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_run")),
    )
    with op.batch_alter_table("source_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_run_source"), ["source"], unique=False)

    op.create_table(
        "data_deviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["source_run.id"], name=op.f("fk_data_deviation_run_id_source_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_deviation")),
    )
    with op.batch_alter_table("data_deviation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_deviation_source"), ["source"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("data_deviation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_deviation_source"))
    op.drop_table("data_deviation")
    with op.batch_alter_table("source_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_run_source"))
    op.drop_table("source_run")
