"""What anyone may read without signing in (政务公开): the ports' opening hours, the list of dishonest
enterprises, and an index of everything published. The same reads as ``/v1/public/...``.

A capability that publishes a page adds one entry to ``PUBLISHED`` (or calls ``publish``) with its
title and description in English, translated in its own catalog; the index lists it, with no
template to edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from onewindow.credit.policy import port_date
from onewindow.credit.public import dishonest_enterprises, matches
from onewindow.facilities import queries as facilities
from onewindow.facilities.hours import DAYS, PORT_TIME

from ..web import Page, page

__all__ = ["PAGE_SIZE", "PUBLISHED", "Published", "publish", "router"]

router = APIRouter()
PAGE_SIZE = 20  # dishonest enterprises a page


@dataclass(frozen=True)
class Published:
    """A public page: its title and description in English (each with a Chinese translation in the
    publishing area's catalog), and its path."""

    title: str
    path: str
    description: str


PUBLISHED: list[Published] = [
    Published(
        "Opening hours",
        "/public/hours",
        "When each port and inspection site is open, which are open 24 hours, and the closures announced.",
    ),
    Published(
        "Dishonest enterprises",
        "/public/dishonest",
        "Enterprises graded dishonest under the customs credit rules in force, with the reason.",
    ),
]


def publish(title: str, path: str, description: str) -> Published:
    """Add a page to the public index (a later capability's one line)."""
    entry = Published(title, path, description)
    PUBLISHED.append(entry)
    return entry


@router.get("/public")
def index(request: Request, visitor: Page) -> Response:
    return page(request, "public/index.html", published=PUBLISHED)


# -- opening hours --------------------------------------------------------------------------------


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ranges(items: list[list[str]]) -> str:
    return ", ".join(f"{start}–{end}" for start, end in items)


def _facility(found: dict[str, Any], today: date) -> dict[str, Any]:
    """A facility as the public reads it: its week, the special days ahead, its next openings and
    the closures announced, with times as datetimes for the locale's formats."""
    hours = found["hours"]
    weekly = hours.get("weekly", {})
    dates = sorted((date.fromisoformat(d), ranges) for d, ranges in hours.get("dates", {}).items())
    return {
        **found,
        "always": hours.get("always", False) is True,
        "week": [(day, _ranges(weekly.get(day, []))) for day in DAYS],
        "special": [(d, _ranges(ranges)) for d, ranges in dates if d >= today][:10],
        "next_open": [(_at(p["starts_at"]), _at(p["ends_at"])) for p in found["next_open"]],
        "closures": [(_at(p["starts_at"]), _at(p["ends_at"])) for p in found["closures"]],
    }


@router.get("/public/hours")
def opening_hours(request: Request, visitor: Page, port: str = "") -> Response:
    ow = request.app.state.onewindow
    now = ow.clock.now()
    with ow.engines.read.connect() as conn:
        everything = facilities.opening_hours(conn, None, now)
    today = now.astimezone(PORT_TIME).date()
    names = {f["port"]: (f["name"], f["name_zh"]) for f in everything if f["kind"] == "port"}
    ports = [(code, names.get(code, (code, code))) for code in sorted({f["port"] for f in everything})]
    shown = [_facility(f, today) for f in everything if not port or f["port"] == port]
    shown.sort(key=lambda f: (f["port"], f["kind"] != "port", f["id"]))  # each port before its sites
    groups = [
        (code, names.get(code, (code, code)), list(fs)) for code, fs in groupby(shown, lambda f: f["port"])
    ]
    return page(request, "public/hours.html", ports=ports, port=port, groups=groups, now=now)


# -- dishonest enterprises ------------------------------------------------------------------------


@router.get("/public/dishonest")
def dishonest(
    request: Request,
    visitor: Page,
    q: Annotated[str, Query(max_length=100)] = "",
    number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    ow = request.app.state.onewindow
    with ow.engines.read.connect() as conn:
        policy, listed = dishonest_enterprises(conn, port_date(ow.clock.now()))
    found = [entry for entry in listed if matches(entry, q)]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    number = min(number, pages)
    shown = found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]

    def link(to: int) -> str:
        return "/public/dishonest?" + urlencode({k: v for k, v in (("q", q), ("page", to)) if v})

    return page(
        request,
        "public/dishonest.html",
        q=q.strip(),
        policy=policy,
        total=len(listed),
        found=len(found),
        shown=shown,
        number=number,
        pages=pages,
        previous=link(number - 1) if number > 1 else None,
        next=link(number + 1) if number < pages else None,
    )
