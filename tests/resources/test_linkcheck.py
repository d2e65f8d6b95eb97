"""Link checks (resources.services.health) against real local servers, and the health rules."""

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from resources.models import HostThrottle, LinkCheck, Resource
from resources.services import health, throttle
from resources.services.pagehead import page_head_parse
from resources.tasks import health as health_tasks
from tests.factories import ResourceFactory
from tests.loopback import (
    Server,
    huge_body,
    reply,
    reset_on_head,
    slow,
    together,
    trickle,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_only", "allow_loopback")]


T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def check(url, **kwargs):
    """link_check with the retry sleeps recorded instead of slept."""
    sleeps: list[float] = []
    result = health.link_check(url=url, sleep=sleeps.append, **kwargs)
    return result, sleeps


def sequence(*routes):
    """A route that answers with the next of ``routes`` on each request (the last one repeats)."""
    calls = iter(routes)
    current = [routes[-1]]

    def route(handler):
        current[0] = next(calls, current[0])
        current[0](handler)

    return route


def methods(server_, path):
    return [m for m, p, _h, _t in server_.log if p == path]


# --- One outcome per case -------------------------------------------------------------------


def test_link_check_ok_asks_with_head_only(server):
    server.routes["/paper"] = reply(200, b"never sent to HEAD")

    result, sleeps = check(server.url("/paper"))

    assert (result.outcome, result.status_code, result.method) == ("ok", 200, "HEAD")
    assert result.final_url == server.url("/paper")
    assert result.redirects == [] and result.error == "" and sleeps == []
    assert isinstance(result.elapsed_ms, int) and result.elapsed_ms >= 0
    assert result.checked_at is not None
    assert methods(server, "/paper") == ["HEAD"]


def test_link_check_head_refused_falls_back_to_get(server):
    server.routes["/paper"] = reply(200, b"<html></html>", head_status=405)

    result, _ = check(server.url("/paper"))

    assert (result.outcome, result.status_code, result.method) == ("ok", 200, "GET")
    assert methods(server, "/paper") == ["HEAD", "GET"]


def test_link_check_head_connection_reset_falls_back_to_get(server):
    server.routes["/paper"] = reset_on_head()

    result, _ = check(server.url("/paper"))

    assert (result.outcome, result.method) == ("ok", "GET")
    assert methods(server, "/paper") == ["HEAD", "GET"]


def test_link_check_head_timeout_is_retried_but_never_followed_by_get(settings, server):
    settings.LINKCHECK_READ_TIMEOUT = 0.2
    server.routes["/slow"] = slow(2)

    result, sleeps = check(server.url("/slow"))

    assert result.outcome == "timeout"
    assert result.attempts == 3
    assert sleeps == [1.0, 2.0]
    assert methods(server, "/slow") == ["HEAD", "HEAD", "HEAD"]
    assert "after 3 attempts" in result.error


@pytest.mark.parametrize(
    ("status", "outcome"), [(404, "not_found"), (410, "not_found"), (401, "blocked"), (403, "blocked")]
)
def test_link_check_http_errors(server, status, outcome):
    server.routes["/x"] = reply(status)

    result, sleeps = check(server.url("/x"))

    assert (result.outcome, result.status_code) == (outcome, status)
    assert result.error == f"HTTP {status}"
    assert sleeps == []
    # HEAD refused with an error: GET gets its chance before the verdict.
    assert methods(server, "/x") == ["HEAD", "GET"]


@pytest.mark.parametrize("status", [403, 503])
def test_link_check_bot_wall_is_blocked_not_an_error(server, status):
    wall = b"<html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>"
    server.routes["/paper"] = reply(status, wall, {"cf-mitigated": "challenge", "Content-Type": "text/html"})

    result, sleeps = check(server.url("/paper"))

    assert result.outcome == "blocked"
    assert "bot check" in result.error
    assert sleeps == []


def test_link_check_permanent_redirect_chain_is_flagged(server):
    server.routes["/old"] = reply(301, headers={"Location": "/older"})
    server.routes["/older"] = reply(308, headers={"Location": "/new"})
    server.routes["/new"] = reply(200)

    result, _ = check(server.url("/old"))

    assert (result.outcome, result.status_code) == ("redirected", 200)
    assert result.final_url == server.url("/new")
    assert result.redirects == [
        {"status": 301, "url": server.url("/older")},
        {"status": 308, "url": server.url("/new")},
    ]
    assert result.permanent_redirect is True
    assert result.permanent_url == server.url("/new")


def test_link_check_temporary_redirect_chain_is_not_permanent(server):
    server.routes["/a"] = reply(302, headers={"Location": "/b"})
    server.routes["/b"] = reply(307, headers={"Location": "/c"})
    server.routes["/c"] = reply(200)

    result, _ = check(server.url("/a"))

    assert result.outcome == "redirected"
    assert [hop["status"] for hop in result.redirects] == [302, 307]
    assert (result.permanent_redirect, result.permanent_url) == (False, "")


def test_link_check_permanent_then_temporary_offers_the_permanent_target(server):
    server.routes["/a"] = reply(301, headers={"Location": "/b"})
    server.routes["/b"] = reply(302, headers={"Location": "/login"})
    server.routes["/login"] = reply(200)

    result, _ = check(server.url("/a"))

    assert (result.permanent_redirect, result.permanent_url) == (True, server.url("/b"))


def test_link_check_redirect_loop(server):
    server.routes["/a"] = reply(302, headers={"Location": "/b"})
    server.routes["/b"] = reply(302, headers={"Location": "/a"})

    result, sleeps = check(server.url("/a"))

    assert result.outcome == "redirect_loop"
    assert len(result.redirects) == 2
    assert sleeps == []


def test_link_check_cookie_setting_redirect_is_ok(server):
    def page(handler):
        if "consent=yes" in handler.headers.get("Cookie", ""):
            reply(200)(handler)
        else:
            reply(302, headers={"Location": "/article", "Set-Cookie": "consent=yes; Path=/"})(handler)

    server.routes["/article"] = page

    first, _ = check(server.url("/article"))
    # The next check starts without the cookie again.
    second, _ = check(server.url("/article"))

    assert first.outcome == second.outcome == "ok"
    assert first.redirects == [{"status": 302, "url": server.url("/article")}]
    assert len(second.redirects) == 1


def test_link_check_1_gb_body_is_streamed_and_never_read_whole(server):
    server.routes["/dataset.bin"] = huge_body(server)

    result, _ = check(server.url("/dataset.bin"))

    assert (result.outcome, result.method, result.status_code) == ("ok", "GET", 200)
    for _ in range(50):
        if server.sent["/dataset.bin"]:
            break
        time.sleep(0.05)
    assert server.sent["/dataset.bin"] < 64 * 1024 * 1024


def test_link_check_429_with_a_short_retry_after_waits_and_retries(server):
    server.routes["/api"] = sequence(reply(429, headers={"Retry-After": "3"}), reply(200))
    deferred = []

    result, sleeps = check(server.url("/api"), defer=lambda host, seconds: deferred.append((host, seconds)))

    assert result.outcome == "ok"
    assert sleeps == [3.0]
    assert deferred == [("127.0.0.1", 3.0)]


def test_link_check_honours_retry_after_up_to_the_cap(server):
    server.routes["/api"] = sequence(reply(429, headers={"Retry-After": "60"}), reply(200))

    result, sleeps = check(server.url("/api"))

    assert result.outcome == "ok"
    assert sleeps == [60.0]  # asked to wait the full minute, not less


def test_link_check_429_with_a_long_retry_after_is_left_for_the_next_run(server):
    server.routes["/api"] = reply(429, headers={"Retry-After": "3600"})
    deferred = []

    result, sleeps = check(server.url("/api"), defer=lambda host, seconds: deferred.append((host, seconds)))

    assert result.outcome == "rate_limited"
    assert result.retry_after == 3600.0
    assert sleeps == []
    assert deferred == [("127.0.0.1", 3600.0)]
    assert "next run" in result.error
    assert methods(server, "/api") == ["HEAD"]


def test_link_check_429_without_retry_after_backs_off_then_records_rate_limited(server):
    server.routes["/api"] = reply(429)

    result, sleeps = check(server.url("/api"))

    assert result.outcome == "rate_limited"
    assert sleeps == [1.0, 2.0]


def test_retry_after_as_an_http_date():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert health.retry_after_seconds("Mon, 02 Mar 2026 12:00:30 GMT", now=now) == 30.0
    assert health.retry_after_seconds("soon", now=now) is None


def test_link_check_flaky_503_succeeds_on_the_third_attempt(server):
    server.routes["/flaky"] = sequence(reply(503), reply(503), reply(200))

    result, sleeps = check(server.url("/flaky"))

    assert result.outcome == "ok"
    assert result.attempts == 3
    assert sleeps == [1.0, 2.0]
    assert methods(server, "/flaky") == ["HEAD", "HEAD", "HEAD"]


def test_link_check_503_with_retry_after_waits_as_asked(server):
    server.routes["/busy"] = sequence(reply(503, headers={"Retry-After": "7"}), reply(200))

    result, sleeps = check(server.url("/busy"))

    assert result.outcome == "ok"
    assert sleeps == [7.0]


def test_link_check_persistent_server_error(server):
    server.routes["/down"] = reply(500)

    result, sleeps = check(server.url("/down"))

    assert (result.outcome, result.status_code) == ("server_error", 500)
    assert sleeps == [1.0, 2.0]


def test_link_check_redirect_to_a_private_address_is_ssrf_blocked(server, loopback_only):
    server.routes["/go"] = reply(302, headers={"Location": "http://10.0.0.1/admin"})

    result, sleeps = check(server.url("/go"))

    assert result.outcome == "ssrf_blocked"
    assert result.redirects == [{"status": 302, "url": "http://10.0.0.1/admin"}]
    assert "10.0.0.1" not in loopback_only
    assert sleeps == []


def test_link_check_self_signed_tls(tls_server):
    result, sleeps = check(tls_server.url("/", host="localhost"))

    assert result.outcome == "tls_error"
    assert sleeps == []


def test_link_check_unknown_host(loopback_only):
    result, sleeps = check("https://no-such-journal.invalid/article/1")

    assert result.outcome == "dns_error"
    assert sleeps == []
    assert loopback_only == []


def test_link_check_connection_refused(server):
    port = server.port
    server.close()

    result, sleeps = check(f"http://127.0.0.1:{port}/")

    assert result.outcome == "connection_error"
    assert "refused" in result.error
    assert sleeps == []


def test_link_check_unsupported_and_excluded_links_make_no_request(settings, loopback_only):
    settings.LINKCHECK_EXCLUDED_HOSTS = ["example.com"]

    unsupported, _ = check("ftp://ftp.example.org/pub/paper.ps")
    excluded, _ = check("https://docs.example.com/page")

    assert unsupported.outcome == "unsupported"
    assert excluded.outcome == "excluded"
    assert loopback_only == []


# --- The health summary ---------------------------------------------------------------------


def result(outcome, **fields):
    return health.CheckResult(url="https://example.org/p", outcome=outcome, **fields)


def record(resource, outcome, when, **fields):
    health.health_record(resource=resource, result=result(outcome, checked_at=when, **fields), now=when)
    resource.refresh_from_db()
    return resource


def test_health_is_unknown_before_any_check():
    assert ResourceFactory().health == "unknown"


def test_health_broken_only_after_three_failures_three_days_apart():
    resource = ResourceFactory()

    assert record(resource, "not_found", T0).health == "failing"
    assert record(resource, "not_found", T0 + timedelta(days=1)).health == "failing"
    # Three failures, but within two days: one bad weekend is not a broken link.
    assert record(resource, "not_found", T0 + timedelta(days=2)).health == "failing"
    assert record(resource, "not_found", T0 + timedelta(days=3)).health == "broken"
    assert resource.consecutive_failures == 4
    assert resource.failing_since == T0


def test_health_broken_at_the_third_failure_when_they_span_three_days():
    resource = ResourceFactory()
    record(resource, "dns_error", T0)
    record(resource, "timeout", T0 + timedelta(days=1, hours=12))

    assert record(resource, "not_found", T0 + timedelta(days=3)).health == "broken"
    assert resource.is_broken


def test_health_single_transient_failure_is_a_warning():
    resource = ResourceFactory()

    assert record(resource, "timeout", T0).health == "warning"
    assert record(resource, "server_error", T0 + timedelta(days=1)).health == "failing"


def test_health_blocked_and_rate_limited_never_make_a_link_broken():
    resource = ResourceFactory()
    for day in range(20):
        record(resource, "blocked" if day % 2 else "rate_limited", T0 + timedelta(days=day))

    assert resource.health == "warning"
    assert resource.consecutive_failures == 0
    assert resource.failing_since is None


def test_health_blocked_between_failures_neither_counts_nor_resets():
    resource = ResourceFactory()
    record(resource, "not_found", T0)
    record(resource, "not_found", T0 + timedelta(days=1))
    assert record(resource, "blocked", T0 + timedelta(days=2)).health == "failing"

    assert record(resource, "not_found", T0 + timedelta(days=3)).health == "broken"
    assert resource.consecutive_failures == 3


def test_health_any_success_resets_the_count():
    resource = ResourceFactory()
    record(resource, "not_found", T0)
    record(resource, "not_found", T0 + timedelta(days=2))
    assert record(resource, "redirected", T0 + timedelta(days=3)).health == "healthy"
    assert (resource.consecutive_failures, resource.failing_since) == (0, None)

    record(resource, "not_found", T0 + timedelta(days=4))
    record(resource, "not_found", T0 + timedelta(days=5))
    assert record(resource, "not_found", T0 + timedelta(days=6)).health == "failing"


def test_health_excluded_link_is_unknown():
    resource = ResourceFactory()
    record(resource, "not_found", T0)

    assert record(resource, "excluded", T0 + timedelta(days=1)).health == "unknown"


def test_health_record_of_a_task_delivered_twice_saves_one_check():
    # Two copies of one task (asked for at T0) both checked the link; the second finds the
    # first's check, newer than T0, under the row lock and saves nothing.
    resource = ResourceFactory(last_checked_at=T0 - timedelta(days=8))
    first = health.health_record(
        resource=resource, result=result("ok", checked_at=T0 + timedelta(seconds=1)), since=T0
    )
    again = health.health_record(
        resource=Resource.objects.get(pk=resource.pk),
        result=result("timeout", checked_at=T0 + timedelta(seconds=2)),
        since=T0,
    )

    assert first is not None and again is None
    assert list(LinkCheck.objects.values_list("outcome", flat=True)) == ["ok"]
    resource.refresh_from_db()
    assert (resource.health, resource.last_checked_at) == ("healthy", T0 + timedelta(seconds=1))


def test_health_record_saves_the_check_and_schedules_the_next():
    resource = ResourceFactory()
    hops = [{"status": 301, "url": "https://example.org/new"}]

    health.health_record(
        resource=resource,
        result=result(
            "redirected",
            checked_at=T0,
            status_code=200,
            final_url="https://example.org/new",
            redirects=hops,
            permanent_redirect=True,
            permanent_url="https://example.org/new",
            method="HEAD",
            elapsed_ms=123,
        ),
        now=T0,
    )

    check = LinkCheck.objects.get(resource=resource)
    assert (check.outcome, check.status_code, check.final_url, check.redirects) == (
        "redirected",
        200,
        "https://example.org/new",
        hops,
    )
    assert (check.permanent_redirect, check.method, check.elapsed_ms, check.checked_at) == (
        True,
        "HEAD",
        123,
        T0,
    )
    resource.refresh_from_db()
    assert resource.health == "healthy"
    assert resource.permanent_redirect_url == "https://example.org/new"
    assert resource.last_checked_at == T0
    assert resource.next_check_at == T0 + timedelta(days=7)

    record(resource, "ok", T0 + timedelta(days=7))
    assert resource.permanent_redirect_url == ""
    record(resource, "not_found", T0 + timedelta(days=14))
    assert resource.next_check_at == T0 + timedelta(days=14, hours=24)
    record(resource, "rate_limited", T0 + timedelta(days=15), retry_after=3 * 86400)
    assert resource.next_check_at == T0 + timedelta(days=18)


def test_health_three_nights_of_404_with_a_controlled_clock(server):
    server.routes["/gone"] = reply(404)
    resource = ResourceFactory(url=server.url("/gone"))

    healths = []
    for day in (0, 1, 3):
        when = T0 + timedelta(days=day)
        outcome = health.link_check(url=resource.url, now=lambda when=when: when, sleep=lambda s: None)
        health.health_record(resource=resource, result=outcome)
        healths.append(resource.health)

    assert healths == ["failing", "failing", "broken"]
    assert list(resource.checks.values_list("checked_at", flat=True)) == [
        T0 + timedelta(days=3),
        T0 + timedelta(days=1),
        T0,
    ]


# --- Due links, claims and batches ----------------------------------------------------------


def test_linkchecks_due_new_weekly_healthy_daily_failing():
    now = T0
    new = ResourceFactory(url="https://a.example/new")
    healthy_stale = ResourceFactory(
        url="https://b.example/1", health="healthy", last_checked_at=now - timedelta(days=8)
    )
    ResourceFactory(url="https://b.example/2", health="healthy", last_checked_at=now - timedelta(days=2))
    failing_stale = ResourceFactory(
        url="https://a.example/3", health="failing", last_checked_at=now - timedelta(hours=25)
    )
    ResourceFactory(url="https://a.example/4", health="broken", last_checked_at=now - timedelta(hours=2))
    warning_stale = ResourceFactory(
        url="https://c.example/5", health="warning", last_checked_at=now - timedelta(days=2)
    )
    # Claimed by a dispatch (or held back by a Retry-After): not due until then.
    ResourceFactory(url="https://c.example/6", next_check_at=now + timedelta(hours=1))

    due = health.linkchecks_due(now=now, limit=100)

    assert due == {
        "a.example": [new.pk, failing_stale.pk],
        "b.example": [healthy_stale.pk],
        "c.example": [warning_stale.pk],
    }


def test_linkchecks_claim_is_won_by_one_dispatcher_only():
    ids = [ResourceFactory().pk for _ in range(3)]

    first = health.linkchecks_claim(ids=ids, now=T0)
    second = health.linkchecks_claim(ids=ids, now=T0)

    assert sorted(first) == ids
    assert second == []


def test_linkchecks_chunk_spreads_each_chunk_over_hosts():
    grouped = {"a.org": [1, 2, 3, 4], "b.org": [5, 6], "c.org": [7, 8, 9]}

    chunks = health.linkchecks_chunk(grouped, size=4)

    assert chunks == [[1, 5, 7, 2], [6, 8, 3, 9], [4]]


def test_dispatch_due_task_queues_batches_after_commit_once(settings, django_capture_on_commit_callbacks):
    settings.LINKCHECK_BATCH_SIZE = 2
    for n in range(5):
        ResourceFactory(url=f"https://host{n % 2}.example/{n}")

    with django_capture_on_commit_callbacks() as queued:
        count = health_tasks.linkchecks_dispatch_due()
    with django_capture_on_commit_callbacks() as queued_again:
        again = health_tasks.linkchecks_dispatch_due()

    assert (count, len(queued)) == (5, 3)
    assert (again, len(queued_again)) == (0, 0)
    # Claimed: their next_check_at holds the lease until the batch runs.
    assert Resource.objects.filter(next_check_at__gt=timezone.now() + timedelta(hours=5)).count() == 5


# --- Page-head metadata for links without identifiers ---------------------------------------


def test_page_head_prefers_opengraph():
    page = b"""<html><head><title>Site | A post</title>
    <meta property="og:title" content="A post &amp; its  title">
    <meta name="description" content="plain description">
    <meta property="og:description" content="The OpenGraph description">
    </head><body><title>not this</title></body></html>"""

    parsed = page_head_parse(page, "text/html; charset=utf-8")

    assert parsed.title == "A post & its title"
    assert parsed.description == "The OpenGraph description"


def test_page_head_falls_back_to_title_and_meta_description():
    page = (
        b"<html><head><title>\n  Notes on\n attention </title><meta name=description content='Short.'></head>"
    )

    parsed = page_head_parse(page)

    assert (parsed.title, parsed.description) == ("Notes on attention", "Short.")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'<meta charset="iso-8859-1"><title>Caf\xe9 cr\xe8me</title>', "text/html", "Café crème"),
        (b"<title>\x93Quoted\x94</title>", "text/html; charset=windows-1252", "“Quoted”"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">'
            b"<title>\x93\xfa\x96{</title>",
            "text/html",
            "日本",
        ),
        ("<title>Ünïcödé</title>".encode(), "text/html", "Ünïcödé"),
        (b"<title>Caf\xe9</title>", "text/html", "Café"),  # undeclared and not UTF-8
    ],
)
def test_page_head_detects_the_charset(body, content_type, expected):
    assert page_head_parse(body, content_type).title == expected


