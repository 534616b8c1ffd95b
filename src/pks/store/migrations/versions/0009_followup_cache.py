"""followup cache: weekly follow-up figures per planning object / org node and week

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FIGURES = (
    "planned",
    "performed",
    "bought",
    "inflow",
    "booked",
    "unplanned_return",
    "value_hours",
    "cumulative_planned",
    "cumulative_performed",
    "cumulative_bought",
    "cumulative_inflow",
    "planned_year",
)
OPTIONAL = (
    "inflow_forecast",
    "waiting",
    "waiting_projected",
    "waiting_over_90d",
    "cumulative_inflow_forecast",
)


def upgrade() -> None:
    op.create_table(
        "followup_cache",
        sa.Column("against", sa.String(length=32), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in FIGURES),
        *(sa.Column(name, sa.Float(), nullable=True) for name in OPTIONAL),
        sa.Column("plan_last_week", sa.Integer(), nullable=True),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("done_weekly", sa.Text(), nullable=False),
        sa.Column("forecast_versions", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "against", "week_start", "kind", "code", name=op.f("pk_followup_cache")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "followup_cache_state",
        sa.Column("against", sa.String(length=32), nullable=False),
        sa.Column("stamp", sa.Text(), nullable=False),
        sa.Column("first_week", sa.Date(), nullable=True),
        sa.Column("last_week", sa.Date(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("against", name=op.f("pk_followup_cache_state")),
    )


def downgrade() -> None:
    op.drop_table("followup_cache_state")
    op.drop_table("followup_cache")
