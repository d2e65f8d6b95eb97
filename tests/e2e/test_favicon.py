"""In Chromium: the pages load their favicon and nothing the browser asks for fails, so the
console shows no error (a missing /favicon.ico used to log a 404 on every page)."""

import pytest

pytestmark = pytest.mark.e2e


def test_pages_load_the_favicon_with_no_console_error_or_failed_request(
    page, live_server, series, member, sign_in
):
    errors, failed, icons = [], [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response", lambda response: response.status >= 400 and failed.append((response.status, response.url))
    )
    page.on("requestfailed", lambda request: failed.append((request.failure, request.url)))

    page.goto("/")
    icons.append(page.evaluate("() => document.querySelector('link[rel=icon]').href"))
    sign_in(page, member)
    page.goto(f"/series/{series.slug}/")
    page.goto("/library/")
    icon = page.request.get(icons[0])
    ico = page.request.get("/favicon.ico")

    assert icons == [f"{live_server.url}/static/img/favicon.svg"]
    assert (icon.status, icon.headers["content-type"]) == (200, "image/svg+xml")
    assert (ico.status, ico.url) == (200, icons[0])  # redirected to the SVG
    assert icon.body().startswith(b"<svg")
    assert (errors, failed) == ([], [])
