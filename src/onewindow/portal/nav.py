"""The menu each role sees. Every area's pages are reachable from here; none is shown to a role the
API would refuse."""

from __future__ import annotations

from dataclasses import dataclass

from onewindow.identity.model import Principal, Role

from .i18n import gettext as _

__all__ = ["Entry", "menu"]


@dataclass(frozen=True)
class Entry:
    label: str
    href: str
    current: bool


# (English label, path, roles that see it; None: everyone, signed in or not)
_ENTRIES: tuple[tuple[str, str, tuple[Role, ...] | None], ...] = (
    ("My declarations", "/my/declarations", (Role.DECLARANT,)),
    ("New declaration", "/my/declarations/new", (Role.DECLARANT,)),
    ("Upload a file", "/my/uploads", (Role.DECLARANT,)),
    ("Work queue", "/officer/queue", (Role.OFFICER,)),
    ("Dashboard", "/office", (Role.PORT_OFFICE,)),
    ("Gates", "/gates", (Role.GATE_OPERATOR, Role.PORT_OFFICE)),
    ("Public information", "/public", None),
    ("Opening hours", "/public/hours", None),
    ("Dishonest enterprises", "/public/dishonest", None),
)


def menu(principal: Principal | None, path: str) -> list[Entry]:
    role = principal.role if principal else None
    visible = [(label, href) for label, href, roles in _ENTRIES if roles is None or role in roles]
    matching = [href for _label, href in visible if path == href or path.startswith(href + "/")]
    here = max(matching, key=len, default=None)  # the most specific entry is the current one
    return [Entry(_(label), href, href == here) for label, href in visible]
