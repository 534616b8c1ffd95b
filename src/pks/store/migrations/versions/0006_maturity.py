"""maturity self-assessment answers per unit, date and statement

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maturity_answer",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("statement", sa.String(length=8), nullable=False),
        sa.Column("answer", sa.String(length=32), nullable=False),
        sa.Column("answered_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_maturity_answer_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "assessed_on", "statement", name=op.f("pk_maturity_answer")
        ),
    )


def downgrade() -> None:
    op.drop_table("maturity_answer")
