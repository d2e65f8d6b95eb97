"""The three Celery queues with a real worker: an email is not stuck behind bulk link checks.

One worker consumes all three queues, as `make run`'s does (Procfile); 1,000 link checks of
a slow local server are queued first, then an invitation. The email must go out while the
link-check queue is still far from drained: asserted by the order and count of events (link
checks recorded before and after the email was sent), never by how long anything took.
"""

import pytest
from django.conf import settings

from clubsite.celery import app
from meetings.services import accounts
from resources.models import LinkCheck, Resource
from resources.tasks.health import linkchecks_run
from tests.factories import UserFactory
from tests.resources.test_fetch import Server, slow
from tests.worker import QUEUES, new_queue, routed_queues, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LINKS = 1000


def test_settings_route_link_checks_and_metadata_to_their_own_queues():
    route = app.amqp.router.route

    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"
    assert route({}, "meetings.invitation_send")["queue"].name == "default"
    assert route({}, "meetings.minutes_send_published")["queue"].name == "default"
    assert route({}, "resources.linkchecks_run")["queue"].name == "linkchecks"
    assert route({}, "resources.linkchecks_dispatch_due")["queue"].name == "linkchecks"
    assert route({}, "resources.metadata_fetch")["queue"].name == "metadata"
    assert route({}, "resources.metadata_dispatch_pending")["queue"].name == "metadata"


def test_procfile_worker_consumes_all_three_queues():
    from clubsite.localrun import procfile_read

    words = procfile_read()["worker"].split()

    assert set(words[words.index("-Q") + 1].split(",")) == set(QUEUES)


def test_email_goes_out_while_a_thousand_link_checks_wait(tmp_path):
    server = Server()
    server.routes["/slow"] = slow(0.2)
    organiser = UserFactory(username="grace")
    Resource.objects.bulk_create(
        Resource(url=server.url(f"/slow?paper={n}"), title=f"Paper {n}", kind=Resource.Kind.PAPER)
        for n in range(LINKS)
    )
    ids = list(Resource.objects.order_by("pk").values_list("pk", flat=True))
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LINKCHECK_ALLOWED_INTERNAL_HOSTS": "127.0.0.1",
        "LINKCHECK_HOST_SPACING": "0",
    }
    names = {queue: new_queue(f"test-{queue}") for queue in QUEUES}
    try:
        with routed_queues(names), running_worker(log, ",".join(names.values()), env=env, concurrency=2):
            for pk in ids:  # one task per link, as adding each resource queues it
                linkchecks_run.delay(resource_ids=[pk])
            invitation, _token = accounts.invitation_create(
                email="newcomer@example.org", invited_by=organiser
            )

            wait_for(lambda: any(mail_dir.glob("*.log")), log=log, timeout=120)
            invitation.refresh_from_db()
            # The link checks carry on after the email: it did not wait for their queue.
            wait_for(lambda: LinkCheck.objects.filter(checked_at__gt=invitation.sent_at).exists(), log=log)
    finally:
        with app.connection_for_write() as connection:
            for name in names.values():
                connection.default_channel.queue_purge(name)
        server.close()

    mail = "\n".join(path.read_text() for path in mail_dir.glob("*.log"))
    assert "To: newcomer@example.org" in mail
    # Events in the worker's order (its own clock stamps both): checks recorded before the
    # email was sent, and those recorded between queueing it and sending it.
    before_email = LinkCheck.objects.filter(checked_at__lte=invitation.sent_at).count()
    while_it_waited = LinkCheck.objects.filter(
        checked_at__gt=invitation.created_at, checked_at__lte=invitation.sent_at
    ).count()
    assert before_email < LINKS, "the email waited for the whole link-check queue"
    assert while_it_waited < LINKS // 10, while_it_waited
    assert LinkCheck.objects.filter(checked_at__gt=invitation.sent_at).exists()