def _html(title="A tutorial", description="How to train it", extra=b""):
    return (
        f'<html><head><title>{title}</title><meta name="description" content="{description}">'.encode()
        + extra
        + b"</head><body>body</body></html>"
    )


def test_run_fills_title_and_description_from_the_page_head(server):
    server.routes["/tutorial"] = reply(200, _html(), {"Content-Type": "text/html; charset=utf-8"})
    resource = ResourceFactory(url=server.url("/tutorial"), title="", kind="tutorial")

    health.linkchecks_run(resource_ids=[resource.pk], threads=1)

    resource.refresh_from_db()
    assert (resource.title, resource.description) == ("A tutorial", "How to train it")
    assert (resource.metadata_state, resource.metadata_error, resource.health) == ("done", "", "healthy")
    assert "A tutorial" in resource.search_text
    assert methods(server, "/tutorial") == ["GET"]  # one request does both


def test_run_never_overwrites_a_members_title(server):
    server.routes["/tutorial"] = reply(200, _html(), {"Content-Type": "text/html"})
    resource = ResourceFactory(url=server.url("/tutorial"), title="My own words", title_locked=True)

    health.linkchecks_run(resource_ids=[resource.pk], threads=1)

    resource.refresh_from_db()
    assert (resource.title, resource.description, resource.metadata_state) == (
        "My own words",
        "How to train it",
        "done",
    )


