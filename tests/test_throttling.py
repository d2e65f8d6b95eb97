"""Issue 13: 40 wrong passwords in a row, then the right one signed in; 300 random API tokens got
300 x 401 and never a 429. Now sign-ins are limited per account and per address (django-axes),
API tokens per token and wrong tokens per address, and expensive pages per member; every refusal
is a 429 with Retry-After. Counts live in the database (axes' attempts, the database cache)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.conftest import _token_client
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-ins for this account or from this address"


def _sign_in(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_the_lock_out(client, member, settings):
    answers = [_sign_in(client, "ada", f"wrong {n}").status_code for n in range(40)]

    right = _sign_in(client, "ada", PASSWORD)

    limit = settings.AXES_FAILURE_LIMIT
    assert answers == [200] * (limit - 1) + [429] * (40 - limit + 1)
    assert right.status_code == 429
    assert right["Retry-After"] == str(15 * 60)
    content = right.content.decode()
    assert LOCKED in content and "paused for 15 minutes" in content
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_locked_out_for_all_of_them(client, member, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"guess{n}", "wrong")

    response = _sign_in(client, "ada", PASSWORD)
    elsewhere = _sign_in(client, "ada", PASSWORD, address="192.0.2.7")

    assert response.status_code == 429
    assert elsewhere.status_code == 302  # the account itself is not locked


def test_one_account_tried_from_many_addresses_is_locked_out_everywhere(client, member, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "ada", "wrong", address=f"198.51.100.{n + 1}")

    response = _sign_in(client, "ada", PASSWORD, address="203.0.113.9")
    someone_else = UserFactory(username="alan")
    other_account = _sign_in(client, someone_else.username, PASSWORD, address="203.0.113.9")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert other_account.status_code == 302


def test_behind_a_proxy_sign_ins_count_per_forwarded_address(client, member, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "x"},
            HTTP_X_FORWARDED_FOR="198.51.100.1",
            **proxy,
        )

    guesser = client.post(
        reverse("login"),
        {"username": "ada", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        **proxy,
    )
    neighbour = client.post(
        reverse("login"),
        {"username": "ada", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.2",
        **proxy,
    )

    assert guesser.status_code == 429
    assert neighbour.status_code == 302


def test_the_lock_out_ends_after_the_cool_off(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "ada", "wrong")
    assert _sign_in(client, "ada", PASSWORD).status_code == 429
    # Fifteen minutes pass (the attempts' clock is the database's rows).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    response = _sign_in(client, "ada", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_a_few_wrong_passwords_then_the_right_one_signs_in_and_clears_the_count(client, member, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "ada", "wrong")

    response = _sign_in(client, "ada", PASSWORD)

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="ada", failures_since_start__gt=0).exists()


def test_three_hundred_wrong_tokens_get_429_with_retry_after(member):
    api = APIClient()
    answers = []
    for n in range(300):
        api.credentials(HTTP_AUTHORIZATION=f"Token wrong-{n:04d}")
        answers.append(api.get("/api/v1/series/"))
    good = _token_client(member)
    from_here = good.get("/api/v1/series/")
    from_elsewhere = good.get("/api/v1/series/", REMOTE_ADDR="192.0.2.44")

    assert [r.status_code for r in answers] == [401] * 30 + [429] * 270
    assert int(answers[-1]["Retry-After"]) > 0
    assert answers[-1].json()["error"]["code"] == "throttled"
    assert from_here.status_code == 429  # this address is still waiting, whatever it sends
    assert from_elsewhere.status_code == 200


def test_api_token_is_rate_limited_per_token(member, other_member, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "token", "5/minute")
    mine, theirs = _token_client(member), _token_client(other_member)

    answers = [mine.get("/api/v1/series/").status_code for _ in range(7)]
    other = theirs.get("/api/v1/series/")

    assert answers == [200] * 5 + [429] * 2
    assert 0 < int(mine.get("/api/v1/series/")["Retry-After"]) <= 60
    assert other.status_code == 200


def test_preview_is_rate_limited_per_member(client, member, other_member, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "preview", "3/minute")
    client.force_login(member)

    answers = [client.post(reverse("markdown-preview"), {"body": "**hi**"}) for _ in range(4)]
    client.force_login(other_member)
    other = client.post(reverse("markdown-preview"), {"body": "**hi**"})

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert "previewed Markdown too often" in answers[-1].content.decode()
    assert other.status_code == 200 and "<strong>hi</strong>" in other.content.decode()


def test_search_is_rate_limited_per_member(member_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "search", "2/minute")

    answers = [member_client.get(reverse("search"), {"q": "gans"}).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
