"""Ticking research items on the meeting page without a reload, in a real browser."""

import pytest
from playwright.sync_api import expect

from meetings.models import ResearchItem
from meetings.services import research
from tests.factories import MeetingFactory, local

pytestmark = pytest.mark.e2e


def test_research_tick_without_reload_then_board_and_history(page, live_server, series, member, sign_in):
    meeting = MeetingFactory(series=series, start=local(2020, 10, 12), title="Kick-off")
    later = MeetingFactory(series=series, start=local(2020, 10, 26), title="Second")
    research.research_items_add(meeting=meeting, text="what is a GAN @ada\nwhat is a CVAE", by=member)
    sign_in(page, member)
    page.goto(meeting.get_absolute_url())
    # A marker on the window survives only if the page is not reloaded.
    page.evaluate("window.__noReload = true")

    page.get_by_role("checkbox", name="Mark done: what is a GAN").click()

    expect(page.get_by_role("checkbox", name="Reopen: what is a GAN")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(page.locator(".research-item.status-done")).to_contain_text("ticked by Ada Lovelace")
    assert page.evaluate("window.__noReload") is True
    item = ResearchItem.objects.get(text="what is a GAN")
    assert (item.status, item.status_changed_by) == ("done", member)

    page.goto("/research/")
    expect(page.locator(".research-list")).to_contain_text("what is a CVAE")
    expect(page.locator(".research-list")).not_to_contain_text("what is a GAN")

    page.goto(later.get_absolute_url())
    carried = page.locator("#research")
    expect(carried).to_contain_text("Still open from earlier meetings")
    expect(carried).to_contain_text("what is a CVAE")
    expect(carried).to_contain_text("still open since 12 Oct 2020")

    page.goto(meeting.get_absolute_url())
    history = page.locator(f"#item-{item.pk} details.history")
    history.locator("summary").click()
    expect(history).to_contain_text("Ada Lovelace changed it from open to done")


def test_research_drop_needs_a_reason_and_shows_it_struck(page, live_server, series, member, sign_in):
    meeting = MeetingFactory(series=series, title="Kick-off")
    research.research_items_add(meeting=meeting, text="GW ML September rev.", by=member)
    sign_in(page, member)
    page.goto(meeting.get_absolute_url())

    page.get_by_role("link", name="Drop…").click()
    page.get_by_role("button", name="Drop it").click()  # the browser refuses an empty required field
    expect(page.get_by_role("heading", level=1)).to_contain_text("Drop")
    page.get_by_label("Reason").fill("same review from May 2020 that I already have")
    page.get_by_role("button", name="Drop it").click()

    expect(page.locator(".status-dropped del")).to_have_text("GW ML September rev.")
    expect(page.locator(".status-dropped .drop-reason")).to_have_text(
        "same review from May 2020 that I already have"
    )
