"""Real Celery worker processes for the worker tests: started on the configured broker
(Redis in CI, the filesystem broker by default) against the test database."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from clubsite.celery import app

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test database as a DATABASE_URL a worker process can use."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def new_queue(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@contextmanager
def default_queue(name: str):
    """Send tasks queued by this process to ``name``, a queue only the test's worker reads."""
    old = app.conf.task_default_queue
    app.conf.task_default_queue = name
    try:
        yield name
    finally:
        app.conf.task_default_queue = old


@contextmanager
def running_worker(
    log_path: Path, queue: str, *, env: dict | None = None, transport_options: dict | None = None
):
    """A `celery worker` process consuming ``queue``, logging to ``log_path`` (appended);
    yields the process once it is ready and stops it at the end."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "SECRET_KEY": settings.SECRET_KEY,
        **(env or {}),
    }
    arguments = [
        "worker", "--loglevel=INFO", "--pool=solo", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-Q", queue, "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h",
    ]  # fmt: skip
    # Broker options (a short visibility timeout, to see a redelivery) are set on the app.
    options = repr(transport_options or {})
    code = (
        "import sys; from clubsite.celery import app; "
        f"app.conf.broker_transport_options = {{**app.conf.broker_transport_options, **{options}}}; "
        "app.worker_main(sys.argv[1:])"
    )
    start = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code, *arguments],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log_path.read_bytes()[start:]:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(predicate, *, log: Path, timeout: float = 60) -> None:
    """Poll until ``predicate()`` holds; fail with the worker's log after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for the worker:\n{log.read_text()}")
