"""Real-browser tests: Playwright (pip) drives Debian's Chromium against ``live_server``.

Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py. A test asks for
``page`` (or ``new_page`` for several people at once), logs someone in through the portal's own
form with ``log_in`` and reads the page as a person would::

    pytestmark = pytest.mark.django_db(transaction=True)

    def test_the_operator_sees_the_portal(page, world, screenshot):
        log_in(page, world.operator)
        expect(page.locator("#content")).to_contain_text("...")
        screenshot(page, "portal", width=800)

``page`` comes with pytest-django's ``live_server`` (a real server thread; the test's data has
to be committed for it to see, hence ``transaction=True``), its ``base_url`` pointing there, so
``page.goto("/admin/...")`` works. Each page has its own browser context (cookies, storage): an
Indonesian browser in Ambon, locale ``id-ID``, zone ``Asia/Jayapura``, 1280x800.

The fixtures: ``page``; ``new_page(**context_options)`` for more people at once; ``browser``,
the session's one Chromium (launched once, ~2 s) handed to a test; ``screenshot``. The helper
``log_in(page, user)`` and Playwright's ``expect`` are imported from this module.

Chromium is Debian's (``apt-get install chromium``); Playwright's own browser download is never
used. Without it, or without the playwright package, a browser test skips on a laptop and fails
under ``CI=true``, where a skip would hide that nothing was tested.

Screenshots go to ``$CC112_SCREENSHOTS`` when set (kept; open them after the run), else to the
test's ``tmp_path``. A browser test that fails leaves a screenshot of each of its pages there.
One that passes still fails if a page threw a script error or a static file (stylesheet, script,
font) did not load: the page a person saw was broken.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from django.db import connections

from tests.factories import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # reported by the fixtures: skipped on a laptop, failed in CI
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONTEXT_DEFAULTS: dict[str, Any] = {
    "locale": "id-ID",
    "timezone_id": "Asia/Jayapura",
    "viewport": {"width": 1280, "height": 800},
}
# How long a step (a click, a wait for text) may take before the test fails; Playwright's own
# 30 s would only make a broken test slow.
TIMEOUT_MS = 10_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    """Skip on a laptop; under CI=true, fail: a skipped browser test there tests nothing."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


class _Chromium:
    """One Chromium for the session, and the event loop Playwright's sync API runs it on."""

    def __init__(self) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            _unavailable(f"needs the playwright package ({error}): run `make install`")
        if not os.access(CHROMIUM, os.X_OK):
            _unavailable(
                f"needs Debian's Chromium at {CHROMIUM}: "
                "apt-get install -y --no-install-recommends chromium"
            )
        self.playwright = sync_playwright().start()
        self.loop = asyncio.get_running_loop()
        try:
            self.browser = self.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        except BaseException:
            self.playwright.stop()
            raise
        finally:
            self.idle()

    def idle(self) -> None:
        # Between its calls, Playwright's sync API leaves its event loop marked as running in
        # this thread. Outside browser tests nothing may see it: Django would refuse the ORM
        # ("async context") and asyncio.run() would refuse to start.
        asyncio._set_running_loop(None)

    def resume(self) -> None:
        # ... and the loop's own code needs the mark back before the next call.
        asyncio._set_running_loop(self.loop)

    def close(self) -> None:
        self.resume()
        try:
            self.browser.close()
        finally:
            self.playwright.stop()
            self.idle()


@pytest.fixture(scope="session")
def _chromium() -> Iterator[_Chromium]:
    chromium = _Chromium()
    yield chromium
    chromium.close()


@pytest.fixture
def browser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """The session's Chromium, for one test.

    While the test runs, Playwright's loop is marked as running in this thread, which Django
    takes for async code: its check for ORM calls from async code is off for the test
    (DJANGO_ALLOW_ASYNC_UNSAFE; the test's ORM calls are plain synchronous code, the server
    answers from its own thread), and the test keeps its one database connection, which Django
    would otherwise open anew for "async" code and never close. (So no async_to_sync in a
    browser test's body, nor ORM calls in Playwright's event handlers.)
    """
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium: _Chromium = request.getfixturevalue("_chromium")
    synchronous = {alias: connections[alias] for alias in connections}
    chromium.resume()
    for alias, connection in synchronous.items():
        connections[alias] = connection
    try:
        yield chromium.browser
    finally:
        chromium.idle()


