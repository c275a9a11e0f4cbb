"""HTTP API of webhooks: a declarant subscribes a URL to its organisation's events (事件推送订阅)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from onewindow.declarations import events as _declaration_events  # noqa: F401  (registers the event types)
from onewindow.declarations.api import json_response
from onewindow.entrypoints.deps import App, Caller
from onewindow.identity.model import Role
from onewindow.kernel.errors import Conflict, FieldError, InvalidInput, NotFound
from onewindow.kernel.messages import Event
from onewindow.persistence.committer import Transaction
from onewindow.persistence.outbox import events

from .delivery import DeliveryStatus
from .tables import webhook_deliveries as deliveries
from .tables import webhook_subscriptions as subscriptions

__all__ = ["Subscribe", "Unsubscribe", "router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

MAX_ACTIVE_PER_ORG = 10
SECRET_PREFIX = "whsec_"


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    event_types: list[str] = Field(default_factory=list, max_length=100)


def _problems(body: SubscriptionIn) -> list[FieldError]:
    errors = []
    if not _is_http_url(body.url):
        errors.append(
            FieldError(
                "url",
                "url_invalid",
                "Give an absolute http:// or https:// URL with a host, e.g. https://example.com/hooks.",
                "请填写以 http:// 或 https:// 开头、含主机名的完整网址，例如 https://example.com/hooks。",
            )
        )
    known = sorted(Event.registry)
    errors += [
        FieldError(
            f"event_types[{i}]",
            "event_type_unknown",
            f"No event type '{name}'; use one of: {', '.join(known)}.",
            f"无事件类型“{name}”；可选：{', '.join(known)}。",
        )
        for i, name in enumerate(body.event_types)
        if name not in Event.registry
    ]
    return errors


def _is_http_url(url: str) -> bool:
    if any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number in range)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


# -- operations -------------------------------------------------------------------------------


@dataclass
class Subscribe:
    """A new active subscription with a fresh secret, which is returned this once."""

    org_id: str
    url: str
    event_types: list[str]

    def run(self, tx: Transaction) -> dict[str, Any]:
        active = tx.conn.execute(
            sa.select(sa.func.count())
            .select_from(subscriptions)
            .where(subscriptions.c.org_id == self.org_id, subscriptions.c.active == sa.true())
        ).scalar_one()
        if active >= MAX_ACTIVE_PER_ORG:
            raise Conflict(
                "webhook_limit_reached",
                f"Your organisation already has {MAX_ACTIVE_PER_ORG} active webhooks; delete one first.",
                f"贵单位已有 {MAX_ACTIVE_PER_ORG} 个有效的推送订阅，请先删除一个。",
                limit=MAX_ACTIVE_PER_ORG,
            )
        row = {
            "id": uuid.uuid4().hex,
            "org_id": self.org_id,
            "url": self.url,
            "secret": SECRET_PREFIX + secrets.token_urlsafe(32),
            "event_types": self.event_types,
            "active": True,
            "created_at": tx.now,
        }
        tx.conn.execute(subscriptions.insert().values(**row))
        return _subscription_view(row) | {"secret": row["secret"]}


@dataclass
class Unsubscribe:
    """Deactivate the organisation's subscription; its deliveries still waiting are failed."""

    org_id: str
    subscription_id: str

    def run(self, tx: Transaction) -> None:
        _own(tx.conn, self.org_id, self.subscription_id)
        tx.conn.execute(
            subscriptions.update().where(subscriptions.c.id == self.subscription_id).values(active=False)
        )
        tx.conn.execute(
            deliveries.update()
            .where(
                deliveries.c.subscription_id == self.subscription_id,
                deliveries.c.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.FAILED.value, last_error="subscription deleted")
        )


def _own(conn: sa.Connection, org_id: str, subscription_id: str) -> None:
    q = sa.select(subscriptions.c.id).where(
        subscriptions.c.id == subscription_id, subscriptions.c.org_id == org_id
    )
    if conn.execute(q).first() is None:
        raise NotFound("webhook", "推送订阅", subscription_id)


def _subscription_view(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "event_types": list(row["event_types"]),
        "active": row["active"],
        "created_at": row["created_at"],
    }


# -- routes -----------------------------------------------------------------------------------


@router.post("", status_code=201, summary="Subscribe a URL to your organisation's events")
async def subscribe(body: SubscriptionIn, caller: Caller, app: App) -> Response:
    """Every event of your organisation (or only those in ``event_types``) is POSTed to ``url``,
    signed with the returned ``secret`` (shown only now) in ``X-OneWindow-Signature``. Events
    from a few seconds after subscribing on are sent; for earlier ones, pull ``/v1/events``."""
    caller.require(Role.DECLARANT)
    errors = _problems(body)
    if errors:
        raise InvalidInput(errors)
    event_types = list(dict.fromkeys(body.event_types))
    created = await app.committer.run(Subscribe(caller.org_id, body.url, event_types))
    return json_response(created, 201, {"Location": f"/v1/webhooks/{created['id']}"})


@router.get("", summary="Your organisation's active webhooks (without their secrets)")
def list_subscriptions(caller: Caller, app: App) -> Response:
    caller.require(Role.DECLARANT)
    q = (
        sa.select(subscriptions)
        .where(subscriptions.c.org_id == caller.org_id, subscriptions.c.active == sa.true())
        .order_by(subscriptions.c.created_at, subscriptions.c.id)
    )
    with app.engines.read.connect() as conn:
        items = [_subscription_view(r._mapping) for r in conn.execute(q)]
    return json_response({"webhooks": items})


@router.delete("/{subscription_id}", status_code=204, summary="Delete a webhook (no more deliveries)")
async def unsubscribe(subscription_id: str, caller: Caller, app: App) -> Response:
    caller.require(Role.DECLARANT)
    await app.committer.run(Unsubscribe(caller.org_id, subscription_id))
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", summary="A webhook's recent deliveries, newest first")
def list_deliveries(
    subscription_id: str,
    caller: Caller,
    app: App,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    caller.require(Role.DECLARANT)
    q = (
        sa.select(deliveries, events.c.type)
        .join(events, events.c.seq == deliveries.c.event_seq)
        .where(deliveries.c.subscription_id == subscription_id)
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    )
    with app.engines.read.connect() as conn:
        _own(conn, caller.org_id, subscription_id)
        rows = conn.execute(q).all()
    items = [
        {
            "id": r.id,
            "event_id": r.event_id,
            "event_seq": r.event_seq,
            "event_type": r.type,
            "status": r.status,
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at if r.status == DeliveryStatus.PENDING else None,
            "last_error": r.last_error,
            "delivered_at": r.delivered_at,
        }
        for r in rows
    ]
    return json_response({"webhook_id": subscription_id, "deliveries": items})
