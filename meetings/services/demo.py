"""The demo club `make run` loads into an empty database: the two sample documents, imported."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from meetings.models import Series
from meetings.services.importer import markdown_import

User = get_user_model()

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
# (slug, file, import options): the club's minutes say "MONDAY 12th October" of 2020.
DEMO_DOCUMENTS = [
    ("ml-club", "ml-club-minutes.md", {"year": 2020}),
    (
        "dl-hackathon",
        "hackathon-sessions.md",
        {"series_name": "Deep Learning Hackathon (University of Arizona)"},
    ),
]


def demo_load(*, organiser) -> Series | None:
    """Import the sample documents as two demo series; does nothing if any series exists."""
    if Series.objects.exists():
        return None
    with transaction.atomic():
        ada, _ = User.objects.get_or_create(
            username="ada", defaults={"display_name": "Ada Lovelace", "email": "ada@example.org"}
        )
        alan, _ = User.objects.get_or_create(
            username="alan", defaults={"display_name": "Alan Turing", "email": "alan@example.org"}
        )
        for slug, filename, options in DEMO_DOCUMENTS:
            text = (DEMO_DIR / filename).read_text(encoding="utf-8")
            markdown_import(documents=[(filename, text)], series_slug=slug, by=organiser, **options)
            series = Series.objects.get(slug=slug)
            series.members.add(*{organiser, ada, alan})
    return Series.objects.get(slug=DEMO_DOCUMENTS[0][0])