def test_run_replaces_a_previously_fetched_title(server):
    server.routes["/tutorial"] = reply(200, _html(title="New title"), {"Content-Type": "text/html"})
    resource = ResourceFactory(url=server.url("/tutorial"), title="Old fetched title", title_locked=False)

    health.linkchecks_run(resource_ids=[resource.pk], threads=1)

    resource.refresh_from_db()
    assert resource.title == "New title"


def test_run_never_reads_the_head_of_arxiv_or_doi_links(server):
    server.routes["/abs"] = reply(200, _html(title="Not the arXiv title"), {"Content-Type": "text/html"})
    paper = ResourceFactory(url=server.url("/abs"), title="", arxiv_id="1706.03762")

    health.linkchecks_run(resource_ids=[paper.pk], threads=1)

    paper.refresh_from_db()
    assert (paper.title, paper.description, paper.metadata_state) == ("", "", "pending")
    assert paper.metadata_attempts == 0
    assert paper.health == "healthy"
    assert methods(server, "/abs") == ["HEAD"]


def test_run_marks_a_pdf_not_applicable_and_a_missing_page_failed(server):
    server.routes["/paper.pdf"] = reply(200, b"%PDF-1.7", {"Content-Type": "application/pdf"})
    pdf = ResourceFactory(url=server.url("/paper.pdf"), title="")
    gone = ResourceFactory(url=server.url("/gone"), title="")

    health.linkchecks_run(resource_ids=[pdf.pk, gone.pk], threads=1)

    pdf.refresh_from_db()
    gone.refresh_from_db()
    assert (pdf.metadata_state, pdf.title) == ("n/a", "")
    assert gone.metadata_state == "failed"
    assert gone.metadata_error == "Not found (404/410): HTTP 404"


