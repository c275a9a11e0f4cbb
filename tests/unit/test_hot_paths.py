"""The hot endpoints' layer: matched routes are answered ahead of the app's middleware, with the
app's error bodies; everything else reaches the app unchanged."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from onewindow.entrypoints import hot
from onewindow.kernel.errors import NotFound

seen: list[str] = []


async def fast(request: Request) -> Response:
    seen.append(request.path_params["item"])
    return JSONResponse({"fast": request.path_params["item"]})


async def refuses(request: Request) -> Response:
    raise NotFound("item", "物品", request.path_params["item"])


async def breaks(request: Request) -> Response:
    raise RuntimeError("bug")


class Client(httpx.AsyncClient):
    middleware_calls: list[str]


@pytest.fixture
def client() -> Client:
    app = FastAPI()
    middleware_calls: list[str] = []

    @app.middleware("http")
    async def count(request: Request, call_next):  # type: ignore[no-untyped-def]
        middleware_calls.append(request.url.path)
        return await call_next(request)

    @app.post("/items/{item}")
    async def documented(item: str) -> dict[str, str]:
        return {"slow": item}

    @app.get("/items/{item}")
    async def read(item: str) -> dict[str, str]:
        return {"read": item}

    hot.install(
        app,
        [
            Route("/items/{item}", fast, methods=["POST"]),
            Route("/refused/{item}", refuses, methods=["POST"]),
            Route("/broken/{item}", breaks, methods=["POST"]),
        ],
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = Client(transport=transport, base_url="http://test")
    client.middleware_calls = middleware_calls
    return client


async def test_a_hot_route_is_answered_ahead_of_the_middleware(client: Client) -> None:
    seen.clear()
    r = await client.post("/items/a1")
    assert r.status_code == 200 and r.json() == {"fast": "a1"}
    assert seen == ["a1"]
    assert client.middleware_calls == []


async def test_other_methods_and_paths_reach_the_app(client: Client) -> None:
    assert (await client.get("/items/a1")).json() == {"read": "a1"}
    assert (await client.post("/elsewhere")).status_code == 404
    assert client.middleware_calls == ["/items/a1", "/elsewhere"]


async def test_errors_are_answered_with_the_apis_error_body(client: Client) -> None:
    r = await client.post("/refused/x9")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "not_found" and error["message_zh"]


async def test_an_unexpected_failure_is_logged_and_answered_500(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="onewindow.entrypoints.hot"):
        r = await client.post("/broken/x")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "POST /broken/x failed" in caplog.text
