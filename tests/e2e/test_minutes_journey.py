"""Writing minutes in a real browser: preview, save, conflicts, drafts, history, sanitising."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from meetings.models import Minutes, MinutesRevision
from meetings.services.minutes import minutes_save
from tests.factories import MeetingFactory, TalkFactory

pytestmark = pytest.mark.e2e

PAPER_URL = "https://arxiv.org/abs/1707.08567"

JOURNEY_MINUTES = f"""## Discussion

We read [the PPO paper]({PAPER_URL}) and compared it with TRPO.

| Method | Year |
| --- | --- |
| TRPO | 2015 |
| PPO | 2017 |

Energy: $E = mc^2$
"""

XSS_MINUTES = """Payload check

<script>window.__xss=1</script>

<img src=x onerror="window.__xss=2">

[click](javascript:window.__xss=3)

</textarea><script>window.__xss=4</script>

Maths link: $\\href{javascript:window.__xss=5}{x}$
"""

# Every anchor whose URL the browser would run as script, however the href was spelt.
JAVASCRIPT_LINKS = """(selector) => Array.from(document.querySelectorAll(selector))
    .filter((a) => a.protocol === "javascript:").length"""

DRAFT_STORED = """([key, body]) => {
    const draft = JSON.parse(window.localStorage.getItem(key) || "null");
    return draft !== null && draft.body === body;
}"""


@pytest.fixture
def meeting(series, organiser):
    meeting = MeetingFactory(series=series, title="Proximal policy optimisation")
    TalkFactory(meeting=meeting, speaker=organiser, title="PPO in practice")
    return meeting


def hhmm():
    """The time of the latest save as the page shows it (series in London)."""
    latest = MinutesRevision.objects.order_by("-created_at").first()
    return latest.created_at.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")


def editor_url(meeting):
    return f"/series/{meeting.series.slug}/meetings/{meeting.pk}/minutes/edit/"


def draft_key(meeting, user):
    """Drafts are kept per member and meeting."""
    return f"clubsite:draft:{user.pk}:{meeting.pk}:minutes"


def body_field(page):
    return page.locator("#minutes-form textarea[name=body]")


def save(page):
    page.get_by_role("button", name="Save minutes").click()


def type_minutes(page, meeting, text):
    """Type into the editor and wait until the browser has kept the draft."""
    expect(page.locator("#minutes-form[data-editor-ready]")).to_have_count(1)
    body_field(page).fill(text)
    key = page.locator("#minutes-form").get_attribute("data-draft-key")
    assert key.endswith(f":{meeting.pk}:minutes")
    page.wait_for_function(DRAFT_STORED, arg=[key, text])


def stored_minutes(meeting):
    return Minutes.objects.get(meeting=meeting, kind=Minutes.Kind.MINUTES)


def expect_saved_page(page, meeting, revision):
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/\?saved=minutes#minutes$"))
    expect(page.locator(".messages")).to_contain_text(f"Minutes saved (revision {revision}).")


def assert_no_script_reached(page, scope):
    """Nothing from the minutes can run: no script, no handler, no javascript: link."""
    assert page.locator(f"{scope} script").count() == 0
    assert page.locator(f"{scope} [onerror]").count() == 0
    assert page.locator("[onerror], [onload], [onclick]").count() == 0
    assert page.evaluate(JAVASCRIPT_LINKS, "a[href]") == 0
    assert page.evaluate("() => typeof window.__xss") == "undefined"


def test_minutes_journey_write_preview_save_and_render(page, live_server, meeting, member, sign_in):
    sign_in(page, member)
    next_meeting = page.get_by_role("region", name="Next meetings")
    expect(next_meeting).to_contain_text("Grace Hopper")

    next_meeting.get_by_role("link", name="Proximal policy optimisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proximal policy optimisation")
    expect(page.locator("#minutes")).to_contain_text("No minutes yet.")
    page.get_by_role("link", name="Write minutes", exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(editor_url(meeting)) + "$"))
    expect(page.locator("#minutes-form")).to_contain_text("Editing from revision 0.")
    type_minutes(page, meeting, JOURNEY_MINUTES)

    preview = page.locator("#preview")
    expect(preview.locator("table")).to_contain_text("TRPO")
    expect(preview.locator("table td")).to_have_text(["TRPO", "2015", "PPO", "2017"])
    expect(preview.locator(f'a[href="{PAPER_URL}"]')).to_have_text("the PPO paper")
    expect(preview.locator(".katex")).to_have_count(1)
    expect(preview.locator(".katex-mathml annotation")).to_have_text("E = mc^2")

    save(page)

    expect_saved_page(page, meeting, 1)
    rendered = page.locator("#minutes .markdown")
    expect(rendered.locator(f'a[href="{PAPER_URL}"]')).to_have_text("the PPO paper")
    expect(rendered.locator("table td")).to_have_text(["TRPO", "2015", "PPO", "2017"])
    expect(rendered.locator(".katex")).to_have_count(1)
    expect(page.locator("#minutes")).to_contain_text("by Ada Lovelace")
    # The stored text is no longer an unsaved draft.
    assert page.evaluate("(key) => window.localStorage.getItem(key)", draft_key(meeting, member)) is None

    minutes = stored_minutes(meeting)
    assert minutes.revision == 1
    assert minutes.body == JOURNEY_MINUTES
    assert minutes.updated_by == member
    revisions = list(MinutesRevision.objects.filter(minutes=minutes).values_list("number", "author", "body"))
    assert revisions == [(1, member.pk, JOURNEY_MINUTES)]


def test_minutes_draft_after_closed_tab_is_offered_back_and_saved(
    context, live_server, meeting, member, sign_in
):
    page = sign_in(context.new_page(), member)
    page.goto(editor_url(meeting))
    draft = "Notes typed before the tab was closed.\n\n- [ ] read the GAE paper\n"
    type_minutes(page, meeting, draft)
    page.close()

    page = context.new_page()
    page.goto(editor_url(meeting))

    offer = page.locator("#draft-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("You have an unsaved draft of this document")
    expect(body_field(page)).to_have_value("")
    offer.get_by_role("button", name="Restore my draft").click()
    expect(offer).to_be_hidden()
    expect(body_field(page)).to_have_value(draft)
    expect(page.locator("#preview")).to_contain_text("Notes typed before the tab was closed.")
    save(page)

    expect_saved_page(page, meeting, 1)
    expect(page.locator("#minutes .markdown")).to_contain_text("read the GAE paper")
    minutes = stored_minutes(meeting)
    assert (minutes.revision, minutes.body, minutes.updated_by) == (1, draft, member)
    assert page.evaluate("(key) => window.localStorage.getItem(key)", draft_key(meeting, member)) is None


def test_minutes_draft_discarded_is_not_offered_again(context, live_server, meeting, member, sign_in):
    page = sign_in(context.new_page(), member)
    page.goto(editor_url(meeting))
    type_minutes(page, meeting, "A false start.\n")
    page.close()
    page = context.new_page()
    page.goto(editor_url(meeting))

    page.locator("#draft-offer").get_by_role("button", name="Discard it").click()

    expect(page.locator("#draft-offer")).to_be_hidden()
    expect(body_field(page)).to_have_value("")
    assert page.evaluate("(key) => window.localStorage.getItem(key)", draft_key(meeting, member)) is None
    page.reload()
    expect(page.locator("#minutes-form")).to_contain_text("Editing from revision 0.")
    expect(page.locator("#draft-offer")).to_be_hidden()
    assert not Minutes.objects.filter(meeting=meeting, revision__gt=0).exists()


def test_minutes_restored_draft_older_than_saved_text_shows_conflict(
    context, live_server, meeting, series, member, other_member, sign_in
):
    page = sign_in(context.new_page(), member)
    page.goto(editor_url(meeting))
    draft = "Ada's notes, never saved.\n"
    type_minutes(page, meeting, draft)
    page.close()
    # Meanwhile someone else saves the first revision.
    minutes_save(meeting=meeting, kind="minutes", body="Alan's notes.\n", base_revision=0, by=other_member)

    page = context.new_page()
    page.goto(editor_url(meeting))
    expect(page.locator("#minutes-form")).to_contain_text("Editing from revision 1.")
    page.locator("#draft-offer").get_by_role("button", name="Restore my draft").click()
    expect(body_field(page)).to_have_value(draft)
    save(page)

    expect(page.locator("#conflict-heading")).to_have_text(
        "Your edit overlaps Alan Turing's change at " + hhmm()
    )
    expect(body_field(page)).to_have_value(draft)
    expect(page.locator("#hunk-0 .mine pre")).to_have_text(draft)
    expect(page.locator("#hunk-0 .theirs pre")).to_have_text("Alan's notes.\n")
    expect(page.locator("#hunk-0")).to_be_focused()
    minutes = stored_minutes(meeting)
    assert (minutes.revision, minutes.body) == (1, "Alan's notes.\n")


def test_minutes_save_after_session_expired_signs_in_and_offers_draft(
    page, live_server, meeting, member, sign_in
):
    sign_in(page, member)
    page.goto(editor_url(meeting))
    text = "Written while the session quietly expired.\n\n| a | b |\n| - | - |\n| 1 | 2 |\n"
    type_minutes(page, meeting, text)
    Session.objects.all().delete()

    save(page)

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(editor_url(meeting)) + "$"))
    assert not Minutes.objects.filter(meeting=meeting, revision__gt=0).exists()
    sign_in(page, member, goto=False)
    expect(page).to_have_url(re.compile(re.escape(editor_url(meeting)) + "$"))
    offer = page.locator("#draft-offer")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Restore my draft").click()
    expect(body_field(page)).to_have_value(text)
    save(page)

    expect_saved_page(page, meeting, 1)
    expect(page.locator("#minutes .markdown table td")).to_have_text(["1", "2"])
    minutes = stored_minutes(meeting)
    assert (minutes.revision, minutes.body, minutes.updated_by) == (1, text, member)


def test_minutes_save_after_session_expired_in_members_only_series_signs_in(
    page, live_server, private_series, member, sign_in
):
    meeting = MeetingFactory(series=private_series, title="Closed session")
    sign_in(page, member)
    page.goto(editor_url(meeting))
    text = "Members-only notes.\n"
    type_minutes(page, meeting, text)
    Session.objects.all().delete()

    with page.expect_navigation():
        save(page)

    assert page.title() != "Not Found", "the save answered 404, the draft is only in this browser"
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=" + re.escape(editor_url(meeting)) + "$"))
    sign_in(page, member, goto=False)
    page.locator("#draft-offer").get_by_role("button", name="Restore my draft").click()
    save(page)
    expect_saved_page(page, meeting, 1)
    assert stored_minutes(meeting).body == text


def test_minutes_history_lists_compares_and_restores(page, live_server, meeting, member, sign_in):
    first = "Attendance: 6\n\nWe chose PPO.\n"
    second = "Attendance: 6\n\nWe chose SAC instead.\n"
    sign_in(page, member)
    for revision, text in enumerate((first, second), start=1):
        page.goto(editor_url(meeting))
        type_minutes(page, meeting, text)
        save(page)
        expect_saved_page(page, meeting, revision)

    page.locator("#minutes").get_by_role("link", name="History (2)").click()

    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    # Columns: old, new, revision, author, saved, note, restore.
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("2 current")
    expect(rows.nth(0).locator("td").nth(3)).to_have_text("Ada Lovelace")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("1")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("Ada Lovelace")

    page.get_by_role("button", name="Compare").click()

    expect(page.get_by_role("heading", name="Revision 1 → revision 2")).to_be_visible()
    expect(page.locator(".diff .del")).to_have_text(["-We chose PPO."])
    expect(page.locator(".diff .add")).to_have_text(["+We chose SAC instead."])

    rows.nth(1).get_by_role("button", name="Restore").click()

    expect(page.locator(".messages")).to_contain_text("Revision 1 restored as revision 3.")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("3 current")
    expect(rows.nth(0).locator("td").nth(5)).to_have_text("Restored revision 1")
    minutes = stored_minutes(meeting)
    assert (minutes.revision, minutes.body) == (3, first)
    restored = MinutesRevision.objects.get(minutes=minutes, number=3)
    assert (restored.body, restored.author, restored.note) == (first, member, "Restored revision 1")

    page.get_by_role("link", name="Back to the meeting").click()
    expect(page.locator("#minutes .markdown")).to_contain_text("We chose PPO.")
    expect(page.locator("#minutes .markdown")).not_to_contain_text("SAC")
    expect(page.locator("#minutes").get_by_role("link", name="History (3)")).to_be_visible()


def test_minutes_scripts_handlers_and_javascript_links_never_reach_the_page(
    page, live_server, meeting, member, sign_in
):
    sign_in(page, member)
    page.goto(editor_url(meeting))
    type_minutes(page, meeting, XSS_MINUTES)

    preview = page.locator("#preview")
    expect(preview).to_contain_text("Payload check")
    expect(preview.get_by_text("click", exact=True)).to_be_visible()
    expect(preview.locator(".katex, .katex-error")).to_have_count(1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#preview img')].every((img) => img.complete)"
    )
    assert_no_script_reached(page, "#preview")

    save(page)

    expect_saved_page(page, meeting, 1)
    page.wait_for_load_state("load")  # after every image has loaded or failed
    rendered = page.locator("#minutes .markdown")
    expect(rendered).to_contain_text("Payload check")
    expect(rendered.get_by_text("click", exact=True)).to_be_visible()
    assert_no_script_reached(page, "#minutes .markdown")
    minutes = stored_minutes(meeting)
    assert minutes.body == XSS_MINUTES
    for forbidden in ("<script", "onerror", 'href="javascript', "__xss=1", "__xss=2", "__xss=4"):
        assert forbidden not in minutes.body_html

    # The raw text goes back into the editor as text, not markup.
    page.goto(editor_url(meeting))
    page.wait_for_load_state("load")
    expect(body_field(page)).to_have_value(XSS_MINUTES)
    assert_no_script_reached(page, "#preview")


def test_minutes_editor_keeps_leading_blank_line(page, live_server, meeting, member, sign_in):
    body = "\n# Notes\n\nStarted with a blank line.\n"
    minutes_save(meeting=meeting, kind="minutes", body=body, base_revision=0, by=member)
    sign_in(page, member)

    page.goto(editor_url(meeting))
    with page.expect_navigation():
        save(page)

    assert page.locator(".messages").inner_text().strip() == "No changes to save."
    minutes = stored_minutes(meeting)
    assert (minutes.revision, minutes.body) == (1, body)
