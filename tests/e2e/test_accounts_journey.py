"""Signing in and out through the real forms, in a real browser."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def nav(page):
    return page.get_by_role("navigation", name="Main")


def test_sign_in_from_nav_shows_name_then_sign_out_shows_sign_in(page, live_server, member, sign_in):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to clubsite")
    expect(nav(page).get_by_role("link", name="Ada Lovelace")).to_have_count(0)

    nav(page).get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    sign_in(page, member, goto=False)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Lovelace")
    expect(nav(page).get_by_role("link", name="Ada Lovelace")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Sign in")).to_have_count(0)
    assert Session.objects.count() == 1

    nav(page).get_by_role("button", name="Sign out").click()

    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Ada Lovelace")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to clubsite")
    assert Session.objects.count() == 0


def test_sign_in_wrong_password_stays_signed_out(page, live_server, member):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill(PASSWORD + " but wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    assert Session.objects.count() == 0
