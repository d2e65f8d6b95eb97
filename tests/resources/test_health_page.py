"""The organisers' link-health page, the "Check now" button, check history and check_links."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from resources.models import LinkCheck, Mention, Resource
from resources.services.visibility import resources_visibility_refresh
from tests.factories import MeetingFactory, ResourceFactory, UserFactory
from tests.loopback import reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_only", "allow_loopback")]

HEALTH_URL = reverse("link-health")


def _checks(resource, outcome, count=1, **fields):
    now = timezone.now()
    for n in range(count):
        LinkCheck.objects.create(
            resource=resource, outcome=outcome, checked_at=now - timedelta(days=count - n), **fields
        )


@pytest.fixture
def problems(series):
    since = timezone.now() - timedelta(days=5)
    broken = ResourceFactory(
        title="Broken paper",
        url="https://gone.example/paper?id=1",
        health="broken",
        consecutive_failures=3,
        failing_since=since,
        last_checked_at=timezone.now(),
    )
    _checks(broken, "not_found", 3, status_code=404, error="HTTP 404")
    meeting = MeetingFactory(series=series, title="Week 3")
    Mention.objects.create(resource=broken, meeting=meeting, section="minutes")
    failing = ResourceFactory(
        title="Failing page", health="failing", consecutive_failures=1, failing_since=since
    )
    _checks(failing, "timeout", error="timed out: read timeout=20")
    blocked = ResourceFactory(title="Walled paper", health="warning")
    _checks(blocked, "blocked", status_code=403, error="HTTP 403: a bot check (challenge page)")
    moved = ResourceFactory(
        title="Moved post", health="healthy", permanent_redirect_url="https://new.example/post"
    )
    _checks(moved, "redirected", status_code=200, final_url="https://new.example/post")
    fine = ResourceFactory(title="Fine paper", health="healthy")
    _checks(fine, "ok", status_code=200)
    return {"broken": broken, "failing": failing, "blocked": blocked, "moved": moved, "fine": fine}


# --- Who may see it -------------------------------------------------------------------------


def test_link_health_page_sends_visitors_to_sign_in(client):
    response = client.get(HEALTH_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={HEALTH_URL}"


def test_link_health_page_is_refused_to_members(member_client, series):
    response = member_client.get(HEALTH_URL)

    assert response.status_code == 403


def test_link_health_page_is_open_to_staff(client, problems):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(HEALTH_URL)

    assert response.status_code == 200
    assert "Broken paper" in response.content.decode()


# --- What it shows --------------------------------------------------------------------------


def test_link_health_page_lists_broken_failing_blocked_and_redirected_links(organiser_client, problems):
    response = organiser_client.get(HEALTH_URL)

    html = response.content.decode()
    assert response.status_code == 200
    for title in ("Broken paper", "Failing page", "Walled paper", "Moved post"):
        assert title in html
    assert "Fine paper" not in html
    assert 'Not found (404/410)</strong> (HTTP 404) — <span class="error">HTTP 404</span>' in html
    assert "timed out: read timeout=20" in html
    assert "HTTP 403: a bot check (challenge page)" in html
    assert 'Moved permanently to <a class="url" href="https://new.example/post"' in html
    assert "3 failed checks in a row" in html
    assert "History (last 3 checks)" in html
    assert "IGR-data ML Club" in html and "(minutes)" in html
    # The archive link, for the broken link only.
    assert html.count("web.archive.org") == 1
    assert 'href="https://web.archive.org/web/*/https://gone.example/paper?id=1"' in html


@pytest.mark.parametrize(
    ("section", "shown"),
    [
        ("broken", "Broken paper"),
        ("failing", "Failing page"),
        ("blocked", "Walled paper"),
        ("redirected", "Moved post"),
    ],
)
def test_link_health_page_sections(organiser_client, problems, section, shown):
    response = organiser_client.get(HEALTH_URL, {"show": section})

    html = response.content.decode()
    titles = {"Broken paper", "Failing page", "Walled paper", "Moved post"}
    assert shown in html
    assert not [title for title in titles - {shown} if f"<strong>{title}</strong>" in html]
    assert f'href="{HEALTH_URL}?show={section}" aria-current="page"' in html


def test_link_health_page_counts_each_section(organiser_client, problems):
    html = organiser_client.get(HEALTH_URL).content.decode()

    assert 'All problems <span class="count-pill">4</span>' in html
    for label in ("Broken", "Failing", "Blocked", "Redirected"):
        assert f'{label} <span class="count-pill">1</span>' in html


def test_link_health_page_query_count_is_fixed_and_it_paginates(
    organiser_client, series, django_assert_max_num_queries
):
    meetings = [MeetingFactory(series=series) for _ in range(2)]
    for n in range(30):
        resource = ResourceFactory(title=f"Gone {n}", health="broken", consecutive_failures=4)
        _checks(resource, "not_found", 6, status_code=404, error="HTTP 404")
        for meeting in meetings:
            Mention.objects.create(resource=resource, meeting=meeting, section="agenda")

    with django_assert_max_num_queries(12):
        first = organiser_client.get(HEALTH_URL, {"show": "broken"})
    with django_assert_max_num_queries(12):
        second = organiser_client.get(HEALTH_URL, {"show": "broken", "page": 2})

    assert first.content.decode().count("History (last 5 checks)") == 25
    assert 'href="?show=broken&amp;page=2"' in first.content.decode()
    assert second.content.decode().count("History (last 5 checks)") == 5
    assert "Page 2 of 2" in second.content.decode()


# --- Check now ------------------------------------------------------------------------------


def test_check_now_checks_the_link_and_comes_back_with_a_message(
    member_client, server, django_capture_on_commit_callbacks
):
    server.routes["/paper"] = reply(404)
    resource = ResourceFactory(url=server.url("/paper"), arxiv_id="2401.00001")

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = member_client.post(reverse("resource-check", kwargs={"pk": resource.pk}))

    assert response.status_code == 302
    assert response["Location"] == resource.get_absolute_url()
    assert len(queued) == 1
    check = LinkCheck.objects.get(resource=resource)
    assert (check.outcome, check.status_code) == ("not_found", 404)
    page = member_client.get(response["Location"]).content.decode()
    assert "Checking the link now" in page
    assert "Not found (404/410)" in page


def test_check_now_pressed_again_within_a_minute_queues_nothing(
    member_client, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(last_checked_at=timezone.now() - timedelta(seconds=20))

    with django_capture_on_commit_callbacks() as queued:
        response = member_client.post(reverse("resource-check", kwargs={"pk": resource.pk}), follow=True)

    assert queued == []
    assert "checked less than a minute ago" in response.content.decode()


def test_check_now_returns_to_the_page_it_was_pressed_on(
    organiser_client, django_capture_on_commit_callbacks
):
    resource = ResourceFactory()
    back = f"{HEALTH_URL}?show=broken"

    with django_capture_on_commit_callbacks():
        same_site = organiser_client.post(
            reverse("resource-check", kwargs={"pk": resource.pk}), {"next": back}
        )
        elsewhere = organiser_client.post(
            reverse("resource-check", kwargs={"pk": resource.pk}), {"next": "https://evil.example/"}
        )

    assert same_site["Location"] == back
    assert elsewhere["Location"] == resource.get_absolute_url()


def test_check_now_is_post_only_and_for_members(client, member_client, django_capture_on_commit_callbacks):
    resource = ResourceFactory()
    url = reverse("resource-check", kwargs={"pk": resource.pk})

    with django_capture_on_commit_callbacks() as queued:
        as_get = member_client.get(url)
        client.logout()
        as_visitor = client.post(url)

    assert as_get.status_code == 405
    assert as_visitor.status_code in (302, 404)  # sign in, or not even visible to visitors
    assert queued == []


def test_resource_page_offers_check_now_and_shows_the_last_ten_checks(member_client):
    resource = ResourceFactory(health="failing")
    _checks(resource, "server_error", 12, status_code=503, error="HTTP 503")

    html = member_client.get(resource.get_absolute_url()).content.decode()

    assert f'action="{reverse("resource-check", kwargs={"pk": resource.pk})}"' in html
    assert "csrfmiddlewaretoken" in html
    assert "Link checks (last 10)" in html
    assert html.count("<td>Server error (5xx)</td>") == 10


def test_resource_page_hides_check_now_from_visitors(client, series, member):
    resource = ResourceFactory()
    Mention.objects.create(resource=resource, meeting=MeetingFactory(series=series), section="minutes")
    resources_visibility_refresh(resource_ids=[resource.pk])

    html = client.get(resource.get_absolute_url()).content.decode()

    assert resource.title in html
    assert "Check now" not in html


def test_fetched_title_and_description_are_escaped_on_output(member_client, server):
    server.routes["/post"] = reply(
        200,
        b"<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</title>"
        b'<meta name="description" content="&lt;img src=x onerror=alert(2)&gt;"></head></html>',
        {"Content-Type": "text/html"},
    )
    resource = ResourceFactory(url=server.url("/post"), title="")
    from resources.services import health

    health.linkchecks_run(resource_ids=[resource.pk], threads=1)

    resource.refresh_from_db()
    assert resource.title == "<script>alert(1)</script> & more"
    html = member_client.get(resource.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_library_filters_by_health(member_client, problems):
    html = member_client.get(reverse("library"), {"health": "broken"}).content.decode()

    assert "Broken paper" in html
    assert "Failing page" not in html and "Fine paper" not in html


def test_adding_a_resource_through_the_page_checks_its_link(
    member_client, settings, server, django_capture_on_commit_callbacks
):
    settings.LIBRARY_AUTO_FETCH = True
    server.routes["/post"] = reply(
        200, b"<html><head><title>A post about GANs</title></head></html>", {"Content-Type": "text/html"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("resource-add"),
            {"url": server.url("/post"), "title": "", "kind": "", "tags": "", "notes": ""},
        )

    resource = Resource.objects.get()
    assert response["Location"] == resource.get_absolute_url()
    assert (resource.health, resource.title, resource.metadata_state) == (
        "healthy",
        "A post about GANs",
        "done",
    )
    html = member_client.get(resource.get_absolute_url()).content.decode()
    assert '<span class="badge ok">healthy</span>' in html
    assert '<h1 class="url">A post about GANs</h1>' in html


# --- check_links ----------------------------------------------------------------------------


def test_check_links_sync_prints_outcomes_and_broken_links(server):
    server.routes["/ok"] = reply(200)
    ok = ResourceFactory(url=server.url("/ok"), arxiv_id="x")
    gone = ResourceFactory(
        url=server.url("/gone"),
        arxiv_id="y",
        health="failing",
        consecutive_failures=2,
        failing_since=timezone.now() - timedelta(days=4),
        last_checked_at=timezone.now() - timedelta(days=2),
    )
    out = StringIO()

    call_command("check_links", "--sync", "--threads", "1", stdout=out)

    text = out.getvalue()
    assert "Checking 2 links" in text
    assert "Checked 2 links in" in text
    assert "  OK                       1" in text
    assert "  Not found (404/410)      1" in text
    assert f"Broken links (1):\n  #{gone.pk} {gone.url} — HTTP 404" in text
    assert LinkCheck.objects.filter(resource=ok, outcome="ok").exists()


def test_check_links_queues_due_links_by_default_and_all_with_all(django_capture_on_commit_callbacks):
    ResourceFactory(url="https://a.example/1")
    ResourceFactory(url="https://b.example/2")
    ResourceFactory(url="https://a.example/3", health="healthy", last_checked_at=timezone.now())
    out = StringIO()

    with django_capture_on_commit_callbacks() as queued_stale:
        call_command("check_links", stdout=out)
    with django_capture_on_commit_callbacks() as nothing_due:
        call_command("check_links", "--stale", stdout=out)
    with django_capture_on_commit_callbacks() as queued_all:
        call_command("check_links", "--all", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        "Queued 2 link checks in 1 task(s).",
        "No links are due a check.",
        "Queued 3 link checks in 1 task(s).",
    ]
    assert (len(queued_stale), len(nothing_due), len(queued_all)) == (1, 0, 1)


def test_check_links_all_and_stale_exclude_each_other():
    with pytest.raises(CommandError):
        call_command("check_links", "--all", "--stale")
