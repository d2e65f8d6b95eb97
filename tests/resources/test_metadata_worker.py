"""End to end: a member adds an arXiv link on the web page, a real Celery worker fetches its
metadata from a local server replaying the recorded arXiv API answer, the page shows it."""

import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from clubsite.celery import app
from resources.models import Resource
from tests.resources.test_metadata_parsers import fixture
from tests.worker import default_queue, new_queue, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def metadata_worker(tmp_path, httpserver):
    """`celery worker` on a queue of its own, with every metadata API pointed at ``httpserver``."""
    log_path = tmp_path / "worker.log"
    env = {
        "ARXIV_API_URL": httpserver.url_for("/api/query"),
        "CROSSREF_API_URL": httpserver.url_for("/crossref"),
        "DOI_RESOLVER_URL": httpserver.url_for("/doi"),
        "ARXIV_MIN_INTERVAL": "0",
        "CONTACT_EMAIL": "club@example.org",
        # The APIs are vetted like any link: the local server's host must be allowed.
        "LINKCHECK_ALLOWED_INTERNAL_HOSTS": "127.0.0.1,localhost",
        # The link check queued beside the fetch must not reach the real arXiv from a test.
        "LINKCHECK_EXCLUDED_HOSTS": "arxiv.org,export.arxiv.org",
    }
    with default_queue(new_queue("test-meta")) as queue, running_worker(log_path, queue, env=env):
        yield log_path


def test_worker_fetches_metadata_for_a_link_added_on_the_web_page(
    metadata_worker, httpserver, member_client, settings
):
    settings.LIBRARY_AUTO_FETCH = True
    httpserver.expect_request(
        "/api/query", query_string={"id_list": "1707.08567", "start": "0", "max_results": "1"}
    ).respond_with_data(
        fixture("arxiv_api_2026_1707.08567.xml"), content_type="application/atom+xml; charset=UTF-8"
    )

    response = member_client.post(
        reverse("resource-add"), {"url": "arXiv:1707.08567", "title": "", "kind": "", "tags": "", "notes": ""}
    )

    resource = Resource.objects.get(arxiv_id="1707.08567")
    assert response["Location"] == resource.get_absolute_url()
    wait_for(
        lambda: Resource.objects.filter(pk=resource.pk, metadata_state="done").exists(), log=metadata_worker
    )
    page = member_client.get(resource.get_absolute_url()).content.decode()
    assert (
        '<h1 class="url">Proceedings of Workshop AEW10: '
        "Concepts in Information Theory and Communications</h1>" in page
    )
    assert "Kees A. Schouhamer Immink, Stan Baggen, Ferdaous Chaabane" in page
    assert "Dirk Wübben, Hirosuke Yamamoto</dd>" in page
    assert "Task resources.metadata_fetch[" in metadata_worker.read_text()
    [(request, _)] = [(r, s) for r, s in httpserver.log if r.path == "/api/query"]
    assert request.headers["User-Agent"].endswith("mailto:club@example.org)")


def test_worker_without_internet_ends_in_could_not_fetch_with_the_next_try(tmp_path, member_client, settings):
    """No internet (every metadata API unreachable): the page stops saying "fetching…" once the
    worker has tried, and says why and when it tries again."""
    settings.LIBRARY_AUTO_FETCH = True
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}"
    log_path = tmp_path / "worker.log"
    env = {
        "ARXIV_API_URL": f"{unreachable}/api/query",
        "CROSSREF_API_URL": unreachable,
        "DOI_RESOLVER_URL": unreachable,
        "ARXIV_MIN_INTERVAL": "0",
        "LINKCHECK_EXCLUDED_HOSTS": "arxiv.org,export.arxiv.org",
        # The APIs are vetted like any link: the loopback stand-in for them must be allowed.
        "LINKCHECK_ALLOWED_INTERNAL_HOSTS": "127.0.0.1",
    }
    queue = new_queue("test-offline")
    try:
        with default_queue(queue), running_worker(log_path, queue, env=env):
            member_client.post(
                reverse("resource-add"),
                {"url": "arXiv:1706.03762", "title": "", "kind": "", "tags": "", "notes": ""},
            )
            resource = Resource.objects.get(arxiv_id="1706.03762")
            queued = status_panel(member_client, resource)
            wait_for(
                lambda: Resource.objects.filter(
                    pk=resource.pk, metadata_next_attempt_at__isnull=False
                ).exists(),
                log=log_path,
            )
            resource.refresh_from_db()
            failed = status_panel(member_client, resource)
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)

    assert "fetching…" in queued
    assert resource.metadata_state == "pending" and resource.metadata_queued_at is None
    assert resource.metadata_error
    next_try = timezone.localtime(resource.metadata_next_attempt_at).strftime("%-d %b %Y, %H:%M")
    assert (
        f'could not fetch</span><span class="meta">: {resource.metadata_error}; next try at {next_try}</span>'
        in (failed)
    )
    assert "fetching" not in failed


def status_panel(client, resource) -> str:
    return client.get(reverse("resource-status", kwargs={"pk": resource.pk})).content.decode()
