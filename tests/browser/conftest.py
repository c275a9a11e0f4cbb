"""Browser tests: Debian's Chromium, driven by Playwright, against a live ``onewindow serve`` with the
demo data the README's run command loads. Screenshots of the pages go to ``test-artifacts/screenshots``.

Chromium comes from Debian's packages (``scripts/browser.sh``, run by ``scripts/test``); where it is
absent the tests are skipped saying so, and fail instead under ONEWINDOW_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from onewindow.demo.loader import DEMO_PASSWORD
from tests.fixtures.servers import Server, cli

CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("ONEWINDOW_ARTIFACTS", "test-artifacts")) / "screenshots"
DEMO_DECLARATIONS = 300  # as many as the README's run command loads


def _chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        message = f"Chromium is not installed at {CHROMIUM}; run scripts/browser.sh (Debian's chromium)"
        if os.environ.get("ONEWINDOW_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " (ONEWINDOW_REQUIRE_SERVICES=1: this run must not skip it)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live OneWindow with the demo data (SQLite, in-process broker)."""
    data = tmp_path_factory.mktemp("portal")
    env = {"ONEWINDOW_DATA_DIR": str(data), "ONEWINDOW_DATABASE_URL": f"sqlite:///{data}/onewindow.db"}
    cli("migrate", env=env)
    cli("demo", "--declarations", str(DEMO_DECLARATIONS), env=env, timeout=600)
    server = Server(env=env, log=data / "server.log").start(timeout=60)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, portal: str) -> Iterator[Page]:
    """A fresh browser tab (its own cookies) at desktop size; ``phone_page`` for a phone's width."""
    context = browser.new_context(base_url=portal, viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def phone_page(browser: Browser, portal: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=portal, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_in(tab: Page, user_id: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, as a person would, and wait for the landing page."""
    tab.goto("/signin")
    tab.get_by_label(re.compile("用户名|User name")).fill(user_id)
    tab.get_by_label(re.compile("^(密码|Password)$")).fill(password)
    with tab.expect_navigation():
        tab.locator("form[action='/signin'] button[type=submit]").click()


def screenshot(tab: Page, name: str, full_page: bool = True) -> Path:
    """Save the page as ``test-artifacts/screenshots/<name>.png`` (kept as a test artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=full_page)
    return path
