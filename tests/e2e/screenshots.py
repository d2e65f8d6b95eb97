"""`make screenshots`: the main pages at desktop and phone width, light and dark, as PNGs in
docs/screenshots/ (shown in the README). Not part of the test suite (the file name does not
match test_*.py); `make screenshots` runs it on purpose:

    .venv/bin/python -m pytest tests/e2e/screenshots.py -p no:cacheprovider
"""

from pathlib import Path

import pytest

from tests.e2e.club import build_club
from tests.e2e.test_accessibility import settle

pytestmark = pytest.mark.e2e

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 780}}
# (file name, page name in Club.pages(), who looks at it)
SHOTS = [
    ("dashboard", "dashboard", "member"),
    ("meeting", "meeting", "member"),
    ("editor", "minutes editor", "member"),
    ("library", "library", "member"),
    ("rota", "rota", "organiser"),
    ("reading-list", "reading list", "visitor"),
]


@pytest.fixture
def club(transactional_db):
    return build_club()


def test_screenshots(club, new_context, sign_in):
    OUT.mkdir(parents=True, exist_ok=True)
    pages = club.pages()
    for theme in ("light", "dark"):
        for size_name, size in SIZES.items():
            for role in ("visitor", "member", "organiser"):
                shots = [shot for shot in SHOTS if shot[2] == role]
                if not shots:
                    continue
                context = new_context()
                page = context.new_page()
                page.set_viewport_size(size)
                page.emulate_media(color_scheme=theme)
                if role != "visitor":
                    sign_in(page, club.member if role == "member" else club.organiser)
                for file_name, page_name, _ in shots:
                    page.goto(pages[page_name])
                    settle(page)
                    path = OUT / f"{file_name}-{size_name}-{theme}.png"
                    page.screenshot(path=str(path), animations="disabled", caret="hide")
                context.close()
    written = sorted(OUT.glob("*.png"))
    assert len(written) >= len(SHOTS) * 4
