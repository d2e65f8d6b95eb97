"""Link checking never blocks on one host: a throttled or busy host's checks wait with an ETA,
and the pool's threads check the other hosts meanwhile (real local servers, real host slots)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from resources.models import LinkCheck, Resource
from resources.services import health, throttle
from tests.factories import ResourceFactory
from tests.loopback import Server, reply
from tests.resources.test_linkcheck import sequence

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_only", "allow_loopback"),
]

FAST_HOSTS = ["127.0.0.2", "127.0.0.3"]


@pytest.fixture
def allow_loopback(settings):
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1", *FAST_HOSTS]
    settings.LINKCHECK_HOST_SPACING = 0


@pytest.fixture
def servers():
    running = {host: Server(host=host) for host in ["127.0.0.1", *FAST_HOSTS]}
    yield running
    for server in running.values():
        server.close()


def links(server: Server, count: int, route) -> list[int]:
    ids = []
    for n in range(count):
        server.routes[f"/p{n}"] = route()
        ids.append(ResourceFactory(url=server.url(f"/p{n}"), arxiv_id="x").pk)
    return ids


def test_a_host_answering_429_waits_with_an_eta_while_the_thread_checks_other_hosts(servers):
    throttled = servers["127.0.0.1"]
    slow_ids = links(throttled, 1, lambda: sequence(reply(429, headers={"Retry-After": "2"}), reply(200)))
    fast_ids = [pk for host in FAST_HOSTS for pk in links(servers[host], 2, lambda: reply(200))]

    # One thread: a blocking wait for the throttled host would hold up every other link.
    summary = health.linkchecks_run(resource_ids=slow_ids + fast_ids, threads=1)

    assert (summary.checked, dict(summary.outcomes)) == (5, {"ok": 5})
    assert [m for m, _p, _h, _t in throttled.log] == ["HEAD", "HEAD"]  # the 429, then the retry
    retry_at = throttled.log[1][3]
    fast_times = [t for host in FAST_HOSTS for _m, _p, _h, t in servers[host].log]
    assert len(fast_times) == 4
    assert all(t < retry_at for t in fast_times)  # the others went first: nobody slept on the host
    check = LinkCheck.objects.get(resource_id=slow_ids[0])
    assert (check.outcome, check.status_code) == ("ok", 200)


def test_a_host_another_worker_holds_for_long_is_left_for_a_later_dispatch_at_its_eta(servers):
    busy = servers["127.0.0.1"]
    busy_ids = links(busy, 2, lambda: reply(200))
    fast_ids = links(servers[FAST_HOSTS[0]], 2, lambda: reply(200))
    throttle.host_defer("127.0.0.1", 3600)  # as a 429 with Retry-After: 3600 seen by another worker
    before = timezone.now()

    summary = health.linkchecks_run(resource_ids=busy_ids + fast_ids, threads=2)

    assert (summary.checked, summary.skipped, dict(summary.outcomes)) == (2, 2, {"ok": 2})
    assert busy.log == []
    for resource in Resource.objects.filter(pk__in=busy_ids):
        assert resource.last_checked_at is None
        assert resource.next_check_at >= before + timedelta(seconds=3500)
    assert set(LinkCheck.objects.values_list("resource_id", flat=True)) == set(fast_ids)


def test_a_host_busy_for_a_moment_is_checked_once_it_is_free_in_the_same_run(servers):
    busy = servers["127.0.0.1"]
    busy_ids = links(busy, 1, lambda: reply(200))
    fast_ids = links(servers[FAST_HOSTS[0]], 2, lambda: reply(200))
    throttle.host_defer("127.0.0.1", 1)

    summary = health.linkchecks_run(resource_ids=busy_ids + fast_ids, threads=1)

    assert (summary.checked, summary.skipped, dict(summary.outcomes)) == (3, 0, {"ok": 3})
    assert len(busy.log) == 1
    assert all(t < busy.log[0][3] for _m, _p, _h, t in servers[FAST_HOSTS[0]].log)
