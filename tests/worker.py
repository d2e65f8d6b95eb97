"""Real Celery worker processes for the worker tests: started on the configured broker
(Redis in CI, the filesystem broker by default) against the test database."""

import os
import signal
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


# The queues settings.CELERY_TASK_ROUTES and the default queue name.
QUEUES = ("default", "linkchecks", "metadata")


@contextmanager
def routed_queues(names: dict[str, str]):
    """Send tasks queued by this process to test queues: ``names`` maps each of QUEUES (the
    default one, and those CELERY_TASK_ROUTES names) to a queue only the test's workers read."""
    old_default, old_routes = app.conf.task_default_queue, app.conf.task_routes
    routes = {
        pattern: {**route, "queue": names[route["queue"]]}
        for pattern, route in settings.CELERY_TASK_ROUTES.items()
    }
    # update() (not attribute assignment) makes Celery rebuild its router from the new routes.
    app.conf.update(task_default_queue=names["default"], task_routes=routes)
    try:
        yield names
    finally:
        app.conf.update(task_default_queue=old_default, task_routes=old_routes)


@contextmanager
def default_queue(name: str):
    """Send every task queued by this process (of every route) to ``name``, a queue only the
    test's worker reads."""
    with routed_queues(dict.fromkeys(QUEUES, name)):
        yield name


@contextmanager
def running_worker(
    log_path: Path,
    queue: str,
    *,
    env: dict | None = None,
    transport_options: dict | None = None,
    concurrency: int = 0,
):
    """A `celery worker` process consuming ``queue`` (or several, comma-separated), logging to
    ``log_path`` (appended); yields the process once it is ready and stops it at the end.

    One process (the solo pool) by default; with ``concurrency`` a prefork pool of that many
    child processes, as production runs it. The worker leads a process group of its own, so
    ``kill_whole_worker`` can reach its children too."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "SECRET_KEY": settings.SECRET_KEY,
        **(env or {}),
    }
    arguments = [
        "worker", "--loglevel=INFO", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-Q", queue, "-n", f"{queue.split(',')[0]}-{uuid.uuid4().hex[:6]}@%h",
        *(["--pool=prefork", f"--concurrency={concurrency}"] if concurrency else ["--pool=solo"]),
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
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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


def group_alive(pgid: int) -> list[int]:
    """Pids of the live (not zombie) processes in process group ``pgid``."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def kill_whole_worker(process: subprocess.Popen) -> list[int]:
    """SIGKILL the worker and every process of its group (its pool's children): no chance to
    finish, acknowledge or clean up. Returns the pids that were killed."""
    pids = group_alive(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while group_alive(process.pid):
        if time.monotonic() > deadline:
            pytest.fail(f"the worker's processes {group_alive(process.pid)} outlived SIGKILL")
        time.sleep(0.1)
    return pids


def wait_for(predicate, *, log: Path, timeout: float = 60) -> None:
    """Poll until ``predicate()`` holds; fail with the worker's log after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for the worker:\n{log.read_text()}")
