"""The portal's pages, one module per kind of user."""

from __future__ import annotations

from fastapi import APIRouter

from . import account, declarant, gate, office, officer, public

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    account.router,
    declarant.router,
    officer.router,
    gate.router,
    office.router,
    public.router,
)