@pytest.fixture
def _screenshot_dir(tmp_path: Path) -> Path:
    chosen = os.environ.get("CC112_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _file_name(request: pytest.FixtureRequest, name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{request.node.name}--{name}").strip("-") + ".png"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, _screenshot_dir: Path) -> Callable[..., Path]:
    """``screenshot(page, "case-list", width=800)``: the whole page as a PNG, its path returned.

    ``width`` resizes the viewport for the shot (and back); the file is named after the test.
    """

    def take(page: Page, name: str, *, width: int | None = None, full_page: bool = True) -> Path:
        path = _screenshot_dir / _file_name(request, name)
        size = page.viewport_size
        if width and size and width != size["width"]:
            page.set_viewport_size({"width": width, "height": size["height"]})
            try:
                page.screenshot(path=str(path), full_page=full_page)
            finally:
                page.set_viewport_size(size)
        else:
            page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any, _screenshot_dir: Path
) -> Iterator[Callable[..., Page]]:
    """``new_page(**context_options)``: a page in a fresh browser context, i.e. another person
    at another computer (an operator and the board's screen side by side). Options override
    the defaults (``viewport``, ``locale``, ``timezone_id``, ...)."""
    contexts = []
    problems: list[str] = []

    def make(**options: Any) -> Page:
        context = browser.new_context(base_url=live_server.url, **{**CONTEXT_DEFAULTS, **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.on("weberror", lambda error: problems.append(f"script error: {error.error}"))
        context.on("response", lambda response: _check_static(response, problems))
        contexts.append(context)
        return context.new_page()

    yield make

    report = getattr(request.node, "_cc112_call_report", None)
    try:
        if report is not None and report.passed and problems:
            pytest.fail(
                "the test passed, but its pages were broken:\n" + "\n".join(problems),
                pytrace=False,
            )
        if report is not None and report.failed:
            for number, context in enumerate(contexts, start=1):
                for index, page in enumerate(context.pages, start=1):
                    path = _screenshot_dir / _file_name(request, f"failed-{number}-{index}")
                    try:
                        page.screenshot(path=str(path), full_page=True)
                        print(f"screenshot of the failed test's page {page.url}: {path}")
                    except Exception as error:  # the page may be what broke
                        print(f"no screenshot of {page.url}: {error}")
    finally:
        for context in contexts:
            context.close()


def _check_static(response: Any, problems: list[str]) -> None:
    """A stylesheet, script, font or image the portal ships that did not load."""
    if response.status >= 400 and "/static/" in response.url:
        problems.append(f"{response.status} for {response.url}")


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A page in a fresh context with the defaults (id-ID, Asia/Jayapura, 1280x800)."""
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep the outcome of the test's body where ``new_page``'s teardown can read it."""
    report = yield
    if report.when == "call":
        item._cc112_call_report = report  # type: ignore[attr-defined]
    return report


def log_in(page: Page, user: Any, password: str = PASSWORD, *, next_url: str = "") -> None:
    """Log ``user`` in through the portal's login form, as a person types it.

    Whoever was logged in on this page's context before is logged out first (its cookies
    go). Waits until the form has been sent: Django then redirects to ``next_url``, or to the
    portal's index, which sends each person on to their home (the board, an agency's inbox); if
    the portal answered with the form again, fails with what it said.
    """
    page.context.clear_cookies()
    page.goto("/admin/login/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    form = page.locator("#login-form")
    form.locator("[name=username]").fill(user.get_username())
    form.locator("[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    if "/admin/login/" in page.url:
        said = " ".join(page.locator("body").inner_text().split())[:300]
        raise AssertionError(f"{user.get_username()} could not log in at {page.url}: {said}")