def test_page_head_read_stops_at_the_end_of_the_head(settings, server):
    settings.LINKCHECK_READ_TIMEOUT = settings.LINKCHECK_DEADLINE = 60
    page = b"<html><head><title>Streaming page</title></head><body>"
    released = threading.Event()
    held = []

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(page)
        handler.wfile.flush()
        # The rest of the body comes only once the check is over: a check waiting for it
        # would outlast this route, which then records that it gave up waiting.
        held.append(released.wait(timeout=30))

    server.routes["/stream"] = endless
    resource = ResourceFactory(url=server.url("/stream"), title="")

    health.linkchecks_run(resource_ids=[resource.pk], threads=1)
    released.set()

    resource.refresh_from_db()
    assert resource.title == "Streaming page"
    for _ in range(100):
        if held:
            break
        time.sleep(0.05)
    assert held == [True]  # the route was still holding the body back when the check finished


def test_page_head_read_stops_at_the_byte_cap(server):
    server.routes["/big.html"] = huge_body(server, content_type="text/html")
    resource = ResourceFactory(url=server.url("/big.html"), title="")

    health.linkchecks_run(resource_ids=[resource.pk], threads=1)

    resource.refresh_from_db()
    assert (resource.health, resource.metadata_state, resource.title) == ("healthy", "done", "")
    for _ in range(50):
        if server.sent["/big.html"]:
            break
        time.sleep(0.05)
    assert server.sent["/big.html"] < 64 * 1024 * 1024


