"""Imports every area's tables so that ``metadata`` describes the whole schema (for migrations)."""

from __future__ import annotations

from onewindow.credit import tables as credit_tables
from onewindow.declarations import tables as declarations_tables
from onewindow.documents import tables as documents_tables
from onewindow.facilities import tables as facilities_tables
from onewindow.gate import tables as gate_tables
from onewindow.identity import tables as identity_tables
from onewindow.inspection import tables as inspection_tables
from onewindow.risk import tables as risk_tables
from onewindow.webhooks import tables as webhooks_tables

from . import outbox, versions
from .metadata import metadata

__all__ = ["metadata"]

_AREAS = (
    credit_tables,
    declarations_tables,
    documents_tables,
    facilities_tables,
    gate_tables,
    identity_tables,
    inspection_tables,
    risk_tables,
    webhooks_tables,
    outbox,
    versions,
)
