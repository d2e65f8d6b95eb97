"""An organiser generates a term's rota in a real browser: form → preview → confirm."""

from datetime import date

import pytest
from playwright.sync_api import expect

from meetings.models import Meeting, SkipDate, Unavailability
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e


def test_rota_generate_preview_confirm(page, live_server, series, organiser, sign_in):
    series.anchor_date = date(2027, 1, 4)
    series.save()
    pool = [UserFactory(username=f"p{n}", display_name=f"Person {n}") for n in range(1, 6)]
    series.speaker_pool.set(pool)
    SkipDate.objects.create(series=series, date=date(2027, 2, 15), reason="Reading week")
    SkipDate.objects.create(series=series, date=date(2027, 3, 29), reason="Easter")
    Unavailability.objects.create(user=pool[0], date=date(2027, 1, 4))
    sign_in(page, organiser)

    page.goto(series.get_absolute_url())
    page.get_by_role("link", name="Rota", exact=True).click()
    page.get_by_role("link", name="Generate a term").first.click()
    page.get_by_label("First date").fill("2027-01-04")
    page.get_by_label("Last date").fill("2027-05-24")
    expect(page.get_by_label("Person 3 (p3)")).to_be_checked()
    page.get_by_role("button", name="Preview the rota").click()

    rows = page.locator("table.term-preview tbody tr")
    expect(rows).to_have_count(11)
    expect(rows.nth(0)).to_contain_text("Person 2")
    expect(rows.nth(3)).to_contain_text("Reading week")
    expect(rows.nth(6)).to_contain_text("Easter")
    assert not Meeting.objects.filter(series=series).exists()

    page.get_by_role("button", name="Confirm and create 9 meetings").click()

    expect(page.locator(".message.success")).to_contain_text("9 meetings created")
    expect(page.locator("table.rota tbody tr")).to_have_count(9)
    expect(page.locator("table.rota tbody tr").first).to_contain_text("Person 2")
    assert Meeting.objects.filter(series=series).count() == 9
