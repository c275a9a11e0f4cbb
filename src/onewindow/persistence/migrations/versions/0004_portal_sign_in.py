"""portal sign-in: password hashes and expiring session tokens; containers indexed by declaration

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.String(length=200), nullable=True))
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        op.f("ix_declaration_containers_number"), "declaration_containers", ["number"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_declaration_containers_number"), table_name="declaration_containers")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_hash")
