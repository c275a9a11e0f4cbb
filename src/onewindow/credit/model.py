"""The enterprise credit register (企业信用管理) and vessel compliance (诚信船舶): pure rules.

The handlers, the repository and the API import the model from here; it lives in four modules:

- ``register.py``: enterprises, the violations against them, their grades' history, and the
  published list of dishonest enterprises (失信企业名单).
- ``rules.py``: the decisions about a grade (downgrades, repair, an officer's grading, a decree
  change), each a ``GradeChange`` that ``Enterprise.apply`` puts on the register.
- ``vessels.py``: the violations against a vessel and its compliance status.
- ``events.py``: what the register announces to every agency.

Every number comes from the ``CreditPolicy`` passed in (``policy.py``); nothing here reads a
clock, a file or a database.
"""

from __future__ import annotations

from .events import CreditGradeChanged, CreditRepairRefused, VesselViolationRecorded, ViolationRecorded
from .register import (
    DishonestListing,
    Enterprise,
    GradeChange,
    RepairRefusal,
    Rule,
    Violation,
    dishonest_list,
)
from .rules import SYSTEM, assess, carry_over, manual_grade, request_repair
from .vessels import Compliance, VesselRecord, VesselStatus, VesselViolation

__all__ = [
    "SYSTEM",
    "Compliance",
    "CreditGradeChanged",
    "CreditRepairRefused",
    "DishonestListing",
    "Enterprise",
    "GradeChange",
    "RepairRefusal",
    "Rule",
    "VesselRecord",
    "VesselStatus",
    "VesselViolation",
    "VesselViolationRecorded",
    "Violation",
    "ViolationRecorded",
    "assess",
    "carry_over",
    "dishonest_list",
    "manual_grade",
    "request_repair",
]
