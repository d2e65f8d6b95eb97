"""Browser fixtures: one headless Debian Chromium per run, a fresh context (own cookies and
localStorage) per test, and signing in through the real login form."""

import os

# Playwright's sync API runs an event loop in this thread; without this Django's ORM
# refuses to run in the test body (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
import shutil
import warnings

import pytest
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, built with SECURE_SSL_REDIRECT off.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the server thread builds its
    handler, so the override is needed only while the server starts (DEBUG is off in tests,
    and the live server speaks plain HTTP). pytest-django's `_live_server_helper` still
    requests the transactional database for every test that uses this fixture.
    """
    addr = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False), warnings.catch_warnings():
        # WhiteNoise looks for collectstatic's output; the live server serves static/ itself.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _plain_http_cookies(settings):
    # Secure cookies would not be sent back over the live server's plain HTTP.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's Chromium is not installed (no `chromium` on PATH); apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every page reports what its Content-Security-Policy refused, as a console error the fixture
# collects (the browser itself logs "Refused to ..." for most, not all, kinds of violation).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


def is_csp_violation(message) -> bool:
    text = message.text
    return message.type == "error" and (text.startswith("CSP violation") or text.startswith("Refused to"))


@pytest.fixture
def new_context(browser, live_server):
    """Open browser contexts (separate cookies and localStorage), all closed after the test.

    A test fails if any page broke the Content-Security-Policy (issue 13): the site's own pages
    must work with it on, so a violation is a bug in a template or a script.
    """
    contexts, violations = [], []

    def open_context():
        context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on(
            "console", lambda message: violations.append(message.text) if is_csp_violation(message) else None
        )
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(dict.fromkeys(violations)))


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def sign_in():
    """Sign a user in through the login form; returns the page, on wherever login redirected."""

    def sign_in(page, user, *, goto: bool = True):
        if goto:
            page.goto("/accounts/login/")
        expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name=user.name)
        ).to_be_visible()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        return page

    return sign_in
