"""The hot endpoints, answered ahead of the framework's middleware and routing.

A gate reader's questions, submissions and their validation are most of a busy port's requests.
Each is a plain handler (``request -> response``) that parses and checks its own input; here they
are matched by method and path before FastAPI's middleware stack (error middleware, body limit,
exception handlers) and its routing through every area's router, which together cost about a
fifth of a gate decision under ``benchmarks/gate.py``. Their errors are answered as the app
answers them (the same JSON body and status); an unexpected exception is logged and answered 500.
The documented FastAPI routes of the same paths call the same handlers: they are what the
OpenAPI document shows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from onewindow.kernel.errors import OneWindowError

__all__ = ["HotPaths", "error_response", "install"]

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


def error_response(exc: OneWindowError) -> Response:
    return Response(orjson.dumps(exc.as_dict()), status_code=exc.status, media_type="application/json")


class Unexpected(OneWindowError):
    def __init__(self) -> None:
        super().__init__(
            "internal_error",
            "Something went wrong on our side; the request may not have been carried out.",
            "服务器内部错误，请求可能未被执行。",
            status=500,
        )


class HotPaths:
    """ASGI middleware: ``routes`` (Starlette routes of plain handlers) first, else ``app``."""

    def __init__(self, app: ASGIApp, routes: Sequence[Route]) -> None:
        self._app = app
        self._routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            for route in self._routes:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child)
                    await self._answer(route.endpoint, scope, receive, send)
                    return
        await self._app(scope, receive, send)

    @staticmethod
    async def _answer(handler: Handler, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await handler(Request(scope, receive, send))
        except OneWindowError as exc:
            response = error_response(exc)
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            response = error_response(Unexpected())
        await response(scope, receive, send)


def install(app: Any, routes: Sequence[Route]) -> None:
    """Put ``routes`` in front of ``app``'s middleware stack (a Starlette/FastAPI application, which
    builds its stack on its first request)."""
    build = app.build_middleware_stack

    def build_with_hot_paths() -> ASGIApp:
        return HotPaths(build(), routes)

    app.build_middleware_stack = build_with_hot_paths
