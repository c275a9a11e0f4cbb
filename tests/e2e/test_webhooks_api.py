"""A declarant subscribes a webhook through the API and is told, signed, when it is released."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from onewindow.demo import samples
from onewindow.settings import Settings
from onewindow.webhooks.delivery import verify
from tests.fixtures.app import BROKER, IMPORTER, PDF, World, start_world


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that keeps every POST it gets and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n")[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append((headers, body))
        self.arrived.set()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    def close(self) -> None:
        if self.server:
            self.server.close()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    ow, w = await start_world(Settings(data_dir=tmp_path, webhook_subscription_cache_seconds=0.0))
    yield w
    await w.settle()
    await w.http.aclose()
    await ow.stop()


async def test_a_subscribed_declarant_is_told_of_the_release_signed_once(world: World) -> None:
    receiver = Receiver()
    url = await receiver.start()
    try:
        r = await world.call(
            "POST", "/v1/webhooks", BROKER, json={"url": url, "event_types": ["DeclarationReleased"]}
        )
        assert r.status_code == 201, r.text
        hook = r.json()
        assert hook["secret"]
        listed = (await world.call("GET", "/v1/webhooks", BROKER)).json()
        assert [h["id"] for h in (listed["webhooks"] if isinstance(listed, dict) else listed)] == [hook["id"]]
        assert "secret" not in orjson.dumps(listed).decode()

        sha = await world.upload(BROKER, PDF)
        body = world.goods(
            commodities=[samples.COMMODITIES[0]], documents=[{"type": "invoice", "sha256": sha}]
        )
        submitted = await world.call("POST", "/v1/declarations", BROKER, json=body)
        assert submitted.json()["status"] == "released"
        await asyncio.wait_for(receiver.arrived.wait(), 15)
        await world.settle()
        [(headers, payload)] = receiver.received
        assert verify(hook["secret"], headers["x-onewindow-signature"], payload)
        event = orjson.loads(payload)
        assert event["type"] == "DeclarationReleased" and event["number"] == submitted.json()["number"]

        # another organisation can neither see nor delete it; its owner can
        assert (await world.call("DELETE", f"/v1/webhooks/{hook['id']}", IMPORTER)).status_code == 404
        assert (await world.call("DELETE", f"/v1/webhooks/{hook['id']}", BROKER)).status_code == 204
    finally:
        receiver.close()


async def test_a_webhook_needs_an_http_url_and_known_event_types(world: World) -> None:
    r = await world.call("POST", "/v1/webhooks", BROKER, json={"url": "ftp://x", "event_types": ["Nonsense"]})
    assert r.status_code == 422
    assert {f["code"] for f in r.json()["error"]["fields"]} == {"url_invalid", "event_type_unknown"}
