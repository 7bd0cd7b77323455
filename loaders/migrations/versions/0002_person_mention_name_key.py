"""Person mentions get ``name_key``: their name without diacritics, lowercase, between spaces
(`` nguyen van an ``), so a person search filters in SQL instead of reading every mention in scope.

Existing mentions are filled in here, a few thousand rows at a time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    from loaders.models import name_key

    op.add_column(
        "person_mentions", sa.Column("name_key", sa.String(210), nullable=False, server_default="")
    )
    mentions = sa.table(
        "person_mentions", sa.column("id", sa.Integer), sa.column("full_name"), sa.column("name_key")
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(mentions.c.id, mentions.c.full_name)
            .where(mentions.c.id > last)
            .order_by(mentions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            sa.update(mentions).where(mentions.c.id == sa.bindparam("mention_id")),
            [{"mention_id": row.id, "name_key": name_key(row.full_name)} for row in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("person_mentions") as batch:
        batch.drop_column("name_key")
