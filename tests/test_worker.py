"""A real Celery worker process consumes tasks from the configured broker.

The broker is whatever CELERY_BROKER_URL names (Redis in CI, the embedded
filesystem broker by default); the worker writes to the test database.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from clubsite.celery import app
from meetings.models import Invitation, Minutes
from meetings.services import accounts
from meetings.services.minutes import minutes_publish, minutes_save
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    """Start `celery worker` on a queue of its own; yield the mail folder; stop it."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "clubsite",
        "worker",
        "--loglevel=INFO",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield {"mail_dir": mail_dir, "log": log_path, "queue": queue}
    finally:
        app.conf.task_default_queue = old_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(predicate, *, timeout=60, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail("timed out waiting for the worker" + (f":\n{log.read_text()}" if log else ""))


def _mails(mail_dir: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(mail_dir.glob("*.log")))


def test_worker_sends_invitation_queued_by_the_service(worker):
    organiser = UserFactory(username="grace")
    series = SeriesFactory(name="Vision reading group", organisers=[organiser])

    invitation, token = accounts.invitation_create(
        email="newcomer@example.org", invited_by=organiser, series=series
    )

    _wait_for(
        lambda: Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=False).exists(),
        log=worker["log"],
    )
    _wait_for(lambda: f"/accounts/invitation/{token}/" in _mails(worker["mail_dir"]), log=worker["log"])
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

    _wait_for(
        lambda: Minutes.objects.filter(pk=minutes.pk, publish_email_sent_at__isnull=False).exists(),
        log=worker["log"],
    )
    _wait_for(lambda: worker["log"].read_text().count("succeeded") >= 2, log=worker["log"])
    mail = _mails(worker["mail_dir"])
    assert mail.count("To: ada@example.org") == 1
    assert mail.count("To: grace@example.org") == 1
    assert "<em>Attention is all you need</em>" in mail
