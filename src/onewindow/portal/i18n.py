"""Chinese (the default) and English: message catalogs and locale formatting, both through Babel.

Templates and pages are written in English; ``locale/zh/*.po`` translate them, one catalog per
area of the portal (each area owns its file). The catalogs are compiled in memory at import, so
nothing needs a build step. Dates and times are shown in China Standard Time.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "current",
    "fmt_date",
    "fmt_datetime",
    "fmt_money",
    "fmt_number",
    "fmt_percent",
    "gettext",
    "ngettext",
    "pick",
]

LANGUAGES = {"zh": "zh_Hans_CN", "en": "en_GB"}  # language code → Babel locale
DEFAULT = "zh"
CHINA = timezone(timedelta(hours=8), "CST")

current: ContextVar[str] = ContextVar("portal_language", default=DEFAULT)


def _load(language: str) -> Translations:
    merged: Translations | None = None
    folder = resources.files("onewindow.portal") / "locale" / language
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as fh:
            catalog = read_po(fh, locale=LANGUAGES[language])
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        loaded = Translations(buffer)
        if merged is None:
            merged = loaded  # the first catalog's header gives the plural rule (Chinese: one form)
        else:
            merged.merge(loaded)
    return merged or Translations()


_CATALOGS = {"zh": _load("zh")}


def gettext(message: str) -> str:
    catalog = _CATALOGS.get(current.get())
    return catalog.gettext(message) if catalog else message


def ngettext(singular: str, plural: str, n: int) -> str:
    catalog = _CATALOGS.get(current.get())
    if catalog:
        return catalog.ngettext(singular, plural, n)
    return singular if n == 1 else plural


def pick(english: str, chinese: str) -> str:
    """The one of two texts (an error's message and message_zh) for the current language."""
    return chinese if current.get() == "zh" else english


def _locale() -> str:
    return LANGUAGES[current.get()]


def fmt_datetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return "—"
    return format_datetime(value.astimezone(CHINA), format=format, tzinfo=CHINA, locale=_locale())


def fmt_date(value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(CHINA).date()
    return format_date(value, format=format, locale=_locale())


def fmt_number(value: float | int | Decimal | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None:
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=_locale())
    return format_decimal(value, locale=_locale())


def fmt_percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return format_percent(value, format=f"#,##0.{'0' * digits}%", locale=_locale())


def fmt_money(value: float | Decimal | str | None, currency: str = "CNY") -> str:
    if value is None:
        return "—"
    return format_currency(Decimal(str(value)), currency, locale=_locale())
