"""Signing in to the portal. A portal session is an API token that expires: the browser holds it
in an HttpOnly cookie, only its hash is stored, and the same token cache resolves it, so the portal
and the API grant exactly the same rights. Signing out revokes it at once.

Repeated wrong passwords lock the user id for a while (counted per process; in the scaled-out
deployment each API process counts its own attempts).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta

import sqlalchemy as sa

from onewindow.bootstrap import OneWindow
from onewindow.identity.model import hash_token
from onewindow.identity.passwords import verify_password
from onewindow.identity.service import IssueToken, RevokeToken
from onewindow.identity.tables import users
from onewindow.kernel.errors import OneWindowError

__all__ = ["COOKIE", "LIFETIME", "SignInRefused", "csrf_token", "sign_in", "sign_out"]

COOKIE = "ow_session"
LIFETIME = timedelta(hours=12)
MAX_FAILURES, WINDOW = 5, 15 * 60.0


class SignInRefused(OneWindowError):
    def __init__(self, locked: bool = False) -> None:
        if locked:
            super().__init__(
                "sign_in_locked",
                "Too many wrong passwords: try again in 15 minutes.",
                "密码错误次数过多，请 15 分钟后再试。",
                status=429,
            )
        else:
            super().__init__(
                "sign_in_refused", "Wrong user name or password.", "用户名或密码错误。", status=401
            )


class _Throttle:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def locked(self, user_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = self._failures[user_id]
            while recent and recent[0] < now - WINDOW:
                recent.popleft()
            return len(recent) >= MAX_FAILURES

    def failed(self, user_id: str) -> None:
        with self._lock:
            self._failures[user_id].append(time.monotonic())

    def succeeded(self, user_id: str) -> None:
        with self._lock:
            self._failures.pop(user_id, None)


throttle = _Throttle()


async def sign_in(ow: OneWindow, user_id: str, password: str) -> str:
    """A fresh session token for the user, or ``SignInRefused``."""
    if throttle.locked(user_id):
        raise SignInRefused(locked=True)
    with ow.engines.read.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.id == user_id)).scalar()
    if not await asyncio.to_thread(verify_password, stored, password):
        throttle.failed(user_id)
        raise SignInRefused()
    throttle.succeeded(user_id)
    token: str = await ow.committer.run(IssueToken(user_id, "portal session", lifetime=LIFETIME))
    return token


async def sign_out(ow: OneWindow, token: str) -> None:
    await ow.committer.run(RevokeToken(hash_token(token)))
    ow.tokens.forget(token)


def csrf_token(session: str) -> str:
    """The session's anti-forgery token: derived from the cookie a forger cannot read."""
    return hmac.new(session.encode(), b"onewindow-csrf", hashlib.sha256).hexdigest()[:40]
