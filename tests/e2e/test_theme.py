"""Switching to dark from the header menu: at once, remembered for the member in any browser."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_theme_menu_switches_at_once_and_is_remembered_per_member(
    new_context, live_server, member, sign_in, db
):
    page = sign_in(new_context().new_page(), member)
    page.goto("/library/")
    page.evaluate("window.__noReload = true")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")

    menu = page.locator("details.theme-menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="Dark").click()

    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(menu.locator("button[value=dark]")).to_have_attribute("aria-pressed", "true")
    expect(menu).not_to_have_attribute("open", "")
    assert page.evaluate("window.__noReload") is True
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") != background
    member.refresh_from_db()
    assert member.theme == "dark"

    elsewhere = sign_in(new_context().new_page(), member)
    expect(elsewhere.locator("html")).to_have_attribute("data-theme", "dark")
