"""The minutes editor in a real browser: saves that merge themselves, the conflict view, drafts
per member, the leave warning, the toolbar, tabs on phones, raising research items, keyboard use."""

import re

import pytest
from playwright.sync_api import expect

from meetings.models import Minutes, ResearchItem
from meetings.services.minutes import minutes_save
from tests.e2e.test_minutes_journey import DRAFT_STORED, body_field, editor_url, expect_saved_page, save
from tests.factories import MeetingFactory

pytestmark = pytest.mark.e2e

BASE = "## Attendance\n\nSix of us.\n\n## Discussion\n\nWe read the PPO paper.\n\n## Next time\n\nSAC.\n"
# Which element has focus, and whether the focus ring shows on it (outline or box shadow).
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
    || style.boxShadow !== "none";
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
  return {tag: el.tagName.toLowerCase(), text, ring};
}"""


@pytest.fixture
def meeting(series):
    return MeetingFactory(series=series, title="Proximal policy optimisation")


def stored(meeting):
    return Minutes.objects.get(meeting=meeting, kind=Minutes.Kind.MINUTES)


def edit(page, text):
    expect(page.locator("#minutes-form[data-editor-ready]")).to_have_count(1)
    body_field(page).fill(text)
    key = page.locator("#minutes-form").get_attribute("data-draft-key")
    page.wait_for_function(DRAFT_STORED, arg=[key, text])


def open_editor(new_context, sign_in, user, meeting):
    page = sign_in(new_context().new_page(), user)
    page.goto(editor_url(meeting))
    return page


def test_two_members_editing_different_paragraphs_both_save_then_same_line_keep_both(
    new_context, live_server, meeting, series, member, other_member, organiser, sign_in
):
    series.members.add(other_member)
    minutes_save(meeting=meeting, kind="minutes", body=BASE, base_revision=0, by=organiser)
    ada = open_editor(new_context, sign_in, member, meeting)
    alan = open_editor(new_context, sign_in, other_member, meeting)
    ada_text = BASE.replace("Six of us.", "Six of us, and two guests from the physics group.")
    alan_text = BASE.replace("SAC.", "SAC, presented by Alan.")

    edit(ada, ada_text)
    save(ada)
    expect_saved_page(ada, meeting, 2)
    edit(alan, alan_text)
    save(alan)

    # Different paragraphs: Alan's save merged with Ada's, no conflict view, and he is told.
    expect_saved_page(alan, meeting, 3)
    expect(alan.locator(".messages")).to_contain_text("Merged with Ada Lovelace's change at")
    expect(alan.locator("#conflict")).to_have_count(0)
    both = BASE.replace("Six of us.", "Six of us, and two guests from the physics group.").replace(
        "SAC.", "SAC, presented by Alan."
    )
    assert (stored(meeting).body, stored(meeting).revision) == (both, 3)
    rendered = alan.locator("#minutes .markdown")
    expect(rendered).to_contain_text("two guests from the physics group")
    expect(rendered).to_contain_text("presented by Alan")

    # Now both change the same line.
    ada.goto(editor_url(meeting))
    alan.goto(editor_url(meeting))
    ada_line = both.replace("We read the PPO paper.", "We read the PPO paper and liked the clipping.")
    alan_line = both.replace("We read the PPO paper.", "We read the PPO paper twice.")
    edit(ada, ada_line)
    save(ada)
    expect_saved_page(ada, meeting, 4)
    edit(alan, alan_line)
    save(alan)

    conflict = alan.locator("#conflict")
    expect(conflict.locator("#conflict-heading")).to_contain_text("Your edit overlaps Ada Lovelace's change")
    hunk = alan.locator("#hunk-0")
    expect(hunk).to_be_focused()  # focus moved to the first conflict
    expect(hunk.locator(".mine pre")).to_have_text("We read the PPO paper twice.\n")
    expect(hunk.locator(".theirs pre")).to_have_text("We read the PPO paper and liked the clipping.\n")
    # No keystroke lost: the editor holds my text; the preview shows my text, not theirs.
    expect(body_field(alan)).to_have_value(alan_line)
    expect(alan.locator("#preview")).to_contain_text("We read the PPO paper twice.")
    expect(alan.locator("#preview")).not_to_contain_text("liked the clipping")
    assert stored(meeting).body == ada_line

    hunk.get_by_role("button", name="Keep both").click()

    kept = both.replace(
        "We read the PPO paper.\n",
        "We read the PPO paper twice.\nWe read the PPO paper and liked the clipping.\n",
    )
    expect(body_field(alan)).to_have_value(kept)
    expect(hunk.get_by_role("button", name="Keep both")).to_have_attribute("aria-pressed", "true")
    expect(alan.locator("#preview")).to_contain_text("liked the clipping")
    save(alan)

    expect_saved_page(alan, meeting, 5)
    minutes = stored(meeting)
    assert (minutes.body, minutes.revision, minutes.updated_by) == (kept, 5, other_member)


def test_conflict_keep_theirs_then_mine_never_replaces_hand_edits(
    page, live_server, meeting, member, other_member, sign_in
):
    minutes_save(meeting=meeting, kind="minutes", body="a\nshared line\nz\n", base_revision=0, by=member)
    sign_in(page, member)
    page.goto(editor_url(meeting))
    minutes_save(meeting=meeting, kind="minutes", body="a\ntheir line\nz\n", base_revision=1, by=other_member)
    edit(page, "a\nmy line\nz\n")
    save(page)
    hunk = page.locator("#hunk-0")

    hunk.get_by_role("button", name="Keep theirs").click()
    expect(body_field(page)).to_have_value("a\ntheir line\nz\n")
    hunk.get_by_role("button", name="Keep mine").click()
    expect(body_field(page)).to_have_value("a\nmy line\nz\n")
    edit(page, "a\nmy line, edited by hand\nz\n")
    hunk.get_by_role("button", name="Keep theirs").click()

    expect(body_field(page)).to_have_value("a\nmy line, edited by hand\nz\n")
    expect(hunk.get_by_role("status")).to_have_text(
        "You have changed these lines in the editor: copy what you need by hand."
    )


def test_draft_is_never_offered_to_the_next_member_and_is_forgotten_at_sign_out(
    context, live_server, meeting, series, member, other_member, sign_in
):
    series.members.add(other_member)
    page = sign_in(context.new_page(), member)
    page.goto(editor_url(meeting))
    edit(page, "Ada's private half-written notes.\n")
    # An old-style key (meeting only) from before drafts named the member.
    page.evaluate(
        "(key) => localStorage.setItem(key, JSON.stringify({body: 'old', base: 0, savedAt: ''}))",
        f"clubsite:draft:{meeting.pk}:minutes",
    )
    page.goto(meeting.get_absolute_url())
    assert page.evaluate("(key) => localStorage.getItem(key)", f"clubsite:draft:{meeting.pk}:minutes") is None

    # Alan signs in on the same browser, without Ada signing out: he is not offered her text.
    page.context.clear_cookies()
    sign_in(page, other_member)
    page.goto(editor_url(meeting))
    expect(page.locator("#minutes-form")).to_be_visible()
    expect(page.locator("#draft-offer")).to_be_hidden()
    expect(body_field(page)).to_have_value("")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    assert (
        page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('clubsite:draft:'))") == []
    )


def test_leaving_with_unsaved_text_asks_first(page, live_server, meeting, member, sign_in):
    sign_in(page, member)
    page.goto(editor_url(meeting))
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))

    # Browsers ask only on a page the person has interacted with: type for real.
    body_field(page).click()
    page.keyboard.type("Not saved yet.\n")
    page.get_by_role("link", name="Back to the meeting").click()

    expect(page).to_have_url(re.compile(re.escape(editor_url(meeting)) + "$"))
    assert asked == ["beforeunload"]
    expect(body_field(page)).to_have_value("Not saved yet.\n")
    save(page)  # saving is not leaving: no question
    expect_saved_page(page, meeting, 1)
    assert asked == ["beforeunload"]


def test_toolbar_works_from_the_keyboard_and_the_textarea_grows(page, live_server, meeting, member, sign_in):
    sign_in(page, member)
    page.goto(editor_url(meeting))
    field = body_field(page)
    start_height = field.bounding_box()["height"]
    field.fill("loss")
    field.evaluate("(el) => el.setSelectionRange(0, 4)")
    field.press("Control+b")
    expect(field).to_have_value("**loss**")

    toolbar = page.get_by_role("toolbar", name="Formatting")
    toolbar.get_by_role("button", name="Bold").focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Italic")).to_be_focused()
    page.keyboard.press("End")
    expect(toolbar.get_by_role("button", name="To research")).to_be_focused()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Maths")).to_be_focused()
    field.evaluate("(el) => el.setSelectionRange(el.value.length, el.value.length)")
    toolbar.get_by_role("button", name="Maths").press("Enter")
    expect(field).to_have_value("**loss**$E = mc^2$")
    expect(page.locator("#preview .katex")).to_have_count(1)

    field.fill("\n".join(f"line {n}" for n in range(60)))
    page.wait_for_function(
        "(h) => document.querySelector('#minutes-form textarea').offsetHeight > h * 2", arg=start_height
    )
    assert field.evaluate("(el) => el.scrollHeight <= el.clientHeight + 4")


def test_research_items_raised_from_the_editor_keep_the_text(page, live_server, meeting, member, sign_in):
    sign_in(page, member)
    page.goto(editor_url(meeting))
    edit(page, "Notes in progress.\n")

    page.get_by_role("button", name="To research").click()
    panel = page.get_by_role("region", name="Raise research items")
    lines = panel.get_by_label("Items, one per line")
    expect(lines).to_be_focused()
    lines.fill("what is GAE @ada\n@nobody-here read this")
    panel.get_by_role("button", name="Raise them").click()
    expect(panel.get_by_role("alert")).to_contain_text("Line 2: nobody is called @nobody-here.")
    expect(panel.get_by_label("Items, one per line")).to_have_value(
        "what is GAE @ada\n@nobody-here read this"
    )
    panel.get_by_label("Items, one per line").fill("what is GAE @ada\nread the TRPO paper")
    panel.get_by_role("button", name="Raise them").click()

    expect(panel.get_by_role("status")).to_contain_text("Raised 2 research items")
    expect(body_field(page)).to_have_value("Notes in progress.\n")
    items = list(
        ResearchItem.objects.filter(meeting=meeting).order_by("position").values_list("text", "assignee")
    )
    assert items == [("what is GAE", member.pk), ("read the TRPO paper", None)]
    # The hint shows the syntax that really raises research items.
    expect(page.locator("#md-help")).to_contain_text("read the GAN paper @ada")


def test_phone_has_write_and_preview_tabs_and_save_always_in_reach(
    page, live_server, meeting, member, sign_in
):
    page.set_viewport_size({"width": 390, "height": 760})
    sign_in(page, member)
    page.goto(editor_url(meeting))
    tabs = page.get_by_role("tablist", name="Write or preview")
    expect(tabs).to_be_visible()
    edit(page, "\n".join(f"Paragraph {n}: $x_{n}$\n" for n in range(40)))

    # However long the text, Save is on screen.
    save_button = page.get_by_role("button", name="Save minutes")
    expect(save_button).to_be_in_viewport()
    page.mouse.wheel(0, 2000)
    expect(save_button).to_be_in_viewport()

    tabs.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview")).to_be_visible()
    expect(body_field(page)).to_be_hidden()
    expect(page.locator("#preview")).to_contain_text("Paragraph 39")
    page.keyboard.press("ArrowLeft")
    expect(tabs.get_by_role("tab", name="Write")).to_be_focused()
    expect(body_field(page)).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(tabs).to_be_hidden()
    expect(page.locator("#preview")).to_be_visible()
    expect(body_field(page)).to_be_visible()


def tab_through(page, limit=80) -> list[dict]:
    """Press Tab until focus leaves the page; every stop must show a focus ring."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_RING)
        if focus is None:
            break
        assert focus["ring"], f"no visible focus on {focus}"
        seen.append(focus)
    return seen