# --- Many checks at once --------------------------------------------------------------------


def test_host_slot_takes_at_most_the_concurrency_and_keeps_the_spacing():
    assert throttle._try_acquire("a.example", 0, 2) == 0.0
    assert throttle._try_acquire("a.example", 0, 2) == 0.0
    assert throttle._try_acquire("a.example", 0, 2) == throttle.BUSY_POLL  # two in flight
    throttle._release("a.example")
    assert throttle._try_acquire("a.example", 0, 2) == 0.0

    assert throttle._try_acquire("b.example", 10, 2) == 0.0
    assert 9 < throttle._try_acquire("b.example", 10, 2) <= 10  # free, but not yet 10 s later


def test_host_slot_forgets_the_slots_of_a_dead_worker_after_the_lease():
    HostThrottle.objects.create(host="c.example", in_flight=2)
    HostThrottle.objects.filter(host="c.example").update(
        updated_at=timezone.now() - timedelta(seconds=settings.HOST_SLOT_LEASE + 1)
    )

    assert throttle._try_acquire("c.example", 0, 2) == 0.0
    assert HostThrottle.objects.get(host="c.example").in_flight == 1


def test_host_defer_pushes_the_next_start_back():
    with throttle.host_slot("d.example", spacing=0, concurrency=2):
        pass
    throttle.host_defer("d.example", 30)

    assert 29 < throttle._try_acquire("d.example", 0, 2) <= 30
    assert HostThrottle.objects.get(host="d.example").in_flight == 0


