"""Page weight: the compressed bytes a browser fetches for the main pages (HTML, CSS, JavaScript).

    .venv/bin/python benchmarks/page_weight.py

Loads the demo club into a fresh SQLite database in a temporary directory, adds a meeting whose
minutes have maths, and fetches each page as the organiser with Django's test client. For every
page it prints the HTML as sent (compressed when the site compresses it) and the CSS and
JavaScript the page loads, each gzip-compressed as WhiteNoise serves them; KaTeX counts wherever
the page makes the browser load it (a <script> tag, or site.js fetching it for a page with maths).
Fonts and images are left out. It prints figures; it asserts nothing.
"""

import gzip
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")
os.environ.setdefault("SECRET_KEY", "benchmarks-only-not-a-secret")
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="page-weight-")
os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['VAR_DIR']}/weight.sqlite3"
os.environ["LIBRARY_AUTO_FETCH"] = "false"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"

import django  # noqa: E402 (after the environment it reads)

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="stylesheet"[^>]*\shref)="([^"]+)"')
KATEX = ("vendor/katex/katex.min.js", "vendor/katex/katex.min.css", "js/math.js")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def static_size(url: str) -> int:
    path = finders.find(url.removeprefix(settings.STATIC_URL if url.startswith("/") else "").lstrip("/"))
    if path is None:
        path = finders.find(url.split("/static/", 1)[-1])
    return gz(Path(path).read_bytes()) if path else 0


def main() -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from meetings.models import Meeting, Series
    from meetings.services.demo import demo_load
    from meetings.services.minutes import minutes_save

    organiser = get_user_model().objects.create_user("grace", password="x", display_name="Grace Hopper")
    demo_load(organiser=organiser)
    series = Series.objects.get(slug="ml-club")
    series.organisers.add(organiser)
    maths = Meeting.objects.filter(series=series).order_by("start").first()
    plain = Meeting.objects.filter(series__slug="dl-hackathon").order_by("start").first()
    doc = maths.documents.filter(kind="minutes").first()
    minutes_save(
        meeting=maths,
        kind="minutes",
        body="The objective: $L(\\theta) = \\mathbb{E}[r_t(\\theta) A_t]$.\n",
        base_revision=doc.revision if doc else 0,
        by=organiser,
    )
    client = Client()
    client.force_login(organiser)
    pages = {
        "dashboard": "/",
        "series": series.get_absolute_url(),
        "meeting, no maths": plain.get_absolute_url(),
        "meeting with maths": maths.get_absolute_url(),
        "minutes editor": f"{maths.get_absolute_url()}minutes/edit/",
        "library": "/library/",
        "research board": "/research/",
    }
    print(f"{'page':<22}{'HTML sent':>10}{'CSS':>8}{'JS':>8}{'total':>8}   (KB)")
    for name, url in pages.items():
        response = client.get(url, headers={"accept-encoding": "gzip"})
        body = response.content
        html = gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body
        text = html.decode()
        assets = set(ASSET.findall(text))
        if 'class="arithmatex"' in text and "data-katex-js" in text:
            assets.update(f"{settings.STATIC_URL}{path}" for path in KATEX)
        css = sum(static_size(a) for a in assets if a.endswith(".css"))
        js = sum(static_size(a) for a in assets if a.endswith(".js"))
        sent = len(body)
        print(
            f"{name:<22}{sent / 1024:>10.1f}{css / 1024:>8.1f}{js / 1024:>8.1f}"
            f"{(sent + css + js) / 1024:>8.1f}"
        )


if __name__ == "__main__":
    main()
