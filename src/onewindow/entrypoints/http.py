"""The HTTP application factory. ``create_app()`` builds nothing until the server starts it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from onewindow import __version__
from onewindow.bootstrap import OneWindow, bootstrap
from onewindow.declarations.validation import from_pydantic_errors
from onewindow.entrypoints import hot
from onewindow.entrypoints.hot import error_response
from onewindow.kernel.errors import InvalidInput, OneWindowError
from onewindow.portal import install as install_portal
from onewindow.portal.web import error_page
from onewindow.portal.web import is_portal_request as on_portal_path
from onewindow.settings import Settings

__all__ = ["create_app", "create_gate_app", "telemetry"]

DESCRIPTION = """
**OneWindow** — 国际贸易单一窗口. A declarant lodges one harmonised data set; customs, inspection &
quarantine, border inspection and maritime safety each get the dossier that concerns them and decide
under their own rules; the declarant gets one release.

Authenticate with `Authorization: Bearer <token>`. Every error is
`{"error": {"code", "message", "message_zh", "fields": [{"path", "code", "message", "message_zh"}]}}`.
"""


def create_app(settings: Settings | None = None, onewindow: OneWindow | None = None) -> FastAPI:
    app = _app("OneWindow", DESCRIPTION, settings, onewindow, portal=True)
    for router in _api_routers():
        app.include_router(router)
    install_portal(app)  # after the API: the portal's paths never shadow it
    hot.install(app, _hot_routes())
    _document_hand_written_bodies(app)
    return app


def create_gate_app(settings: Settings | None = None, onewindow: OneWindow | None = None) -> FastAPI:
    """The gate desk alone (``serve --role gate``): the gate readers' decisions, confirmations and
    passages, in a process of its own so that no other work shares its interpreter lock."""
    from onewindow.gate.api import HOT_ROUTES
    from onewindow.gate.api import router as gates

    app = _app("OneWindow gate desk", GATE_DESCRIPTION, settings, onewindow, portal=False)
    app.include_router(gates)
    hot.install(app, HOT_ROUTES)
    return app


def _app(
    title: str, description: str, settings: Settings | None, onewindow: OneWindow | None, *, portal: bool
) -> FastAPI:
    """An app that starts (or is given) a OneWindow, answers errors as the API does (or as portal
    pages, where it serves the portal) and reports its health."""
    app = FastAPI(
        title=title,
        version=__version__,
        description=description,
        lifespan=_lifespan(settings, onewindow),
        telemetry=telemetry(),
    )
    _answer_errors(app, portal=portal)
    _healthz(app)
    return app


GATE_DESCRIPTION = """
**OneWindow gate desk** — 卡口. The gate readers' endpoint: open or hold in milliseconds, from the
release state committed by the rest of OneWindow. Authenticate with `Authorization: Bearer <token>`.
"""


def telemetry() -> TelemetryConfig:
    """FastAPI's OpenTelemetry spans and metrics: off unless ``ONEWINDOW_OTEL=on`` (with an
    OpenTelemetry provider configured by the deployment). Left on with no provider, FastAPI asked
    OpenTelemetry on every request whether one had been configured, which read the environment
    three times: a tenth of a gate decision's time."""
    if os.environ.get("ONEWINDOW_OTEL", "off") == "on":
        return {}
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def _lifespan(settings: Settings | None, onewindow: OneWindow | None) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ow = onewindow or bootstrap(settings)
        app.state.onewindow = ow
        await ow.start()
        try:
            yield
        finally:
            await ow.stop()

    return lifespan


def _healthz(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness and readiness")
    def healthz(request: Request) -> dict[str, Any]:
        ow: OneWindow = request.app.state.onewindow
        return {
            "status": "ok",
            "version": __version__,
            "database": ow.engines.dialect,
            "role": ow.settings.role,
            "pid": os.getpid(),  # which process answered (the gate desk runs in its own)
            "broker": "nats" if ow.settings.nats_url else "in-process",
        }


def _answer_errors(app: FastAPI, portal: bool) -> None:
    """Every error as the API's JSON (stable code, both languages, fields), or as a portal page
    where the app serves the portal and the path is the portal's."""

    def is_portal_request(request: Request) -> bool:
        return portal and on_portal_path(request)

    @app.exception_handler(OneWindowError)
    async def _onewindow_error(request: Request, exc: OneWindowError) -> Response:
        if is_portal_request(request):
            return error_page(request, exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        err = InvalidInput(from_pydantic_errors(exc.errors(), drop_prefix="body"))
        return error_page(request, err) if is_portal_request(request) else error_response(err)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        err = OneWindowError(code, str(exc.detail), str(exc.detail), status=exc.status_code)
        if is_portal_request(request):
            return error_page(request, err)
        return error_response(err)


def _api_routers() -> tuple[APIRouter, ...]:
    """Every area's router, in the order their paths are matched."""
    from onewindow.agencies.api import router as agencies
    from onewindow.credit.api import public
    from onewindow.credit.api import router as credit
    from onewindow.declarations.api import feed
    from onewindow.declarations.api import router as declarations
    from onewindow.documents.api import router as documents
    from onewindow.facilities.api import public as facilities_public
    from onewindow.facilities.api import router as facilities
    from onewindow.gate.api import router as gates
    from onewindow.identity.api import router as identity
    from onewindow.inspection.api import router as inspection
    from onewindow.inspection.api import tasks_router as inspections
    from onewindow.risk.api import router as risk
    from onewindow.statistics.api import router as statistics
    from onewindow.webhooks.api import router as webhooks

    return (
        gates,  # first: the gate reader's answers are the latency-critical ones
        declarations,
        feed,
        agencies,
        documents,
        risk,
        credit,
        inspection,
        inspections,
        facilities,
        statistics,
        webhooks,
        identity,
        public,
        facilities_public,
    )


def _hot_routes() -> tuple[Route, ...]:
    """The handlers answered ahead of the middleware stack (see ``entrypoints.hot``); the gate's
    first, the latency-critical ones."""
    from onewindow.declarations.api import HOT_ROUTES as declarations
    from onewindow.gate.api import HOT_ROUTES as gates

    return (*gates, *declarations)


def _document_hand_written_bodies(app: FastAPI) -> None:
    """Add the schemas of bodies the hot endpoints parse themselves to the OpenAPI components."""
    from onewindow.declarations.api import SCHEMAS

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            spec.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
