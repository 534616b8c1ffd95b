"""deviations: deviation (raised by rules or adopted from data_deviation) and its events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("arrived_week", sa.Date(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("action_taken", sa.Text(), nullable=True),
        sa.Column("data_deviation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["data_deviation_id"],
            ["data_deviation.id"],
            name=op.f("fk_deviation_data_deviation_id_data_deviation"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_unit_id"], ["org_unit.id"], name=op.f("fk_deviation_subject_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_deviation_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviation")),
        sa.UniqueConstraint("data_deviation_id", name=op.f("uq_deviation_data_deviation_id")),
    )
    with op.batch_alter_table("deviation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deviation_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_deviation_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "deviation_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deviation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("old_status", sa.String(length=32), nullable=True),
        sa.Column("new_status", sa.String(length=32), nullable=False),
        sa.Column("old_unit_id", sa.Integer(), nullable=True),
        sa.Column("new_unit_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deviation_id"],
            ["deviation.id"],
            name=op.f("fk_deviation_event_deviation_id_deviation"),
        ),
        sa.ForeignKeyConstraint(
            ["new_unit_id"], ["org_unit.id"], name=op.f("fk_deviation_event_new_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["old_unit_id"], ["org_unit.id"], name=op.f("fk_deviation_event_old_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviation_event")),
    )
    with op.batch_alter_table("deviation_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deviation_event_deviation_id"), ["deviation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deviation_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deviation_event_deviation_id"))
    op.drop_table("deviation_event")
    with op.batch_alter_table("deviation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deviation_unit_id"))
        batch_op.drop_index(batch_op.f("ix_deviation_kind"))
    op.drop_table("deviation")
