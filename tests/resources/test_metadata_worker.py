"""End to end: a member adds an arXiv link on the web page, a real Celery worker fetches its
metadata from a local server replaying the recorded arXiv API answer, the page shows it."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from clubsite.celery import app
from resources.models import Resource
from tests.resources.test_metadata_parsers import fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def metadata_worker(tmp_path, httpserver):
    """`celery worker` on a queue of its own, with every metadata API pointed at ``httpserver``."""
    queue = f"test-meta-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
        "SECRET_KEY": settings.SECRET_KEY,
        "ARXIV_API_URL": httpserver.url_for("/api/query"),
        "CROSSREF_API_URL": httpserver.url_for("/crossref"),
        "DOI_RESOLVER_URL": httpserver.url_for("/doi"),
        "ARXIV_MIN_INTERVAL": "0",
        "CONTACT_EMAIL": "club@example.org",
        # The link check queued beside the fetch must not reach the real arXiv from a test.
        "LINKCHECK_EXCLUDED_HOSTS": "arxiv.org,export.arxiv.org",
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
        yield log_path
    finally:
        app.conf.task_default_queue = old_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


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
    deadline = time.monotonic() + 60
    while not Resource.objects.filter(pk=resource.pk, metadata_state="done").exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not fetch the metadata:\n{metadata_worker.read_text()}")
        time.sleep(0.25)
    page = member_client.get(resource.get_absolute_url()).content.decode()
    assert "<h1>Proceedings of Workshop AEW10: Concepts in Information Theory and Communications</h1>" in page
    assert "Kees A. Schouhamer Immink, Stan Baggen, Ferdaous Chaabane" in page
    assert "Dirk Wübben, Hirosuke Yamamoto</dd>" in page
    assert "Task resources.metadata_fetch[" in metadata_worker.read_text()
    [(request, _)] = [(r, s) for r, s in httpserver.log if r.path == "/api/query"]
    assert request.headers["User-Agent"].endswith("mailto:club@example.org)")
