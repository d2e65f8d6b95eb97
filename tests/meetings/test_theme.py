"""The colour theme: kept on the member's account, in a cookie for a visitor; on <html> from the server."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

CSS = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()


def test_member_choice_is_kept_on_the_account_and_written_on_every_page(member_client, member):
    response = member_client.post("/accounts/theme/", {"theme": "dark", "next": "/library/"})

    assert (response.status_code, response["Location"]) == (302, "/library/")
    member.refresh_from_db()
    assert member.theme == "dark"
    html = member_client.get("/library/").content.decode()
    assert '<html lang="en" data-theme="dark">' in html
    assert '<meta name="color-scheme" content="dark">' in html
    assert '<button type="submit" name="theme" value="dark" aria-pressed="true">Dark</button>' in html


def test_visitor_choice_is_a_cookie_and_a_script_asks_for_no_redirect(client):
    response = client.post("/accounts/theme/", {"theme": "light"}, headers={"X-Theme-Fetch": "1"})

    assert response.status_code == 204
    assert response.cookies["theme"].value == "light"
    assert response.cookies["theme"]["samesite"] == "Lax"
    html = client.get("/").content.decode()
    assert '<html lang="en" data-theme="light">' in html


def test_theme_refuses_unknown_values_and_foreign_redirects(client):
    bad = client.post("/accounts/theme/", {"theme": "purple"})
    away = client.post("/accounts/theme/", {"theme": "dark", "next": "https://evil.example/"})
    cookie = client.cookies["theme"].value
    client.cookies["theme"] = "<script>"

    assert (bad.status_code, bad.content) == (400, b"Choose a theme: auto, light or dark.")
    assert (away.status_code, away["Location"]) == (302, "/")
    assert cookie == "dark"
    assert '<html lang="en" data-theme="auto">' in client.get("/").content.decode()


def _tokens(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", block))


def test_dark_tokens_chosen_and_from_the_system_are_the_same():
    chosen = CSS.split(':root[data-theme="dark"] {', 1)[1].split("}", 1)[0]
    system = CSS.split(':root:not([data-theme="light"]) {', 1)[1].split("}", 1)[0]
    light = CSS.split(":root {", 1)[1].split("}", 1)[0]

    assert _tokens(chosen) == _tokens(system)
    # Every colour the light theme defines has a dark value.
    colours = {name for name, value in _tokens(light).items() if value.startswith(("#", "rgb", "0 "))}
    assert colours <= set(_tokens(chosen))
