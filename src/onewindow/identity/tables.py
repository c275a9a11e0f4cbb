"""Tables of the identity area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import Timestamp, metadata

__all__ = ["api_tokens", "organisations", "users"]

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("uscc", sa.String(18), nullable=True, unique=True),
    sa.Column("kind", sa.String(24), nullable=False),  # enterprise, agency, port_office, operator
    sa.Column("created_at", Timestamp, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("organisations.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(24), nullable=False),
    sa.Column("agency", sa.String(32), nullable=True),
    # argon2id (argon2-cffi's PHC string); null: the user signs in with API tokens only
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    sa.Column("expires_at", Timestamp, nullable=True),  # portal sessions expire; API tokens do not
)