def test_host_politeness_settings():
    assert health.host_politeness("arxiv.org") == (3.0, 1)
    assert health.host_politeness("export.arxiv.org") == (3.0, 1)
    assert health.host_politeness("example.org") == (0, 2)  # spacing 0 in these tests


@pytest.mark.django_db(transaction=True)
def test_linkchecks_run_checks_concurrently_at_most_two_per_host():
    servers = [Server(), Server()]
    try:
        resources = []
        for n in range(6):
            for running, host in zip(servers, ("127.0.0.1", "localhost"), strict=True):
                # Each answer waits until two requests were in flight on its server at once.
                running.routes[f"/p{n}"] = together(running, 2)
                resources.append(ResourceFactory(url=running.url(f"/p{n}", host=host), arxiv_id="x"))
        resources.append(ResourceFactory(url=servers[0].url("/gone"), arxiv_id="x"))

        summary = health.linkchecks_run(resource_ids=[r.pk for r in resources], threads=8)
    finally:
        for running in servers:
            running.close()
    assert (summary.checked, summary.errors) == (13, 0)
    assert summary.outcomes == {"ok": 12, "not_found": 1}
    assert LinkCheck.objects.count() == 13
    assert [s.max_active for s in servers] == [2, 2]  # concurrently, never more than two per host
    assert HostThrottle.objects.filter(in_flight__gt=0).count() == 0


