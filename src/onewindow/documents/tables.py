"""Tables of the documents area."""

from __future__ import annotations

import sqlalchemy as sa

from onewindow.persistence.metadata import Timestamp, metadata

__all__ = ["documents"]

# One row per (content, organisation): the bytes are stored once on disk, whoever uploads them, but
# each organisation that uploads them registers them for itself (and sees only its own).
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("doc_type", sa.String(24), nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("filename", sa.String(255), nullable=True),
    sa.Column("uploaded_by", sa.String(96), nullable=False),
    sa.Column("uploaded_at", Timestamp, nullable=False),
)
