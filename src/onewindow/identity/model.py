"""Who is asking, and what their role lets them do."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from onewindow.kernel.errors import NotPermitted

__all__ = ["Principal", "Role", "hash_token", "new_token"]

TOKEN_PREFIX = "ow_"


class Role(StrEnum):
    DECLARANT = "declarant"  # broker, importer/exporter, shipping agent: their organisation's declarations
    OFFICER = "officer"  # an agency officer: dossiers routed to their agency
    PORT_OFFICE = "port_office"  # the provincial port office: reads everything
    ADMIN = "admin"  # administers organisations, users and tokens
    INSPECTOR = "inspector"  # an accredited third-party inspection body (第三方检验机构): records results
    GATE_OPERATOR = "gate_operator"  # a terminal's gate staff (卡口): watch passages, confirm exits


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    org_id: str
    role: Role
    agency: str | None = None
    uscc: str | None = None  # the organisation's unified social credit code, for enterprises

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise NotPermitted(
                f"This needs one of the roles: {allowed}; you are {self.role.value}.",
                f"此操作需要以下角色之一：{allowed}；您的角色为 {self.role.value}。",
            )

    def require_agency(self, agency: str) -> None:
        """An officer acts only for their own agency."""
        self.require(Role.OFFICER)
        if self.agency != agency:
            raise NotPermitted(
                f"You are an officer of '{self.agency}', not of '{agency}'.",
                f"您是“{self.agency}”的工作人员，不能代表“{agency}”办理。",
            )


def new_token() -> str:
    """A fresh API token (shown once; only its hash is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 (no salt, no stretching) cannot be reversed
    # and lets a token be looked up by its hash.
    return hashlib.sha256(token.encode()).hexdigest()
