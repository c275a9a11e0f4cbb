"""Adding the portal to the HTTP application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .pages import ROUTERS

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Mount the static assets and every page router (kept out of the OpenAPI document)."""
    app.mount("/static", StaticFiles(packages=[("onewindow.portal", "static")]), name="static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
