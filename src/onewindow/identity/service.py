"""Creating organisations, users and tokens, and resolving a token to its principal."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, NotAuthenticated
from onewindow.persistence.committer import Transaction

from .model import Principal, Role, hash_token, new_token
from .tables import api_tokens, organisations, users

__all__ = ["CreateOrganisation", "CreateUser", "IssueToken", "RevokeToken", "SetPassword", "TokenCache"]

ORG_KINDS = ("enterprise", "agency", "port_office", "operator", "administration")


@dataclass
class CreateOrganisation:
    id: str
    name: str
    kind: str
    uscc: str | None = None

    def run(self, tx: Transaction) -> dict[str, str | None]:
        if self.kind not in ORG_KINDS:
            raise InvalidInput(
                [
                    FieldError(
                        "kind",
                        "not_allowed",
                        f"kind must be one of {', '.join(ORG_KINDS)}.",
                        f"类型须为 {', '.join(ORG_KINDS)} 之一。",
                    )
                ]
            )
        exists = tx.conn.execute(sa.select(organisations.c.id).where(organisations.c.id == self.id)).first()
        if exists:
            raise Conflict(
                "organisation_exists", f"Organisation '{self.id}' exists.", f"单位“{self.id}”已存在。"
            )
        tx.conn.execute(
            organisations.insert().values(
                id=self.id, name=self.name, kind=self.kind, uscc=self.uscc, created_at=tx.now
            )
        )
        return {"id": self.id, "name": self.name, "kind": self.kind, "uscc": self.uscc}


@dataclass
class CreateUser:
    id: str
    org_id: str
    name: str
    role: Role
    agency: str | None = None

    def run(self, tx: Transaction) -> dict[str, str | None]:
        if (self.role is Role.OFFICER) != (self.agency is not None):
            raise InvalidInput(
                [
                    FieldError(
                        "agency",
                        "required" if self.role is Role.OFFICER else "not_allowed",
                        "An officer belongs to exactly one agency; other roles to none.",
                        "工作人员须隶属且仅隶属一个机构；其他角色不隶属机构。",
                    )
                ]
            )
        if (
            tx.conn.execute(sa.select(organisations.c.id).where(organisations.c.id == self.org_id)).first()
            is None
        ):
            raise InvalidInput(
                [
                    FieldError(
                        "org_id", "not_found", f"No organisation '{self.org_id}'.", f"无单位“{self.org_id}”。"
                    )
                ]
            )
        if tx.conn.execute(sa.select(users.c.id).where(users.c.id == self.id)).first():
            raise Conflict("user_exists", f"User '{self.id}' exists.", f"用户“{self.id}”已存在。")
        tx.conn.execute(
            users.insert().values(
                id=self.id,
                org_id=self.org_id,
                name=self.name,
                role=self.role.value,
                agency=self.agency,
                created_at=tx.now,
            )
        )
        return {"id": self.id, "org_id": self.org_id, "role": self.role.value, "agency": self.agency}


@dataclass
class IssueToken:
    user_id: str
    label: str = "api"
    token: str | None = None  # a given token (demo data); otherwise a fresh one
    lifetime: timedelta | None = None  # portal sessions expire; API tokens live until revoked

    def run(self, tx: Transaction) -> str:
        if tx.conn.execute(sa.select(users.c.id).where(users.c.id == self.user_id)).first() is None:
            raise InvalidInput(
                [
                    FieldError(
                        "user_id", "not_found", f"No user '{self.user_id}'.", f"无用户“{self.user_id}”。"
                    )
                ]
            )
        token = self.token or new_token()
        tx.conn.execute(
            api_tokens.insert().values(
                token_hash=hash_token(token),
                user_id=self.user_id,
                label=self.label,
                created_at=tx.now,
                expires_at=tx.now + self.lifetime if self.lifetime else None,
            )
        )
        return token


@dataclass
class SetPassword:
    """Store a user's password as an argon2id hash (hashed by the caller, off the writer thread)."""

    user_id: str
    password_hash: str

    def run(self, tx: Transaction) -> None:
        done = tx.conn.execute(
            users.update().where(users.c.id == self.user_id).values(password_hash=self.password_hash)
        )
        if done.rowcount == 0:
            raise InvalidInput(
                [
                    FieldError(
                        "user_id", "not_found", f"No user '{self.user_id}'.", f"无用户“{self.user_id}”。"
                    )
                ]
            )


@dataclass
class RevokeToken:
    token_hash: str

    def run(self, tx: Transaction) -> None:
        tx.conn.execute(
            api_tokens.update().where(api_tokens.c.token_hash == self.token_hash).values(revoked_at=tx.now)
        )


class TokenCache:
    """Resolves bearer tokens, caching each for ``ttl`` seconds (a revocation takes effect within
    that time in every process)."""

    def __init__(self, engine: sa.Engine, ttl: float = 30.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, token: str) -> Principal:
        digest = hash_token(token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is None or hit[0] < now:
            principal = self._lookup(digest)
            with self._lock:
                self._cache[digest] = (now + self._ttl, principal)
        else:
            principal = hit[1]
        if principal is None:
            raise NotAuthenticated()
        return principal

    def forget(self, token: str) -> None:
        """Drop a revoked token from this process's cache at once."""
        with self._lock:
            self._cache.pop(hash_token(token), None)

    def _lookup(self, digest: str) -> Principal | None:
        q = (
            sa.select(users.c.id, users.c.org_id, users.c.role, users.c.agency, organisations.c.uscc)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .join(organisations, organisations.c.id == users.c.org_id)
            .where(
                api_tokens.c.token_hash == digest,
                api_tokens.c.revoked_at.is_(None),
                sa.or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > datetime.now(UTC)),
            )
        )
        with self._engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        return Principal(row.id, row.org_id, Role(row.role), row.agency, row.uscc)
