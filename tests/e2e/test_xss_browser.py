"""A sample of the stored-XSS corpus in Chromium: nothing runs, with the CSP on or off.

SAMPLE vectors of tests/security/xss_vectors.txt (spread over its categories) are saved in the
minutes, agenda, a research item, a talk title, the series description, a resource's title and
notes, a reading list's name and note, and a suggestion's pitch and comment; the five pages
that show them are opened in Chromium. Every vector calls alert/confirm/prompt or sets
window.__xss, so a dialog or the marker means script ran. The pages are opened twice: with
the Content-Security-Policy bypassed (the sanitiser and the templates' escaping alone must
hold) and with it on (the fixture then also fails on any CSP violation, which would mean
something got past the sanitiser). The browser never leaves the live server: any other
request (the vectors' images and evil.example) is aborted and counted.
"""

import pytest
from django.urls import reverse

from meetings.models import Meeting
from meetings.services import queue
from meetings.services.minutes import minutes_save
from meetings.services.research import research_items_add
from meetings.services.series import meeting_save, series_save
from resources.models import ReadingList
from resources.services.library import resource_add
from resources.services.readinglists import readinglist_add, readinglist_note, readinglist_save
from tests.e2e.conftest import REPORT_CSP_VIOLATIONS, is_csp_violation
from tests.factories import TalkFactory, local
from tests.security.test_stored_xss import VECTORS, packed

pytestmark = pytest.mark.e2e

SAMPLE = VECTORS[:: max(1, len(VECTORS) // 20)][:20]
# Set before the page's own scripts run: a vector that assigns window.__xss changes it.
MARKER = "window.__xss = undefined; window.__dialogs = 0;"
# What a vector's handler might wait for: focus, hover, animation, an image failing.
SETTLE_MS = 600


def _markdown(vectors):
    return "\n\n".join(vectors)


@pytest.fixture
def hostile_pages(series, organiser, member, settings):
    """Five pages holding the sample, by name."""
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 1000
    body = _markdown(SAMPLE)
    series.description = body
    series_save(series=series, by=organiser)
    meeting = meeting_save(
        meeting=Meeting(series=series, start=local(2031, 3, 3), title=packed(300)[0], agenda=body),
        by=organiser,
    )
    minutes_save(meeting=meeting, kind="minutes", body=body, base_revision=0, by=member)
    for vector in SAMPLE[:5]:
        research_items_add(meeting=meeting, text=" ".join(vector.split()), by=member)
    for title in packed(300)[:3]:
        TalkFactory(meeting=meeting, speaker=member, title=title)
    resource, _ = resource_add(
        url="https://example.org/hostile", by=member, title=" ".join(SAMPLE[0].split()), notes=body
    )
    reading_list = readinglist_save(
        reading_list=ReadingList(title=packed(200)[0], description=body, series=series, is_public=True),
        by=member,
    )
    readinglist_note(item=readinglist_add(reading_list=reading_list, resource=resource, by=member), note=body)
    suggestion = queue.suggestion_create(
        series=series, url="https://example.org/queued", by=member, pitch=body
    ).suggestion
    queue.suggestion_comment_add(suggestion=suggestion, by=member, body=body)
    return {
        "meeting": reverse("meeting-detail", kwargs={"slug": series.slug, "pk": meeting.pk}),
        "series": reverse("series-detail", kwargs={"slug": series.slug}),
        "resource": reverse("resource-detail", kwargs={"pk": resource.pk}),
        "reading list": reverse("readinglist-detail", kwargs={"pk": reading_list.pk}),
        "suggestion": reverse("suggestion-detail", kwargs={"slug": series.slug, "pk": suggestion.pk}),
    }


def _open_all(context, live_server, pages, sign_in=None, user=None):
    """Open every page; returns what ran (dialogs, markers) and how many requests were aborted."""
    ran, aborted = [], []

    def only_the_live_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            aborted.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_live_server)
    context.add_init_script(MARKER)
    page = context.new_page()

    def on_dialog(dialog):
        ran.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    if sign_in is not None:
        sign_in(page, user)
    for name, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, (name, response.status)
        page.wait_for_load_state("load")
        page.mouse.move(200, 300)
        page.keyboard.press("Tab")
        page.wait_for_timeout(SETTLE_MS)
        if (marker := page.evaluate("() => window.__xss")) is not None:
            ran.append(f"{name}: window.__xss = {marker}")
        assert page.locator("main").count() == 1, name  # the page rendered
    page.close()
    return ran, aborted


def test_sample_runs_nothing_with_the_csp_bypassed(browser, live_server, hostile_pages, member, sign_in):
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    try:
        ran, _aborted = _open_all(context, live_server, hostile_pages, sign_in, member)
    finally:
        context.close()

    assert ran == []
    assert len(SAMPLE) == 20


def test_sample_runs_nothing_with_the_csp_on(context, live_server, hostile_pages, member, sign_in):
    ran, _aborted = _open_all(context, live_server, hostile_pages, sign_in, member)

    assert ran == []  # and the fixture fails the test on any CSP violation


def test_violation_check_and_markers_can_fail(browser, live_server, hostile_pages):
    """The hooks above would see script run: an injected inline script is refused and reported,
    and with the CSP bypassed it runs, opens a dialog and sets the marker."""
    for bypass in (False, True):
        context = browser.new_context(base_url=live_server.url, bypass_csp=bypass)
        violations, dialogs = [], []
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.add_init_script(MARKER)
        context.on("console", lambda m, v=violations: v.append(m.text) if is_csp_violation(m) else None)
        page = context.new_page()
        page.on("dialog", lambda d, found=dialogs: (found.append(d.message), d.dismiss()))
        page.goto(hostile_pages["series"])
        page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.__xss = 1; alert('ran')"; document.body.append(s); }"""
        )
        page.wait_for_timeout(SETTLE_MS)
        marker = page.evaluate("() => window.__xss")
        context.close()
        if bypass:
            assert (dialogs, marker, violations) == (["ran"], 1, [])
        else:
            assert (dialogs, marker) == ([], None)
            assert any("script-src" in v for v in violations), violations
