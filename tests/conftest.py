import pytest

from tests.factories import PASSWORD, SeriesFactory, UserFactory


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests serve static files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
def private_series(organiser):
    return SeriesFactory(
        name="Secret reading group", slug="secret", visibility="members", organisers=[organiser]
    )


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client
