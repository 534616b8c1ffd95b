"""followup cache: an index for one node's weeks (the charts and status cards)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00

The primary key leads with the week, so one node's 52 weeks scanned every code of those
weeks (≈ 115,000 rows on a region of 2,000 planning objects) per chart request.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_followup_cache_series",
        "followup_cache",
        ["against", "kind", "code", "week_start"],
    )


def downgrade() -> None:
    op.drop_index("ix_followup_cache_series", table_name="followup_cache")
