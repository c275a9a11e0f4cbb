"""The public list of dishonest enterprises (失信企业名单) as anyone may read it, without signing in:
the enterprises whose current grade is dishonest or seriously dishonest under the policy in force."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from . import repository
from .grades import current_policies
from .model import DishonestListing, dishonest_list
from .tables import enterprises

__all__ = ["DISHONEST_GRADES", "dishonest_enterprises", "matches"]

DISHONEST_GRADES = ("dishonest", "seriously_dishonest")


def dishonest_enterprises(conn: sa.Connection, today: date) -> tuple[str, list[DishonestListing]]:
    """The policy version in force ``today`` and the published entries, most recently listed first
    (the same list ``GET /v1/public/dishonest-enterprises`` answers)."""
    e = enterprises.c
    usccs = conn.execute(sa.select(e.uscc).where(e.grade.in_(DISHONEST_GRADES))).scalars().all()
    listed = [repository.load_enterprise(conn, u)[0] for u in usccs]
    policy = current_policies(conn).on(today)
    return policy.version, dishonest_list(listed, policy)


def matches(entry: DishonestListing, search: str) -> bool:
    """Whether part of the name or of the credit code is ``search`` (letters in any case)."""
    wanted = search.strip().casefold()
    return not wanted or wanted in entry.name.casefold() or wanted in entry.uscc.casefold()
