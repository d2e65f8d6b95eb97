"""Truthful pending states: "fetching…" only while a fetch is queued or running; a failure says
so with its reason and the time of the next try (Resource.metadata_status, the status panel,
and the services and task that keep metadata_queued_at / metadata_next_attempt_at)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from resources.models import Resource
from resources.services import metadata as metadata_services
from resources.services.library import resource_add
from resources.tasks.metadata import metadata_fetch_queue
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 4, 18, 45, tzinfo=UTC)  # Europe/London is on UTC in December


def status_panel(client, resource) -> str:
    response = client.get(reverse("resource-status", kwargs={"pk": resource.pk}))
    assert response.status_code == 200
    return response.content.decode()


def arxiv(**fields) -> Resource:
    return ResourceFactory(url="https://arxiv.org/abs/1706.03762", arxiv_id="1706.03762", **fields)


def page(**fields) -> Resource:
    return ResourceFactory(url="https://example.org/tutorial", kind=Resource.Kind.TUTORIAL, **fields)


# The panel, state by state


def test_status_queued_fetch_says_fetching_and_polls(member_client):
    resource = arxiv(metadata_queued_at=AT)

    html = status_panel(member_client, resource)

    assert resource.metadata_status.code == "fetching"
    assert 'data-state="fetching"><span class="badge">fetching…</span>' in html
    assert "queued 4 Dec 2026, 18:45" in html
    assert 'hx-trigger="every 3s"' in html


def test_status_pending_but_not_queued_never_says_fetching(member_client):
    resource = arxiv(health="healthy", last_checked_at=AT)

    html = status_panel(member_client, resource)

    assert resource.metadata_status.code == "waiting"
    assert '<span class="badge">not fetched yet</span>' in html
    assert "fetching" not in html
    assert "hx-trigger" not in html


def test_status_failed_attempt_gives_the_reason_and_the_next_try(member_client):
    resource = arxiv(
        metadata_error="connection error: Connection refused",
        metadata_next_attempt_at=AT + timedelta(minutes=2),
        health="healthy",
        last_checked_at=AT,
    )

    html = status_panel(member_client, resource)

    assert resource.metadata_status.code == "retrying"
    assert (
        '<span class="badge warn">could not fetch</span><span class="meta">: '
        "connection error: Connection refused; next try at 4 Dec 2026, 18:47</span>" in html
    )
    assert "fetching" not in html
    assert 'hx-trigger="every 30s"' in html


def test_status_final_failure_says_there_is_no_further_try(member_client):
    resource = arxiv(
        metadata_state="failed", metadata_error="not found on arXiv", health="healthy", last_checked_at=AT
    )

    html = status_panel(member_client, resource)

    assert ": not found on arXiv; no more automatic tries</span>" in html
    assert "hx-trigger" not in html


def test_status_failed_page_head_is_tried_again_with_the_next_link_check(member_client, settings):
    settings.METADATA_RETRIES = 3
    resource = page(
        metadata_state="failed",
        metadata_error="Connection error: Name or service not known",
        metadata_attempts=1,
        last_checked_at=AT,
        next_check_at=AT + timedelta(hours=24),
        health="warning",
    )

    html = status_panel(member_client, resource)

    assert ": Connection error: Name or service not known; next try at 5 Dec 2026, 18:45</span>" in html
    Resource.objects.filter(pk=resource.pk).update(metadata_attempts=3)
    assert "; no more automatic tries</span>" in status_panel(member_client, resource)


def test_status_page_head_fetching_until_the_link_check_ran(member_client):
    resource = page(metadata_queued_at=AT)
    assert resource.metadata_status.code == "fetching"

    # A check ran after it was queued but did not store a page state (say a HEAD-only answer).
    Resource.objects.filter(pk=resource.pk).update(
        last_checked_at=AT + timedelta(seconds=5), next_check_at=AT + timedelta(days=7), health="healthy"
    )
    html = status_panel(member_client, resource)

    assert "fetching" not in html
    assert (
        '<span class="badge">not fetched yet</span> <span class="meta">next try at 11 Dec 2026, 18:45</span>'
        in html
    )


def test_status_done_and_not_applicable(member_client):
    done = arxiv(metadata_state="done", metadata_fetched_at=AT, health="healthy", last_checked_at=AT)
    other = page(metadata_state="n/a", health="healthy", last_checked_at=AT)

    assert '<span class="badge ok">fetched</span> <span class="meta">4 Dec 2026</span>' in status_panel(
        member_client, done
    )
    assert '<span class="badge">not applicable</span>' in status_panel(member_client, other)


def test_resource_page_shows_the_failure(member_client):
    resource = arxiv(
        metadata_error="HTTP 503", metadata_next_attempt_at=AT, health="healthy", last_checked_at=AT
    )

    html = member_client.get(resource.get_absolute_url()).content.decode()

    assert ": HTTP 503; next try at 4 Dec 2026, 18:45</span>" in html


# Who sets the state


def test_resource_add_marks_the_fetch_queued_only_when_it_queues_one(member, settings):
    settings.LIBRARY_AUTO_FETCH = True
    fetched, _ = resource_add(url="arXiv:1706.03762", by=member)
    settings.LIBRARY_AUTO_FETCH = False
    left, _ = resource_add(url="https://example.org/notes", by=member)

    assert fetched.metadata_queued_at is not None
    assert Resource.objects.get(pk=fetched.pk).metadata_status.code == "fetching"
    assert Resource.objects.get(pk=left.pk).metadata_queued_at is None
    assert Resource.objects.get(pk=left.pk).metadata_status.code == "waiting"


def test_metadata_fetch_queue_marks_identifier_resources_queued(django_capture_on_commit_callbacks):
    paper = arxiv(metadata_next_attempt_at=AT, metadata_error="HTTP 503")
    other = page()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks = metadata_fetch_queue(resource_ids=[paper.pk, other.pk])

    paper.refresh_from_db()
    other.refresh_from_db()
    assert tasks == len(callbacks) >= 1
    assert (paper.metadata_queued_at is not None, paper.metadata_next_attempt_at) == (True, None)
    assert other.metadata_queued_at is None


def test_mark_retry_then_success_clears_both_marks():
    paper = arxiv(metadata_queued_at=AT)

    assert metadata_services.metadata_mark_retry(resource_ids=[paper.pk], at=AT + timedelta(minutes=1)) == 1
    paper.refresh_from_db()
    assert (paper.metadata_queued_at, paper.metadata_next_attempt_at) == (None, AT + timedelta(minutes=1))

    metadata_services.metadata_apply(resource=paper, data={"title": "Attention Is All You Need"})
    paper.refresh_from_db()
    assert (paper.metadata_state, paper.metadata_queued_at, paper.metadata_next_attempt_at) == (
        "done",
        None,
        None,
    )


def test_mark_retry_leaves_finished_resources_alone():
    paper = arxiv(metadata_state="done")

    assert metadata_services.metadata_mark_retry(resource_ids=[paper.pk], at=AT) == 0


def test_final_failure_clears_the_queued_mark():
    paper = arxiv(metadata_queued_at=AT, metadata_error="HTTP 503")

    assert metadata_services.metadata_record_failure(resource=paper, reason="HTTP 503") is True
    paper.refresh_from_db()
    assert (paper.metadata_state, paper.metadata_queued_at, paper.metadata_next_attempt_at) == (
        "failed",
        None,
        None,
    )
    assert paper.metadata_status.code == "failed"


def test_dispatcher_leaves_a_scheduled_retry_to_its_task_and_claims_an_overdue_one():
    now = AT + timedelta(hours=1)
    old = now - timedelta(hours=1)
    scheduled = arxiv(metadata_next_attempt_at=now + timedelta(minutes=10))
    overdue = ResourceFactory(
        url="https://arxiv.org/abs/2106.09685",
        arxiv_id="2106.09685",
        metadata_next_attempt_at=now - timedelta(hours=1),
    )
    fresh = ResourceFactory(url="https://doi.org/10.1000/xyz", doi="10.1000/xyz")
    Resource.objects.update(updated_at=old)

    claimed = metadata_services.metadata_claim_pending(now=now)

    assert claimed == [overdue.pk, fresh.pk]
    assert scheduled.pk not in claimed
