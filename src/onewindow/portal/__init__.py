"""The web portal (门户): server-rendered pages over the same rules and permissions as the API.

Jinja2 templates with htmx (vendored in ``static/vendor``) for the parts that update in place;
Chinese by default, English on request (``i18n``); sign-in with a password, sessions that are
expiring API tokens (``sessions``), an anti-forgery token on every form (``web``).
"""

from __future__ import annotations

from .app import install

__all__ = ["install"]
