"""Signing in and out, the language switch, where each user lands, and the account page."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response

from onewindow.identity.passwords import hash_password, verify_password
from onewindow.identity.service import SetPassword
from onewindow.identity.tables import users
from onewindow.kernel.errors import FieldError, InvalidInput, OneWindowError

from .. import i18n
from ..sessions import COOKIE, LIFETIME, SignInRefused, sign_in, sign_out
from ..web import LANG_COOKIE, Form, Page, SignedIn, form_field, home_of, page, redirect, safe_next

__all__ = ["router"]

router = APIRouter()
PRE_COOKIE = "ow_signin"  # double-submit token guarding the sign-in form itself


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/")
def home(visitor: Page) -> Response:
    return redirect(home_of(visitor.principal))


@router.get("/signin")
def signin_form(request: Request, visitor: Page, next: str = "/") -> Response:
    if visitor.principal is not None:
        return redirect(safe_next(next, home_of(visitor.principal)))
    return _signin_page(request, next)


def _signin_page(
    request: Request, next: str, user_id: str = "", error: OneWindowError | None = None
) -> Response:
    pre = secrets.token_urlsafe(24)
    response = page(
        request,
        "account/signin.html",
        status=error.status if error else 200,
        next=safe_next(next),
        user_id=user_id,
        error=error,
        pre=pre,
    )
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.post("/signin")
async def signin(request: Request, visitor: Page) -> Response:
    form = await request.form()
    user_id, password = form_field(form, "user_id"), str(form.get("password") or "")
    target = safe_next(form_field(form, "next"))
    if not hmac.compare_digest(form_field(form, "pre"), request.cookies.get(PRE_COOKIE, "")):
        return _signin_page(request, target, user_id, _expired())
    if not user_id or not password:
        return _signin_page(request, target, user_id, SignInRefused())
    try:
        token = await sign_in(request.app.state.onewindow, user_id, password)
    except SignInRefused as refused:
        return _signin_page(request, target, user_id, refused)
    principal = request.app.state.onewindow.tokens.resolve(token)
    response = redirect(target if target != "/" else home_of(principal))
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(PRE_COOKIE)
    return response


def _expired() -> OneWindowError:
    return OneWindowError(
        "form_expired",
        "The sign-in form expired: please try again.",
        "登录表单已过期，请重试。",
        status=400,
    )


@router.post("/signout")
async def signout(request: Request, visitor: Page, form: Form) -> Response:
    if visitor.session:
        await sign_out(request.app.state.onewindow, visitor.session)
    response = redirect("/signin")
    response.delete_cookie(COOKIE)
    return response


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, next: str = "/") -> Response:
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT
    response = redirect(safe_next(next))
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/account")
def account(request: Request, visitor: Page, user: SignedIn) -> Response:
    return page(request, "account/account.html", errors={}, saved=False)


@router.post("/account/password")
async def change_password(request: Request, visitor: Page, user: SignedIn, form: Form) -> Response:
    ow = request.app.state.onewindow
    current, new, again = (str(form.get(k) or "") for k in ("current", "new", "again"))
    with ow.engines.read.connect() as conn:
        stored = conn.execute(users.select().where(users.c.id == user.user_id)).first()
    errors: dict[str, str] = {}
    if stored is None or not verify_password(stored.password_hash, current):
        errors["current"] = i18n.pick("The current password is wrong.", "当前密码不正确。")
    if new != again:
        errors["again"] = i18n.pick("The two new passwords differ.", "两次输入的新密码不一致。")
    hashed = ""
    if not errors:
        try:
            hashed = hash_password(new)
        except InvalidInput as weak:
            errors["new"] = _message(weak.fields[0])
    if errors:
        return page(request, "account/account.html", status=422, errors=errors, saved=False)
    await ow.committer.run(SetPassword(user.user_id, hashed))
    return page(request, "account/account.html", errors={}, saved=True)


def _message(error: FieldError) -> str:
    return i18n.pick(error.message, error.message_zh)
