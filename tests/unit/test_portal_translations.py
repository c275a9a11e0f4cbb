"""Every text the portal shows has its Chinese translation (Chinese is the default language)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from onewindow.portal import i18n

PORTAL = Path(i18n.__file__).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}


def _messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PORTAL), METHODS, OPTIONS, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, f"{filename}:{lineno}")
    return found


def test_the_portal_has_texts_to_translate() -> None:
    assert len(_messages()) > 20


def test_every_portal_text_has_a_chinese_translation() -> None:
    token = i18n.current.set("zh")
    try:
        missing = {text: where for text, where in _messages().items() if i18n.gettext(text) == text}
    finally:
        i18n.current.reset(token)
    assert not missing, "untranslated (add them to portal/locale/zh/<area>.po):\n" + "\n".join(
        f"  {where}: {text!r}" for text, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_english_shows_the_source_texts() -> None:
    token = i18n.current.set("en")
    try:
        assert i18n.gettext("Sign in") == "Sign in"
    finally:
        i18n.current.reset(token)
