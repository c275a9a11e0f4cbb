"""Signing in and out, a refused sign-in, the language switch and the account page, in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.browser.conftest import screenshot, sign_in


def test_a_wrong_password_is_refused_and_signs_nobody_in(page: Page) -> None:
    sign_in(page, "gangtong-broker", "not-the-password-1")
    alert = page.get_by_role("alert")
    assert "用户名或密码错误" in alert.inner_text()
    assert page.url.endswith("/signin")
    screenshot(page, "signin-refused")
    page.goto("/account")
    assert "/signin?next=/account" in page.url


def test_signing_in_lands_on_the_users_page_and_signing_out_ends_the_session(page: Page) -> None:
    sign_in(page, "admin")
    assert page.url.endswith("/account")
    page.get_by_role("button", name=re.compile("退出|Sign out")).click()
    page.wait_for_url(re.compile(r"/signin$"))
    page.goto("/account")
    assert "/signin?next=/account" in page.url


def test_the_portal_speaks_chinese_by_default_and_english_on_request(page: Page) -> None:
    page.goto("/signin")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="登录").is_visible()
    screenshot(page, "signin-zh")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/signin$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Sign in").is_visible()
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r"/signin$"))
    assert page.get_by_role("heading", name="登录").is_visible()


def test_a_password_change_with_errors_shows_each_error_at_its_field(page: Page) -> None:
    sign_in(page, "admin")
    assert page.url.endswith("/account")
    page.get_by_label("当前密码").fill("wrong-password-9")
    page.get_by_label("新密码", exact=True).fill("short")
    page.get_by_label("再次输入新密码").fill("different")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_load_state()
    assert page.locator("#pw-current-error").inner_text() == "当前密码不正确。"
    assert page.locator("#pw-again-error").is_visible()
    assert page.locator("#pw-current").get_attribute("aria-invalid") == "true"
    screenshot(page, "account-form-errors")
