"""A real Celery worker process consumes tasks from the configured broker.

The broker is whatever CELERY_BROKER_URL names (Redis in CI, the embedded
filesystem broker by default); the worker writes to the test database.
"""

from pathlib import Path

import pytest

from meetings.models import Invitation, Minutes
from meetings.services import accounts
from meetings.services.minutes import minutes_publish, minutes_save
from tests.factories import MeetingFactory, SeriesFactory, UserFactory
from tests.worker import default_queue, new_queue, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    """Start `celery worker` on a queue of its own; yield the mail folder and log; stop it."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with default_queue(new_queue()) as queue, running_worker(log_path, queue, env=env):
        yield {"mail_dir": mail_dir, "log": log_path, "queue": queue}


def _mails(mail_dir: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(mail_dir.glob("*.log")))


def test_worker_sends_invitation_queued_by_the_service(worker):
    organiser = UserFactory(username="grace")
    series = SeriesFactory(name="Vision reading group", organisers=[organiser])

    invitation, token = accounts.invitation_create(
        email="newcomer@example.org", invited_by=organiser, series=series
    )

    wait_for(
        lambda: Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=False).exists(),
        log=worker["log"],
    )
    wait_for(lambda: f"/accounts/invitation/{token}/" in _mails(worker["mail_dir"]), log=worker["log"])
    mail = _mails(worker["mail_dir"])
    assert "To: newcomer@example.org" in mail
    assert "Vision reading group" in mail
    assert "Task meetings.invitation_send[" in worker["log"].read_text()


def test_worker_emails_published_minutes_once(worker):
    organiser = UserFactory(username="grace", email="grace@example.org")
    member = UserFactory(username="ada", email="ada@example.org")
    meeting = MeetingFactory(series=SeriesFactory(organisers=[organiser], members=[member]))
    minutes = minutes_save(
        meeting=meeting,
        kind="minutes",
        body="We read *Attention is all you need*.",
        base_revision=0,
        by=member,
    ).minutes

    assert minutes_publish(minutes=minutes, by=organiser) is True
    # A second delivery of the same task must not send the email again.
    from meetings.tasks import minutes_send_published

    minutes_send_published.delay(minutes_id=minutes.pk)

    wait_for(
        lambda: Minutes.objects.filter(pk=minutes.pk, publish_email_sent_at__isnull=False).exists(),
        log=worker["log"],
    )
    wait_for(lambda: worker["log"].read_text().count("succeeded") >= 2, log=worker["log"])
    mail = _mails(worker["mail_dir"])
    assert mail.count("To: ada@example.org") == 1
    assert mail.count("To: grace@example.org") == 1
    assert "<em>Attention is all you need</em>" in mail
