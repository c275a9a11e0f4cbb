"""The officer's work queue (待办队列): the agency's dossiers, riskiest first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Annotated

from babel.dates import format_timedelta
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from onewindow.agencies.queries import WAITING, QueueFilter, risk_queue
from onewindow.credit.queries import grade_names
from onewindow.kernel.errors import FieldError, InvalidInput
from onewindow.risk.selection import Channel

from .. import i18n
from ..web import Page, SignedIn, page
from .officer_common import officer_agency, onewindow

__all__ = ["router"]

router = APIRouter()
PAGE_SIZE = 25
EVERY = "all"


def age(delta: timedelta) -> str:
    """How long a dossier has waited, in the reader's language (``3 days``, ``3天``)."""
    return format_timedelta(delta, threshold=1.5, format="short", locale=i18n.LANGUAGES[i18n.current.get()])


def _queue_filter(states: Collection[str], state: str, channel: str, number: int) -> QueueFilter:
    errors = []
    if state not in ("", EVERY, *states):
        errors.append(FieldError("state", "unknown", f"No state '{state}'.", f"无此状态“{state}”。"))
    if channel and channel not in {c.value for c in Channel}:
        errors.append(FieldError("channel", "unknown", f"No channel '{channel}'.", f"无此通道“{channel}”。"))
    if errors:
        raise InvalidInput(errors)
    if state == EVERY:
        return QueueFilter(channel=channel or None, page=number, size=PAGE_SIZE)
    if state:
        return QueueFilter(state=state, channel=channel or None, page=number, size=PAGE_SIZE)
    return QueueFilter(categories=WAITING, channel=channel or None, page=number, size=PAGE_SIZE)


@router.get("/officer/queue")
def queue(
    request: Request,
    visitor: Page,
    user: SignedIn,
    state: str = "",
    channel: str = "",
    number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    agency = officer_agency(user)
    ow = onewindow(request)
    states = dict(ow.agencies.get(agency).machine.states)
    f = _queue_filter(states, state, channel, number)
    with ow.engines.read.connect() as conn:
        found = risk_queue(conn, user, agency, f, ow.clock.now())
        grades = grade_names(conn)
    return page(
        request,
        "officer/queue.html",
        agency=agency,
        queue=found,
        states=sorted(states),
        channels=[c.value for c in Channel],
        state=state,
        channel=channel,
        grades=grades,
        age=age,
    )
