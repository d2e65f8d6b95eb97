"""The favicon: an SVG in static/, linked from every page, served by WhiteNoise; /favicon.ico,
which browsers ask for anyway, redirects to it instead of logging a 404."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">')


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/accounts/login/", 200), ("/no-such-page/", 404)])
def test_pages_link_the_svg_favicon(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert ICON_LINK.findall(response.content.decode()) == ["/static/img/favicon.svg"]


def test_the_500_page_links_the_favicon_too(settings):
    html = (settings.BASE_DIR / "templates" / "500.html").read_text()

    assert ICON_LINK.findall(html) == ["/static/img/favicon.svg"]


def test_favicon_is_served_by_whitenoise_as_svg_and_favicon_ico_leads_to_it(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # a new handler: WhiteNoise reads the collected files when it starts

    (href,) = ICON_LINK.findall(client.get("/accounts/login/").content.decode())
    icon = client.get(href)
    ico = client.get("/favicon.ico")

    assert re.fullmatch(r"/static/img/favicon\.[0-9a-f]{12}\.svg", href)  # fingerprinted
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert icon["Cache-Control"] == "max-age=315360000, public, immutable"
    body = b"".join(icon.streaming_content)
    assert body.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"') and b"<script" not in body
    assert (ico.status_code, ico["Location"]) == (302, href)
    assert client.head("/favicon.ico").status_code == 302
    assert client.post("/favicon.ico").status_code == 405
