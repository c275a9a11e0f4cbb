"""The names, in the visitor's language, of the codes every area of the portal shows: a
declaration's status and an agency dossier's state. (Templates reach them as ``names``.)"""

from __future__ import annotations

from .i18n import gettext as _

__all__ = ["state", "status"]


def status(code: str) -> str:
    """A declaration's overall status."""
    return {
        "submitted": _("Submitted"),
        "under_review": _("Under review"),
        "action_required": _("Action required"),
        "inspection": _("Under inspection"),
        "withdrawal_requested": _("Withdrawal requested"),
        "released": _("Released"),
        "refused": _("Refused"),
        "withdrawn": _("Withdrawn"),
    }.get(code, code)


def state(code: str) -> str:
    """An agency dossier's state; an agency's own state without a name here shows as its code."""
    return {
        "received": _("Received"),
        "under_review": _("Under review"),
        "documents_requested": _("Documents requested"),
        "correction_requested": _("Correction requested"),
        "inspection_ordered": _("Inspection ordered"),
        "sampling": _("Sampling"),
        "treatment": _("Treatment"),
        "crew_check": _("Crew check"),
        "psc_inspection": _("Port state control"),
        "released": _("Released"),
        "refused": _("Refused"),
        "withdrawn": _("Withdrawn"),
    }.get(code, code)
