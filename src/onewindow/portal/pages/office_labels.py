"""What the port office dashboard calls the statistics' codes, and how it writes their numbers, in
the visitor's language: the statistics themselves are language-neutral codes and plain numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from onewindow.statistics.ports import port

from .. import i18n, labels
from ..i18n import gettext as _

__all__ = [
    "agency_label",
    "bucket_label",
    "channel_label",
    "duration",
    "facility_label",
    "grade_label",
    "hours",
    "kind_label",
    "number",
    "outcome_label",
    "percent",
    "port_label",
    "situation_label",
    "stage_label",
    "state_label",
]


# -- labels ------------------------------------------------------------------------------------


def kind_label(code: str) -> str:
    return {
        "import": _("Imports"),
        "export": _("Exports"),
        "vessel_arrival": _("Vessel arrivals"),
        "vessel_departure": _("Vessel departures"),
    }.get(code, code)


def agency_label(code: str) -> str:
    return {
        "customs": _("Customs"),
        "quarantine": _("Inspection & quarantine"),
        "border": _("Border inspection"),
        "maritime": _("Maritime safety"),
    }.get(code, code)


def stage_label(code: str) -> str:
    return {
        "review": _("Agencies reviewing"),
        "trader": _("Waiting for the declarant"),
        "inspection": _("Inspection"),
    }.get(code, code)


def outcome_label(code: str) -> str:
    return {
        "released": _("Released"),
        "refused": _("Refused"),
        "withdrawn": _("Withdrawn"),
        "inspection": _("Being inspected"),
        "action_required": _("Waiting for the declarant"),
        "open": _("Under review"),
    }.get(code, code)


def channel_label(code: str) -> str:
    return {
        "release": _("Release (green)"),
        "audit": _("Release, then audit (blue)"),
        "document_check": _("Document check (yellow)"),
        "scan": _("Machine scan (red)"),
        "manual": _("Manual inspection (red)"),
    }.get(code, code)


def grade_label(code: str) -> str:
    return {
        "advanced_certified": _("Advanced certified (AEO)"),
        "certified": _("Certified (AEO)"),
        "routine": _("Routine"),
        "dishonest": _("Dishonest"),
        "seriously_dishonest": _("Seriously dishonest"),
    }.get(code, code)


def situation_label(code: str) -> str:
    return {
        "review": _("Decision"),
        "inspection": _("Inspection"),
        "withdrawal": _("Withdrawal request"),
    }.get(code, code)


def state_label(code: str) -> str:
    return labels.state(code)


def port_label(office: str) -> str:
    p = port(office)
    return i18n.pick(p.name, p.name_zh)


def facility_label(row: dict[str, Any]) -> str:
    return i18n.pick(str(row["name"]), str(row["name_zh"]))


def bucket_label(bucket: str) -> str:
    day = date.fromisoformat(bucket)
    return i18n.fmt_date(day, "M月d日" if i18n.current.get() == "zh" else "d MMM")


# -- numbers -----------------------------------------------------------------------------------


def hours(value: float | None) -> str:
    """A duration for people: minutes under an hour, else hours with one decimal."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if value < 1:
        return _("{n} min").format(n=i18n.fmt_number(round(value * 60)))
    return _("{n} h").format(n=i18n.fmt_number(value, 1))


def duration(value: float | None) -> str:
    """A wait for people: as ``hours`` up to two days, then in days."""
    if value is None or value < 48:
        return hours(value)
    return _("{n} days").format(n=i18n.fmt_number(value / 24, 1))


def percent(value: float | None) -> str:
    return i18n.fmt_percent(value, 1)


def number(value: float | None) -> str:
    return i18n.fmt_number(value)