def test_keyboard_only_meeting_page_and_editor_with_visible_focus(
    page, live_server, meeting, member, sign_in
):
    from meetings.services import research

    research.research_items_add(meeting=meeting, text="what is a GAN", by=member)
    sign_in(page, member)
    page.goto(meeting.get_absolute_url())

    # Tick the research item from the keyboard: focus stays on it.
    page.get_by_role("checkbox", name="Mark done: what is a GAN").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("checkbox", name="Reopen: what is a GAN")).to_be_focused()
    assert ResearchItem.objects.get(text="what is a GAN").status == "done"

    # Open the editor, write, format and save without the mouse.
    page.get_by_role("link", name="Write minutes").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(editor_url(meeting)) + "$"))
    body_field(page).focus()
    page.keyboard.type("We met and read GANs.")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Control+i")
    expect(body_field(page)).to_have_value("_We met and read GANs._")
    stops = [stop["text"] for stop in tab_through(page)]
    assert "Save minutes" in stops and "Back to the meeting" in stops
    page.get_by_role("button", name="Save minutes").focus()
    page.keyboard.press("Enter")
    expect_saved_page(page, meeting, 1)
    assert stored(meeting).body == "_We met and read GANs._"

    # Every stop on the meeting page shows where focus is, and the page's actions are reachable.
    page.locator("#main").focus()
    stops = [stop["text"] for stop in tab_through(page)]
    for action in ("Edit minutes", "Write post-meeting recap", "History (1)", "Add", "Drop…"):
        assert any(text.startswith(action) for text in stops), (action, stops)
