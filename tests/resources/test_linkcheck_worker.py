"""Link checks through a real Celery worker process on the configured broker.

Started with tests/worker.py, with the link-check settings the worker needs
to reach the local test servers (loopback allowed, no per-host spacing).
"""

from contextlib import contextmanager

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from resources.models import LinkCheck, Resource
from resources.tasks.health import linkchecks_run
from tests import worker
from tests.factories import ResourceFactory
from tests.loopback import reply, slow
from tests.worker import default_queue, new_queue, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_only", "allow_loopback"),
]


@contextmanager
def running_worker(log_path, queue: str, *, threads: int = 4, transport_options: dict | None = None):
    """A worker that may reach the loopback test servers, with no per-host spacing."""
    env = {
        "LINKCHECK_ALLOWED_INTERNAL_HOSTS": "127.0.0.1,localhost",
        "LINKCHECK_HOST_SPACING": "0",
        "LINKCHECK_THREADS": str(threads),
    }
    with worker.running_worker(log_path, queue, env=env, transport_options=transport_options) as process:
        yield process


@pytest.fixture
def queue():
    with default_queue(new_queue("test-links")) as name:
        yield name


def test_worker_checks_a_link_added_through_the_web_page(client, member, settings, server, queue, tmp_path):
    settings.LIBRARY_AUTO_FETCH = True
    server.routes["/tutorial"] = reply(
        200,
        b"<html><head><title>Diffusion models, explained</title></head><body>...</body></html>",
        {"Content-Type": "text/html; charset=utf-8"},
    )
    log = tmp_path / "worker.log"
    client.force_login(member)

    with running_worker(log, queue):
        response = client.post(
            reverse("resource-add"),
            {"url": server.url("/tutorial"), "title": "", "kind": "", "tags": "", "notes": ""},
        )
        resource = Resource.objects.get()
        assert response["Location"] == resource.get_absolute_url()
        wait_for(lambda: LinkCheck.objects.filter(resource=resource).exists(), log=log)

    check = LinkCheck.objects.get(resource=resource)
    assert (check.outcome, check.status_code, check.method) == ("ok", 200, "GET")
    page = client.get(resource.get_absolute_url()).content.decode()
    assert '<span class="badge ok">healthy</span>' in page
    assert "<td>OK</td><td>200</td>" in page  # the check history
    # The same visit read the page's head: the metadata shows too.
    assert '<h1 class="url">Diffusion models, explained</h1>' in page
    assert '<span class="badge ok">fetched</span>' in page
    assert "Task resources.linkchecks_run[" in log.read_text()


def test_worker_killed_mid_batch_leaves_whole_rows_and_the_redelivered_task_finishes(server, queue, tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("redelivery of an unacknowledged task needs a broker with acks (Redis)")
    for n in range(8):
        server.routes[f"/p{n}"] = slow(0.5, reply(200))
    ids = [ResourceFactory(url=server.url(f"/p{n}"), arxiv_id=f"x{n}").pk for n in range(8)]
    log = tmp_path / "worker.log"

    with running_worker(log, queue, threads=1) as first:
        linkchecks_run.delay(resource_ids=ids, since=timezone.now().isoformat())
        wait_for(lambda: LinkCheck.objects.count() >= 2, log=log)
        first.kill()  # SIGKILL: no chance to finish, acknowledge or clean up
        first.wait(timeout=10)

    done = LinkCheck.objects.count()
    assert 2 <= done < 8
    for resource in Resource.objects.filter(pk__in=ids):
        latest = resource.checks.first()
        assert resource.last_checked_at == (latest.checked_at if latest else None)
        assert resource.health == ("healthy" if latest else "unknown")

    # A new worker takes the unacknowledged task back once its visibility timeout passes.
    options = {"visibility_timeout": 1, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    with running_worker(log, queue, threads=4, transport_options=options):
        wait_for(lambda: not Resource.objects.filter(pk__in=ids, last_checked_at=None).exists(), log=log)

    # Each link checked once: the links done before the kill were skipped on redelivery.
    assert sorted(LinkCheck.objects.values_list("resource_id", flat=True)) == ids
