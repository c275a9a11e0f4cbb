"""One error family with stable codes.

Every error a user can see carries a machine-readable ``code``, a message in English and in
Chinese, and the HTTP status it maps to. Field-level problems are listed as ``FieldError``s, each
naming the offending field by its path (``items[2].hs_code``).

    OneWindowError
    ├── InvalidInput (422)            — a request whose fields break the rules; carries FieldErrors
    │   └── MalformedRequest (400)     — not JSON, wrong media type, unreadable body
    ├── NotAuthenticated (401)        — no or unknown API token
    ├── NotPermitted (403)            — the principal's role does not allow this
    ├── NotFound (404)                — absent, or not visible to the principal (never tells which)
    ├── Conflict (409)                — the action does not fit the current state
    │   └── IdempotencyKeyReused (409) — the same key with a different body
    └── PayloadTooLarge (413)         — documents above the size limit
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Conflict",
    "FieldError",
    "IdempotencyKeyReused",
    "InvalidInput",
    "MalformedRequest",
    "NotAuthenticated",
    "NotFound",
    "NotPermitted",
    "OneWindowError",
    "PayloadTooLarge",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending field: where it is, a stable code, and what to do about it in both languages."""

    path: str
    code: str
    message: str
    message_zh: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message, "message_zh": self.message_zh}


@dataclass(eq=False)
class OneWindowError(Exception):
    """Base of every error OneWindow reports to a user."""

    code: str
    message: str
    message_zh: str
    status: int = 400
    fields: list[FieldError] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.message}")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "message_zh": self.message_zh}
        if self.fields:
            body["fields"] = [f.as_dict() for f in self.fields]
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(OneWindowError):
    def __init__(self, fields: list[FieldError]) -> None:
        n = len(fields)
        super().__init__(
            code="validation_failed",
            message=f"{n} field(s) failed validation; nothing was stored.",
            message_zh=f"{n} 个字段未通过校验，未保存任何数据。",
            status=422,
            fields=fields,
        )


class MalformedRequest(OneWindowError):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(code="malformed_request", message=message, message_zh=message_zh, status=400)


class NotAuthenticated(OneWindowError):
    def __init__(self) -> None:
        super().__init__(
            code="not_authenticated",
            message="Send a valid API token as 'Authorization: Bearer <token>'.",
            message_zh="请以 'Authorization: Bearer <令牌>' 提供有效的 API 令牌。",
            status=401,
        )


class NotPermitted(OneWindowError):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(code="not_permitted", message=message, message_zh=message_zh, status=403)


class NotFound(OneWindowError):
    def __init__(self, what: str, what_zh: str, key: str) -> None:
        super().__init__(
            code="not_found",
            message=f"No {what} '{key}' that you may see.",
            message_zh=f"未找到您有权查看的{what_zh}“{key}”。",
            status=404,
        )


class Conflict(OneWindowError):
    def __init__(self, code: str, message: str, message_zh: str, **details: Any) -> None:
        super().__init__(code=code, message=message, message_zh=message_zh, status=409, details=details)


class IdempotencyKeyReused(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            "idempotency_key_reused",
            f"Idempotency-Key '{key}' was already used with a different request body.",
            f"幂等键“{key}”已用于内容不同的请求。",
        )


class PayloadTooLarge(OneWindowError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            code="payload_too_large",
            message=f"The upload is larger than the limit of {limit} bytes.",
            message_zh=f"上传内容超过 {limit} 字节的上限。",
            status=413,
        )
