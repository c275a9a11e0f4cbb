"""What the risk area announces."""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.kernel.messages import Event

__all__ = ["IpRightHold"]


@dataclass(frozen=True, kw_only=True)
class IpRightHold(Event):
    """Goods matching a recorded right were held; addressed to the right holder's organisation
    (``org_id``), so its webhooks and event feed tell it, and not to the declarant."""

    right_id: str
    mark: str
    holder: str
    declaration: str
    goods: list[str]
