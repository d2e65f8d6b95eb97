import pytest
from django.conf import settings

from tests.factories import PASSWORD, SeriesFactory, UserFactory

# Tests speak plain HTTP to the test client and the live server; the HTTPS
# settings that DEBUG-off turns on are checked by `check --deploy` tests instead.
settings.SECURE_SSL_REDIRECT = False
settings.SESSION_COOKIE_SECURE = False
settings.CSRF_COOKIE_SECURE = False
# Hashing passwords slowly is a production virtue and a test-suite cost.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
settings.LIBRARY_AUTO_FETCH = False
# The rate limits count in a cache of this process, emptied before each test (below): Redis's
# keys would outlive a test, and the database cache's queries would count in the query-count
# tests. tests/test_throttling.py checks the limits themselves.
settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests serve static files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (calendars are cached by a fingerprint of their rows)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks queued by the code under test run in-process, except in the real-worker tests."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from clubsite.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def member(db):
    return UserFactory(username="ada", display_name="Ada Lovelace", email="ada@example.org")


@pytest.fixture
def other_member(db):
    return UserFactory(username="alan", display_name="Alan Turing", email="alan@example.org")


@pytest.fixture
def organiser(db):
    return UserFactory(username="grace", display_name="Grace Hopper", email="grace@example.org")


@pytest.fixture
def series(organiser, member):
    return SeriesFactory(
        name="IGR-data ML Club", slug="ml-club", organisers=[organiser], members=[organiser, member]
    )


@pytest.fixture
def private_series(organiser, member):
    """Members only: Ada belongs to it, Grace organises it; other accounts cannot read it."""
    return SeriesFactory(
        name="Secret reading group",
        slug="secret",
        visibility="members",
        organisers=[organiser],
        members=[organiser, member],
    )


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


# --- Real local HTTP servers (tests/loopback.py) ---------------------------------------------


@pytest.fixture
def loopback_only(monkeypatch):
    """Every address a socket connects to, recorded; any beyond loopback fails the test."""
    from tests.loopback import guard_connections

    return guard_connections(monkeypatch)


@pytest.fixture
def allow_loopback(settings):
    """Outbound requests may reach the local test servers (127.0.0.1, localhost), unspaced."""
    from tests.loopback import allow_loopback_hosts

    allow_loopback_hosts(settings)


@pytest.fixture
def server():
    """A threaded local HTTP server (tests.loopback.Server) on 127.0.0.1; set its routes."""
    from tests.loopback import Server

    running = Server()
    yield running
    running.close()


@pytest.fixture(scope="module")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate for the name localhost, made with openssl for this module."""
    from tests.loopback import make_certificate

    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(tls_certificate):
    """A local HTTPS server presenting ``tls_certificate``."""
    from tests.loopback import tls_server_with

    running = tls_server_with(*tls_certificate)
    yield running
    running.close()