@pytest.mark.django_db(transaction=True)
def test_linkchecks_runs_at_once_share_the_worker_pool(monkeypatch, settings, server):
    settings.LINKCHECK_THREADS = 6
    monkeypatch.setattr(health.pool, "_shared_pool", None)
    arrived = [threading.Event(), threading.Event()]
    overlapped = []

    def meeting_the_other_batch(batch):
        # Each answer waits until a request of the other batch reached the server too: had the
        # batches run one after the other, the first batch's answers would give up waiting.
        def route(handler):
            arrived[batch].set()
            overlapped.append(arrived[1 - batch].wait(timeout=20))
            reply(200)(handler)

        return route

    batches = []
    for batch in range(2):
        ids = []
        for n in range(3):
            server.routes[f"/b{batch}/{n}"] = meeting_the_other_batch(batch)
            host = ("127.0.0.1", "localhost")[n % 2]
            ids.append(ResourceFactory(url=server.url(f"/b{batch}/{n}", host=host), arxiv_id="x").pk)
        batches.append(ids)
    summaries = {}

    def run(batch):
        summaries[batch] = health.linkchecks_run(resource_ids=batches[batch])

    runners = [threading.Thread(target=run, args=(batch,)) for batch in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    pool = health.pool._shared_pool
    pool.close()

    assert [summaries[b].outcomes for b in range(2)] == [{"ok": 3}, {"ok": 3}]
    assert len(pool.threads) == 6
    assert overlapped == [True] * 6  # the two batches ran at once, in the one pool
    assert LinkCheck.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_linkchecks_run_keeps_requests_to_a_host_apart(monkeypatch, settings, server):
    settings.LINKCHECK_HOST_SPACING = 0.25
    # The host slot's own record of each start: the database time it was granted at, and the
    # monotonic time just after, before the request left (the server's log is on that clock).
    granted = []
    take = throttle._take

    def recorded_take(host, spacing, concurrency, now):
        taken = take(host, spacing, concurrency, now)
        if taken:
            granted.append((now, time.monotonic()))
        return taken

    monkeypatch.setattr(throttle, "_take", recorded_take)
    for n in range(4):
        server.routes[f"/p{n}"] = reply(200)
    ids = [ResourceFactory(url=server.url(f"/p{n}"), arxiv_id="x").pk for n in range(4)]

    health.linkchecks_run(resource_ids=ids, threads=4)

    arrivals = sorted(t for _m, _p, _h, t in server.log)
    granted.sort()
    assert (len(arrivals), len(granted)) == (4, 4)  # one slot per request, none bypassed
    # Starts are spaced by the configured interval, exactly: the database compares the times.
    assert all(b[0] - a[0] >= timedelta(seconds=0.25) for a, b in itertools.pairwise(granted)), granted
    # ...and every request reached the server after its slot was granted, never before.
    left = sorted(after for _, after in granted)
    assert all(after <= arrival for after, arrival in zip(left, arrivals, strict=True)), (left, arrivals)


def test_linkchecks_run_skips_links_checked_since_the_dispatch(server):
    server.routes["/p"] = reply(200)
    done = ResourceFactory(url=server.url("/p"), last_checked_at=T0 + timedelta(minutes=5), arxiv_id="x")
    waiting = ResourceFactory(url=server.url("/p?2"), last_checked_at=T0 - timedelta(days=8), arxiv_id="x")

    summary = health.linkchecks_run(resource_ids=[done.pk, waiting.pk, 999_999], since=T0, threads=1)

    assert (summary.checked, summary.skipped) == (1, 1)
    assert list(LinkCheck.objects.values_list("resource_id", flat=True)) == [waiting.pk]


@pytest.mark.django_db(transaction=True)
def test_linkchecks_run_a_failure_leaves_only_complete_rows(monkeypatch, server):
    server.routes["/p"] = reply(200)
    resources = [ResourceFactory(url=server.url(f"/p?{n}"), arxiv_id="x") for n in range(4)]
    real_create = LinkCheck.objects.create

    def create(**fields):
        check = real_create(**fields)
        if fields["resource"].pk == resources[1].pk:
            raise RuntimeError("worker died here")  # after the LinkCheck insert, before the summary
        return check

    monkeypatch.setattr(LinkCheck.objects, "create", create)

    summary = health.linkchecks_run(resource_ids=[r.pk for r in resources], threads=2)

    assert (summary.checked, summary.errors) == (3, 1)
    assert not LinkCheck.objects.filter(resource=resources[1]).exists()
    resources[1].refresh_from_db()
    assert (resources[1].health, resources[1].last_checked_at) == ("unknown", None)
    for resource in resources:
        resource.refresh_from_db()
        latest = resource.checks.first()
        assert resource.last_checked_at == (latest.checked_at if latest else None)


def test_linkchecks_run_of_one_link_runs_inline_in_the_callers_transaction(server):
    # As the eager "check now" does: a thread of its own could not see this uncommitted row.
    server.routes["/p"] = reply(200)
    resource = ResourceFactory(url=server.url("/p"), arxiv_id="x")

    summary = health.linkchecks_run(resource_ids=[resource.pk])

    assert connection.in_atomic_block
    assert summary.outcomes == {"ok": 1}
    assert LinkCheck.objects.filter(resource=resource, outcome="ok").exists()


def test_link_check_one_deadline_covers_every_attempt_of_a_server_that_trickles_its_headers(settings, server):
    # Each header byte comes well within the read timeout; the headers never end. The check's
    # one deadline is spent by the first attempt: no second or third attempt, no wait.
    settings.LINKCHECK_DEADLINE = 1.0
    server.routes["/trickle"] = trickle(0.05)

    result, sleeps = check(server.url("/trickle"))

    assert (result.outcome, result.attempts, sleeps) == ("timeout", 1, [])
    assert methods(server, "/trickle") == ["HEAD"]
    assert result.error == "no complete answer within the deadline"
