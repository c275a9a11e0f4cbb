"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive), cheap enough per request
that one client core can drive a server harder than the server can answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Result:
    sent: int = 0
    ok: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        assert self.reader and self.writer
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        if self.writer:
            self.writer.close()


def build_request(method: str, path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"Content-Length: {len(body)}",
        "Content-Type: application/json",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def closed_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    duration: float,
    keep_bodies: bool = False,
) -> Result:
    """As fast as the server answers: ``concurrency`` connections each send the next request when
    the previous one is answered, for ``duration`` seconds (or until the requests run out)."""
    result = Result()
    index = 0
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal index
        conn = Connection(host, port)
        await conn.open()
        try:
            while time.perf_counter() < deadline and index < len(requests):
                raw = requests[index]
                index += 1
                t0 = time.perf_counter()
                status, body = await conn.request(raw)
                result.sent += 1
                if 200 <= status < 300:
                    result.ok += 1
                    result.latencies.append(time.perf_counter() - t0)
                    if keep_bodies:
                        result.bodies.append(body)
                else:
                    result.errors[status] = result.errors.get(status, 0) + 1
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - start
    return result


async def open_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    on_answer: Callable[[int, float, int, bytes], None],
    connections: int = 32,
) -> Result:
    """At a steady offered ``rate``: request i is sent at start + i/rate whatever the server does
    (a pool of connections; a request waits only if every connection is busy)."""
    result = Result()
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        c = Connection(host, port)
        await c.open()
        pool.put_nowait(c)
    start = time.perf_counter()

    async def one(i: int, raw: bytes) -> None:
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        conn = await pool.get()
        t0 = time.perf_counter()
        status, body = await conn.request(raw)
        pool.put_nowait(conn)
        result.sent += 1
        if 200 <= status < 300:
            result.ok += 1
            result.latencies.append(time.perf_counter() - t0)
        else:
            result.errors[status] = result.errors.get(status, 0) + 1
        on_answer(i, due, status, body)

    await asyncio.gather(*(one(i, raw) for i, raw in enumerate(requests)))
    result.elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    return result
