"""Page weight: HTML compressed, static files fingerprinted and cached for years, KaTeX and the
editor's scripts only on pages that need them."""

import gzip

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

from meetings.services.minutes import minutes_save
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def test_pages_are_gzip_compressed_with_vary(client, series):
    response = client.get(series.get_absolute_url(), headers={"accept-encoding": "gzip, br"})

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert series.name.encode() in gzip.decompress(response.content)


def test_hashed_static_files_are_immutable_for_years_and_precompressed(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    url = static("css/site.css")
    assert url != "/static/css/site.css" and url.startswith("/static/css/site.")  # fingerprinted

    client = Client()  # a new handler: WhiteNoise reads the collected files when it starts
    hashed = client.get(url, headers={"accept-encoding": "gzip"})
    plain = client.get("/static/css/site.css")

    assert hashed.status_code == 200
    assert hashed["Cache-Control"] == "max-age=315360000, public, immutable"
    assert hashed["Content-Encoding"] in {"gzip", "br"}
    assert plain["Cache-Control"] == "max-age=3600, public"


def test_katex_and_editor_scripts_only_where_needed(member_client, series, member):
    plain = MeetingFactory(series=series, title="No maths here")
    maths = MeetingFactory(series=series, title="Maths")
    minutes_save(meeting=maths, kind="minutes", body="Energy: $E = mc^2$", base_revision=0, by=member)

    plain_html = member_client.get(plain.get_absolute_url()).content.decode()
    maths_html = member_client.get(maths.get_absolute_url()).content.decode()
    editor_html = member_client.get(f"{plain.get_absolute_url()}minutes/edit/").content.decode()

    for html in (plain_html, maths_html):
        assert '<script src="/static/vendor/katex/katex.min.js"' not in html
        assert 'katex.min.css">' not in html
        assert "js/editor.js" not in html
    # site.js fetches KaTeX itself when the page has maths: the address is there, the script is not.
    assert 'class="arithmatex"' in maths_html and 'class="arithmatex"' not in plain_html
    assert '<script src="/static/js/editor.js" defer></script>' in editor_html
