"""What the officer's pages share: whose agency is asking, and errors placed at their form fields."""

from __future__ import annotations

from fastapi import Request

from onewindow.bootstrap import OneWindow
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import FieldError, InvalidInput, OneWindowError

from .. import i18n

__all__ = [
    "Errors",
    "at_fields",
    "at_most",
    "check",
    "choose",
    "officer_agency",
    "onewindow",
    "required_text",
]

Errors = dict[str, str]  # "<form>.<field>" (or "<form>." for the form as a whole) → message


def onewindow(request: Request) -> OneWindow:
    ow: OneWindow = request.app.state.onewindow
    return ow


def officer_agency(user: Principal) -> str:
    """The officer's own agency: the only one whose pages they see (others: not permitted)."""
    user.require(Role.OFFICER)
    assert user.agency is not None
    return user.agency


def at_fields(form: str, error: OneWindowError, known: tuple[str, ...] = ()) -> Errors:
    """The error's messages keyed by the form's fields it names; the rest for the whole form."""
    out: Errors = {}
    for f in error.fields:
        field = f.path if f.path in known else ""
        key = f"{form}.{field}"
        message = i18n.pick(f.message, f.message_zh)
        out[key] = f"{out[key]} {message}" if key in out else message
    if not error.fields:
        out[f"{form}."] = i18n.pick(error.message, error.message_zh)
    return out


def required_text(path: str, value: str, limit: int) -> FieldError | None:
    """The API's rule for a reason, a note or a description: 1 to ``limit`` characters."""
    if not value:
        return FieldError(path, "required", "This cannot be left empty.", "此项必填，不能为空。")
    return at_most(path, value, limit)


def at_most(path: str, value: str, limit: int) -> FieldError | None:
    if len(value) <= limit:
        return None
    return FieldError(path, "too_long", f"At most {limit} characters.", f"最多 {limit} 个字符。")


def choose(path: str) -> FieldError:
    return FieldError(path, "required", "Choose one of the options.", "请选择一项。")


def check(errors: list[FieldError | None]) -> None:
    found = [e for e in errors if e is not None]
    if found:
        raise InvalidInput(found)
