"""Imports every area's tables so that ``metadata`` describes the whole schema (for migrations)."""

from __future__ import annotations

from onewindow.declarations import tables as declarations_tables
from onewindow.documents import tables as documents_tables
from onewindow.identity import tables as identity_tables
from onewindow.webhooks import tables as webhooks_tables

from . import outbox
from .metadata import metadata

__all__ = ["metadata"]

_AREAS = (declarations_tables, documents_tables, identity_tables, webhooks_tables, outbox)
