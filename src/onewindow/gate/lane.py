"""The gate lane: the gate readers' own listening socket, served by a thread with its own event loop.

On the main port a gate reader's request waits in the same queue as everything else the event loop
has to do — parsing and checking declarations above all — so when declarations pour in, a truck
waits behind them. The lane gives the readers a port of their own (``gate_port``): its thread runs
only the gate desk (``POST /v1/gates/{gate}/passages``, ``…/confirm``, and the constant ``…/ping``),
and with threads switching every ``switch_interval_ms`` it gets the interpreter within a fraction of
a millisecond whatever the rest of the process is doing. The desk and its in-memory view of the
release state live on the lane's loop; the main port's gate endpoints hand their work to it, so the
process keeps one view and one passage log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, TypeVar

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from onewindow.bootstrap import OneWindow
from onewindow.kernel.errors import OneWindowError

from .desk import GateDesk
from .handlers import Confirmation, Passage
from .rules import Reading
from .view import GateView

__all__ = ["GateLane"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class GateLane:
    def __init__(self, ow: OneWindow, host: str, port: int) -> None:
        self.ow, self.host, self.port = ow, host, port
        self.loop: asyncio.AbstractEventLoop | None = None
        self.desk: GateDesk | None = None
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="gate-lane", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start the thread and wait until the desk answers and the port listens."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the gate lane did not start within {timeout} s")
        if self._failed is not None:
            raise RuntimeError(f"the gate lane could not start: {self._failed}") from self._failed

    async def stop(self) -> None:
        """Stop listening, hand the last passages' log lines to the committer, end the thread."""
        if self._server is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        await asyncio.to_thread(self._thread.join, 15)

    # --- the main port's gate endpoints hand their work over -------------------------------------

    async def decide(self, reading: Reading, read_at: datetime | None, asked_by: str) -> Passage:
        async def on_lane() -> Passage:
            assert self.desk is not None
            return self.desk.decide(reading, read_at, asked_by)

        return await self._on_lane(on_lane())

    async def confirm(self, gate_id: str, passage_id: str, by: str) -> Confirmation:
        assert self.desk is not None
        return await self._on_lane(self.desk.confirm(gate_id, passage_id, by))

    async def _on_lane(self, work: Coroutine[Any, Any, T]) -> T:
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    # --- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        import uvloop

        loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._failed = exc
            log.exception("the gate lane stopped")
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        from .api import decide_request, ping_request

        ow = self.ow
        self.desk = desk = GateDesk(GateView(ow.engines.read), ow.committer, ow.clock)
        await desk.start()
        app = Starlette(
            routes=[
                Route("/v1/gates/{gate_id}/passages", decide_request, methods=["POST"]),
                Route("/v1/gates/{gate_id}/passages/{passage_id}/confirm", _confirm, methods=["POST"]),
                Route("/v1/gates/{gate_id}/ping", ping_request, methods=["POST"]),
            ],
            exception_handlers={OneWindowError: _error},  # type: ignore[dict-item]
        )
        app.state.onewindow = ow
        app.state.gate_desk = desk
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            loop="none",
            http="httptools",
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        self._server = server = uvicorn.Server(config)
        watcher = asyncio.ensure_future(self._signal_ready(server))
        try:
            await server.serve()
        finally:
            watcher.cancel()
            await desk.stop()

    async def _signal_ready(self, server: uvicorn.Server) -> None:
        while not server.started:
            await asyncio.sleep(0.01)
        self._ready.set()


async def _confirm(request: Request) -> Response:
    from .api import confirm_request

    return await confirm_request(request)


async def _error(_: Request, exc: OneWindowError) -> Response:
    return Response(orjson.dumps(exc.as_dict()), status_code=exc.status, media_type="application/json")


Handler = Callable[[Request], Awaitable[Response]]
