"""Worker faults: every task is acknowledged late and given back when its worker is lost, and a
whole worker SIGKILLed mid-batch (main process and pool children) loses nothing and doubles
nothing: another worker finishes the tasks it held once the visibility timeout passes."""

import math

import pytest
from celery import current_app
from django.conf import settings

from meetings.models import Minutes
from meetings.services.minutes import minutes_publish, minutes_save
from meetings.tasks import RETRY as MEETINGS_RETRY
from resources.models import HostThrottle, LinkCheck, Resource
from resources.services import health
from resources.tasks import metadata as metadata_tasks
from tests.factories import MeetingFactory, ResourceFactory, SeriesFactory, UserFactory
from tests.resources.test_fetch import Server, reply, slow
from tests.resources.test_metadata_parsers import fixture
from tests.worker import default_queue, kill_whole_worker, new_queue, running_worker, wait_for


def _our_tasks():
    current_app.loader.import_default_modules()
    return {
        name: task for name, task in current_app.tasks.items() if name.startswith(("meetings.", "resources."))
    }


def test_every_task_is_acknowledged_late_and_given_back_when_its_worker_is_lost():
    tasks = _our_tasks()

    assert len(tasks) >= 11
    assert sorted(name for name, task in tasks.items() if not task.acks_late) == []
    assert sorted(name for name, task in tasks.items() if not task.reject_on_worker_lost) == []


def test_visibility_timeout_outlasts_the_longest_task_and_countdown():
    # A countdown is held unacknowledged by Redis too: the longest one must fit in the timeout.
    assert settings.TASK_LONGEST_COUNTDOWN >= metadata_tasks.RETRY_MAX
    assert MEETINGS_RETRY["retry_backoff_max"] <= settings.TASK_LONGEST_COUNTDOWN
    # With the default settings: no wait for a host slot in either. A link-check batch is 4
    # links per thread at 30 s each (all attempts) plus 3 Retry-After ETAs of 60 s; a DOI batch
    # is 3 DOIs per thread, 4 requests each, each ending within 30 s. The longer is the DOI batch.
    assert math.ceil(50 / 16) * 30 + 3 * 60 == 300
    assert settings.TASK_LONGEST_SECONDS == math.ceil(9 / 3) * 4 * 30 == 360
    assert settings.BROKER_VISIBILITY_TIMEOUT == 360 + 1800
    if settings.CELERY_BROKER_URL.startswith("redis"):
        options = current_app.conf.broker_transport_options
        assert options["visibility_timeout"] == 2160
        assert options["unacked_restore_interval"] == 10


def _arxiv_requests(api: Server) -> int:
    return sum(1 for _method, path, _headers, _at in api.log if path.startswith("/api/query?"))


def _mails(folder) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.glob("*.log")))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_whole_worker_killed_mid_batch_a_new_worker_finishes_its_tasks_once(tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        # The filesystem broker has no visibility timeout: a task taken is gone with its worker.
        pytest.skip("redelivery after a visibility timeout needs the Redis broker (CELERY_BROKER_URL)")
    links, api = Server(), Server()
    try:
        for n in range(12):
            links.routes[f"/p{n}"] = slow(0.6, reply(200))
        feed = fixture("arxiv_api_2026_1707.08567.xml")
        api.routes["/api/query"] = slow(4, reply(200, feed, {"Content-Type": "application/atom+xml"}))
        batch_a = [ResourceFactory(url=links.url(f"/p{n}"), arxiv_id=f"x{n}").pk for n in range(8)]
        batch_b = [ResourceFactory(url=links.url(f"/p{n}"), arxiv_id=f"x{n}").pk for n in range(8, 12)]
        paper = ResourceFactory(url="https://arxiv.org/abs/1707.08567", arxiv_id="1707.08567")
        member = UserFactory(username="ada", email="ada@example.org")
        organiser = UserFactory(username="grace", email="grace@example.org")
        meeting = MeetingFactory(series=SeriesFactory(organisers=[organiser], members=[member]))
        minutes = minutes_save(
            meeting=meeting, kind="minutes", body="We read a paper.", base_revision=0, by=member
        ).minutes
        mail_dir = tmp_path / "mail"
        mail_dir.mkdir()
        env = {
            "LINKCHECK_ALLOWED_INTERNAL_HOSTS": "127.0.0.1,localhost",
            "LINKCHECK_HOST_SPACING": "0",
            "LINKCHECK_THREADS": "1",
            "ARXIV_API_URL": api.url("/api/query"),
            "ARXIV_MIN_INTERVAL": "0",
            "LINKCHECK_EXCLUDED_HOSTS": "arxiv.org,export.arxiv.org",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            # Short, as a test needs: the broker hands back a lost task after 8 s, and a dead
            # worker's host slots are forgotten after 5 s.
            "BROKER_VISIBILITY_TIMEOUT": "8",
            "HOST_SLOT_LEASE": "5",
        }
        log = tmp_path / "worker.log"

        with default_queue(new_queue("test-faults")):
            queue = current_app.conf.task_default_queue
            with running_worker(log, queue, env=env, concurrency=2) as first:
                # Two children, prefetching one each: batch A and the arXiv batch are taken,
                # batch B and the email wait in Redis.
                # Queued as the site queues them (after commit; autocommit here).
                health.linkchecks_queue(resource_ids=batch_a)
                metadata_tasks.metadata_fetch_queue(resource_ids=[paper.pk])
                health.linkchecks_queue(resource_ids=batch_b)
                assert minutes_publish(minutes=minutes, by=organiser) is True
                wait_for(lambda: LinkCheck.objects.count() >= 2 and _arxiv_requests(api) == 1, log=log)
                killed = kill_whole_worker(first)

            assert len(killed) == 3  # the main process and its two children
            done_before = LinkCheck.objects.count()
            assert 2 <= done_before < 8
            assert Resource.objects.get(pk=paper.pk).metadata_state == "pending"
            held_slots = dict(HostThrottle.objects.values_list("host", "in_flight"))
            assert held_slots[f"127.0.0.1:{api.port}"] == 1  # the dead worker's, left behind
            start = log.stat().st_size

            with running_worker(log, queue, env=env, concurrency=2):
                wait_for(
                    lambda: (
                        not Resource.objects.filter(
                            last_checked_at=None, url__startswith=links.url("/")
                        ).exists()
                        and Resource.objects.filter(pk=paper.pk, metadata_state="done").exists()
                        and "To: ada@example.org" in _mails(mail_dir)
                    ),
                    log=log,
                    timeout=60,
                )
                second_log = log.read_text()[start:]
    finally:
        links.close()
        api.close()

    # The tasks the dead worker held came back to the new one, with those it never took.
    first_log = log.read_text()[:start]
    assert first_log.count("Task resources.linkchecks_run[") == 1  # batch A, received
    assert first_log.count("Task resources.metadata_fetch[") == 1
    assert second_log.count("] received") == 4
    assert second_log.count("resources.linkchecks_run[") == 4  # A and B: received, succeeded
    assert second_log.count("resources.metadata_fetch[") == 2
    # One check per link: those done before the kill were skipped on redelivery.
    assert sorted(LinkCheck.objects.values_list("resource_id", flat=True)) == sorted(batch_a + batch_b)
    assert Resource.objects.get(pk=paper.pk).title.startswith("Proceedings of Workshop AEW10")
    assert _arxiv_requests(api) == 2  # the killed worker's, and the new one's
    mail = _mails(mail_dir)
    assert mail.count("To: ada@example.org") == 1
    assert mail.count("To: grace@example.org") == 1
    assert Minutes.objects.get(pk=minutes.pk).publish_email_sent_at is not None
