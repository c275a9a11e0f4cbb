"""What every portal page uses: the signed-in principal, the language, templates, forms with
anti-forgery tokens, and errors shown as pages instead of JSON."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from onewindow import __version__
from onewindow.bootstrap import OneWindow
from onewindow.identity.model import Principal, Role
from onewindow.kernel.errors import NotAuthenticated, NotPermitted, OneWindowError

from . import i18n, labels
from .sessions import COOKIE, csrf_token

__all__ = [
    "LANG_COOKIE",
    "Form",
    "Page",
    "SignedIn",
    "Visitor",
    "error_page",
    "form_field",
    "is_portal_request",
    "page",
    "redirect",
]

LANG_COOKIE = "ow_lang"
CSRF_FIELD, CSRF_HEADER = "csrf", "x-csrf-token"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' "
    "'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_API_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi.json", "/healthz")

templates = jinja2.Environment(
    loader=jinja2.PackageLoader("onewindow.portal", "templates"),
    autoescape=jinja2.select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.filters.update(
    datetime=i18n.fmt_datetime,
    date=i18n.fmt_date,
    number=i18n.fmt_number,
    percent=i18n.fmt_percent,
    money=i18n.fmt_money,
)
templates.globals.update(version=__version__, pick=i18n.pick, names=labels)


@dataclass(frozen=True)
class Visitor:
    """Who is looking at a page: the principal when signed in, and the chosen language."""

    principal: Principal | None
    session: str | None
    language: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.session) if self.session else ""


def _visitor(request: Request) -> Visitor:
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    language = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or i18n.DEFAULT
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT
    i18n.current.set(language)
    session = request.cookies.get(COOKIE)
    principal = None
    if session:
        ow: OneWindow = request.app.state.onewindow
        try:
            principal = ow.tokens.resolve(session)
        except NotAuthenticated:
            session = None
    visitor = Visitor(principal, session if principal else None, language)
    request.state.visitor = visitor
    return visitor


def _signed_in(request: Request) -> Principal:
    principal = _visitor(request).principal
    if principal is None:
        raise NotAuthenticated()
    return principal


Page = Annotated[Visitor, Depends(_visitor)]
SignedIn = Annotated[Principal, Depends(_signed_in)]


async def _form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, after checking the anti-forgery token (field ``csrf`` or header); its
    uploaded files are closed when the page is done."""
    visitor = _visitor(request)
    form = await request.form()
    try:
        sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
        if not visitor.session or not hmac.compare_digest(sent, visitor.csrf):
            raise NotPermitted(
                "The form has expired or did not come from this site: reload the page and try again.",
                "表单已过期或并非来自本站，请刷新页面后重试。",
            )
        yield form
    finally:
        await form.close()


Form = Annotated[FormData, Depends(_form)]


def form_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def page(
    request: Request, template: str, status: int = 200, headers: Mapping[str, str] | None = None, **ctx: Any
) -> HTMLResponse:
    """Render ``template`` for the visitor (its language, its menu) with ``ctx``."""
    from .nav import menu

    visitor = _visitor(request)
    i18n.current.set(visitor.language)
    body = templates.get_template(template).render(
        request=request,
        visitor=visitor,
        user=visitor.principal,
        csrf=visitor.csrf,
        lang=visitor.language,
        menu=menu(visitor.principal, request.url.path),
        htmx=request.headers.get("hx-request") == "true",
        **ctx,
    )
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def redirect(to: str, status: int = 303) -> Response:
    return RedirectResponse(to, status_code=status)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site (never ``//elsewhere`` or a full address) is followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def is_portal_request(request: Request) -> bool:
    return not request.url.path.startswith(_API_PREFIXES)


def error_page(request: Request, exc: OneWindowError) -> Response:
    if isinstance(exc, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": f"/signin?next={quote(target)}"})
        return redirect(f"/signin?next={quote(target)}")
    template = "errors/fragment.html" if request.headers.get("hx-request") == "true" else "errors/page.html"
    return page(request, template, status=exc.status, error=exc)


def home_of(principal: Principal | None) -> str:
    """Where a user lands after signing in."""
    if principal is None:
        return "/public/hours"
    return {
        Role.DECLARANT: "/my/declarations",
        Role.OFFICER: "/officer/queue",
        Role.PORT_OFFICE: "/office",
        Role.GATE_OPERATOR: "/gates",
    }.get(principal.role, "/account")
