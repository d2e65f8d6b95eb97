"""Accounts: signing in and out, passwords, invitations, the profile, first-run setup.

Through the test client where a person would click, through the services and tasks
where the site works on its own.
"""

import contextlib
import hashlib
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.staticfiles import finders
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from meetings.models import Invitation, Meeting, Minutes, MinutesRevision, Series
from meetings.services import accounts
from meetings.tasks import invitation_send, invitations_purge_expired
from tests.factories import PASSWORD, UserFactory

User = get_user_model()

NEW_PASSWORD = "violet kettle under the moon"
INVITE_LINK = re.compile(r"https://club\.example\.org/accounts/invitation/([A-Za-z0-9_-]+)/")
RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site(settings):
    # Tests speak plain HTTP to the test client; with DEBUG off every request would be
    # answered with a redirect to https://.
    settings.SECURE_SSL_REDIRECT = False
    settings.SITE_URL = "https://club.example.org"
    settings.SITE_NAME = "clubsite"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Page(HTMLParser):
    """The parts of a rendered page the tests look at."""

    def __init__(self, content: bytes):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.nav_links: list[tuple[str, str]] = []
        self._in_nav_links = False
        self._link_href: str | None = None
        self._link_text = ""
        self.feed(content.decode())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "ul" and "nav-links" in (attrs.get("class") or "").split():
            self._in_nav_links = True
        if tag == "a" and self._in_nav_links:
            self._link_href, self._link_text = attrs.get("href"), ""

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_nav_links = False
        if tag == "a" and self._link_href is not None:
            self.nav_links.append((self._link_text.strip(), self._link_href))
            self._link_href = None

    def handle_data(self, data):
        if self._link_href is not None:
            self._link_text += data

    def input_value(self, name: str) -> str | None:
        for tag, attrs in self.tags:
            if tag == "input" and attrs.get("name") == name:
                return attrs.get("value")
        raise AssertionError(f"no input named {name!r}")


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def make_invitation(*, email="new@example.org", expires_in=timedelta(days=14), **fields):
    invitation = Invitation(email=email, expires_at=timezone.now() + expires_in, **fields)
    token = invitation.set_new_token()
    invitation.save()
    return invitation, token


def invite(client, django_capture_on_commit_callbacks, **data):
    """Post the invite form and run what it queues after commit (the email task)."""
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("invitation-create"), data)


# Signing in and out


def test_login_form_signs_in_and_shows_name_in_nav(client, member):
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})

    assertRedirects(response, "/")
    assert signed_in_user_id(client) == str(member.pk)
    dashboard = client.get("/")
    assertContains(dashboard, '<a href="/accounts/profile/">Ada Lovelace</a>', html=True)
    assertNotContains(dashboard, ">Sign in</a>")


def test_login_form_follows_next(client, member, series):
    response = client.post(
        reverse("login"), {"username": "ada", "password": PASSWORD, "next": "/series/ml-club/"}
    )

    assertRedirects(response, "/series/ml-club/")


def test_login_form_wrong_password_shows_error_and_keeps_username(client, member):
    response = client.post(reverse("login"), {"username": "ada", "password": "not my password"})

    assert response.status_code == 200
    assertContains(
        response,
        "Please enter a correct username and password. Note that both fields may be case-sensitive.",
    )
    assert Page(response.content).input_value("username") == "ada"
    assert signed_in_user_id(client) is None


def test_logout_by_post_signs_out(member_client):
    response = member_client.post(reverse("logout"), follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert signed_in_user_id(member_client) is None
    assertContains(response, '<a href="/accounts/login/?next=/">Sign in</a>', html=True)
    assertNotContains(response, "Ada Lovelace")


# Passwords


def test_password_change_form_sets_new_password(member_client, member):
    response = member_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [("/accounts/password/change/done/", 302)]
    assertContains(response, "Your password is changed.")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # The session survives the change.
    assert signed_in_user_id(member_client) == str(member.pk)


def test_password_change_form_wrong_old_password_keeps_password(member_client, member):
    response = member_client.post(
        reverse("password_change"),
        {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assertContains(response, "Your old password was entered incorrectly. Please enter it again.")
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_password_reset_emails_link_that_sets_new_password(client, member, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "ada@example.org"})

    assertRedirects(response, "/accounts/password/reset/sent/")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ada@example.org"]
    assert email.body.startswith("Hello Ada Lovelace,")
    link = RESET_LINK.search(email.body).group(1)

    form_page = client.get(link, follow=True)
    assertContains(form_page, "Choose a new password")
    assertContains(form_page, 'name="new_password1"')
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assertRedirects(done, "/accounts/password/reset/done/")

    login = client.post(reverse("login"), {"username": "ada", "password": NEW_PASSWORD})
    assertRedirects(login, "/")
    assert signed_in_user_id(client) == str(member.pk)


def test_password_reset_email_names_site(client, member, mailoutbox):
    client.post(reverse("password_reset"), {"email": "ada@example.org"})

    assert mailoutbox[0].subject == "Reset your clubsite password"
    assert 'your account "ada" on clubsite.' in mailoutbox[0].body


def test_password_reset_link_works_once(client, member, mailoutbox):
    client.post(reverse("password_reset"), {"email": "ada@example.org"})
    link = RESET_LINK.search(mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(link, follow=True)

    assertContains(again, "This link has expired or has already been used.")
    assertNotContains(again, 'name="new_password1"')


def test_password_reset_unknown_email_sends_nothing_and_looks_the_same(client, member, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert response.redirect_chain == [("/accounts/password/reset/sent/", 302)]
    assertContains(response, "<h1>Check your email</h1>", html=True)
    assert mailoutbox == []


# Invitations: sending


def test_invitation_create_by_organiser_saves_row_and_emails_link(
    organiser_client, organiser, series, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(
        organiser_client, django_capture_on_commit_callbacks, email="new@example.org", series=series.pk
    )

    assertRedirects(response, "/accounts/invite/", fetch_redirect_response=False)
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.series, invitation.invited_by) == (
        "new@example.org",
        series,
        organiser,
    )
    assert invitation.accepted_at is None
    assert invitation.sent_at is not None
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["new@example.org"]
    assert email.subject == "Grace Hopper invites you to clubsite: IGR-data ML Club"
    assert INVITE_LINK.search(email.body)
    assert "expires in 14 days" in email.body
    page = organiser_client.get(response.url)
    assertContains(page, "Invitation sent to new@example.org.")


def test_invitation_create_refused_to_member(
    member_client, series, mailoutbox, django_capture_on_commit_callbacks
):
    page = member_client.get(reverse("invitation-create"))
    response = invite(
        member_client, django_capture_on_commit_callbacks, email="new@example.org", series=series.pk
    )

    assert page.status_code == 403
    assertNotContains(page, "Send invitation", status_code=403)
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invitation_create_visitor_sent_to_sign_in(client, db):
    response = client.get(reverse("invitation-create"))

    assertRedirects(response, "/accounts/login/?next=/accounts/invite/")


def test_invitation_create_existing_account_email_is_form_error(
    organiser_client, series, member, mailoutbox, django_capture_on_commit_callbacks
):
    response = invite(organiser_client, django_capture_on_commit_callbacks, email="ADA@example.org")

    assert response.status_code == 200
    assertContains(response, "Someone with this email address already has an account.")
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invitation_create_series_limited_to_organised_ones(
    client, series, mailoutbox, django_capture_on_commit_callbacks
):
    outsider = UserFactory(username="katherine")
    Series.objects.create(name="Robotics", slug="robotics").organisers.add(outsider)
    client.force_login(outsider)

    response = invite(client, django_capture_on_commit_callbacks, email="new@example.org", series=series.pk)

    assertContains(response, "Select a valid choice.")
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_invitation_create_replaces_earlier_unused_invitation(
    organiser, series, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=False):
        first, first_token = accounts.invitation_create(email="new@example.org", invited_by=organiser)
        _second, second_token = accounts.invitation_create(email="NEW@example.org", invited_by=organiser)

    first.refresh_from_db()
    assert not first.is_usable
    assert client.get(reverse("invitation-accept", args=[first_token])).status_code == 410
    assertContains(client.get(reverse("invitation-accept", args=[second_token])), "Create my account")


def test_invitation_token_stored_only_as_sha256(
    organiser_client, series, mailoutbox, django_capture_on_commit_callbacks
):
    invite(organiser_client, django_capture_on_commit_callbacks, email="new@example.org", series=series.pk)
    token = INVITE_LINK.search(mailoutbox[0].body).group(1)

    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Invitation._meta.db_table}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])


def test_invitation_send_task_twice_sends_one_email(
    organiser, series, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation, token = accounts.invitation_create(
            email="new@example.org", invited_by=organiser, series=series
        )
    assert len(callbacks) == 1

    invitation_send(invitation_id=invitation.pk, token=token)
    invitation_send(invitation_id=invitation.pk, token=token)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.org"]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_invitation_send_task_gone_invitation_sends_nothing(mailoutbox, db):
    invitation_send(invitation_id=987654, token="whatever")

    assert mailoutbox == []


class RefusingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_invitation_send_failure_releases_claim_for_retry(settings, organiser, mailoutbox):
    invitation, token = make_invitation(invited_by=organiser)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingEmailBackend"

    with pytest.raises(ConnectionRefusedError):
        invitation_send(invitation_id=invitation.pk, token=token)
    invitation.refresh_from_db()
    assert invitation.sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invitation_send(invitation_id=invitation.pk, token=token)
    assert len(mailoutbox) == 1


# Invitations: accepting


def test_invitation_link_shows_accept_form(client, organiser, series):
    _invitation, token = make_invitation(invited_by=organiser, series=series)

    response = client.get(reverse("invitation-accept", args=[token]))

    assertContains(response, "<h1>Join clubsite</h1>", html=True)
    assertContains(response, "You were invited as <strong>new@example.org</strong> to IGR-data ML Club.")
    assert Page(response.content).input_value("username") is None
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_invitation_accept_creates_member_and_signs_in(client, organiser, series):
    invitation, token = make_invitation(invited_by=organiser, series=series)

    response = client.post(
        reverse("invitation-accept", args=[token]),
        {
            "username": "newbie",
            "display_name": "Barbara Liskov",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert response.redirect_chain == [("/", 302)]
    user = User.objects.get(username="newbie")
    assert (user.email, user.display_name, user.is_active) == ("new@example.org", "Barbara Liskov", True)
    assert user.check_password(NEW_PASSWORD)
    assert list(series.members.filter(pk=user.pk)) == [user]
    assert signed_in_user_id(client) == str(user.pk)
    assertContains(response, "Welcome, Barbara Liskov! Your account is ready.")
    invitation.refresh_from_db()
    assert invitation.accepted_user == user
    assert invitation.accepted_at is not None


def test_invitation_accept_link_second_time_is_gone(client, organiser, series):
    _invitation, token = make_invitation(invited_by=organiser, series=series)
    url = reverse("invitation-accept", args=[token])
    client.post(url, {"username": "newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()

    page = client.get(url)
    again = client.post(url, {"username": "other", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assertContains(page, "This invitation cannot be used", status_code=410)
    assertContains(again, "This invitation cannot be used", status_code=410)
    assert not User.objects.filter(username="other").exists()


def test_invitation_accept_expired_is_gone(client, organiser):
    _invitation, token = make_invitation(invited_by=organiser, expires_in=-timedelta(minutes=1))

    response = client.get(reverse("invitation-accept", args=[token]))

    assertContains(response, "This invitation cannot be used", status_code=410)


def test_invitation_accept_unknown_token_is_gone(client, db):
    response = client.get(reverse("invitation-accept", args=["not-a-token"]))

    assertContains(response, "This invitation cannot be used", status_code=410)


def test_invitation_accept_mismatched_passwords_is_form_error(client, organiser):
    _invitation, token = make_invitation(invited_by=organiser)

    response = client.post(
        reverse("invitation-accept", args=[token]),
        {"username": "newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"},
    )

    assertContains(response, "The two passwords differ.")
    assert Page(response.content).input_value("username") == "newbie"
    assert not User.objects.filter(username="newbie").exists()
    assert signed_in_user_id(client) is None


def test_invitation_accept_weak_password_is_form_error(client, organiser):
    _invitation, token = make_invitation(invited_by=organiser)

    response = client.post(
        reverse("invitation-accept", args=[token]),
        {"username": "newbie", "password1": "password", "password2": "password"},
    )

    assertContains(response, "This password is too common.")
    assert Page(response.content).input_value("username") == "newbie"
    assert not User.objects.filter(username="newbie").exists()


def test_invitation_accept_password_like_email_is_form_error(client, organiser):
    _invitation, token = make_invitation(email="barbara.liskov@example.org", invited_by=organiser)

    response = client.post(
        reverse("invitation-accept", args=[token]),
        {"username": "newbie", "password1": "barbara.liskov@example", "password2": "barbara.liskov@example"},
    )

    assertContains(response, "The password is too similar to the email address.")
    assert not User.objects.filter(username="newbie").exists()


def test_invitation_accept_taken_username_is_form_error(client, organiser, member):
    invitation, token = make_invitation(invited_by=organiser)

    response = client.post(
        reverse("invitation-accept", args=[token]),
        {"username": "ADA", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assertContains(response, "That username is taken; please choose another.")
    assert Page(response.content).input_value("username") == "ADA"
    assert User.objects.filter(username__iexact="ada").count() == 1
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_invitation_accept_email_taken_since_invitation_is_form_error(client, organiser, member):
    invitation, token = make_invitation(email="late@example.org", invited_by=organiser)
    member.email = "LATE@example.org"
    member.save()

    response = client.post(
        reverse("invitation-accept", args=[token]),
        {"username": "newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assertContains(response, "An account with this email address already exists.")
    assert not User.objects.filter(username="newbie").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_invitation_accepted_member_signs_in_with_login_form(client, organiser):
    _invitation, token = make_invitation(invited_by=organiser)
    client.post(
        reverse("invitation-accept", args=[token]),
        {"username": "newbie", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    client.post(reverse("logout"))

    response = client.post(reverse("login"), {"username": "newbie", "password": NEW_PASSWORD})

    assertRedirects(response, "/")
    assert signed_in_user_id(client) == str(User.objects.get(username="newbie").pk)


def test_invitation_accept_service_refuses_used_token(organiser):
    _invitation, token = make_invitation(invited_by=organiser)
    accounts.invitation_accept(token=token, username="newbie", password=NEW_PASSWORD)

    with pytest.raises(accounts.ValidationError) as excinfo:
        accounts.invitation_accept(token=token, username="second", password=NEW_PASSWORD)

    assert excinfo.value.messages == ["This invitation link has expired or has already been used."]
    assert not User.objects.filter(username="second").exists()


# Purging old invitations


def test_invitations_purge_expired_deletes_only_long_expired_unaccepted(organiser, member):
    _old, _ = make_invitation(email="old@example.org", expires_in=-timedelta(days=31))
    recent, _ = make_invitation(email="recent@example.org", expires_in=-timedelta(days=29))
    accepted, _ = make_invitation(
        email="joined@example.org",
        expires_in=-timedelta(days=90),
        accepted_at=timezone.now() - timedelta(days=100),
        accepted_user=member,
    )
    waiting, _ = make_invitation(email="waiting@example.org")

    deleted = invitations_purge_expired()

    assert deleted == 1
    assert set(Invitation.objects.values_list("pk", flat=True)) == {recent.pk, accepted.pk, waiting.pk}


# Profile


def test_profile_requires_sign_in(client, db):
    response = client.get(reverse("profile"))

    assertRedirects(response, "/accounts/login/?next=/accounts/profile/")


def test_profile_saves_name_email_and_preferences(member_client, member):
    response = member_client.post(
        reverse("profile"),
        {
            "display_name": "Ada King",
            "email": "countess@example.org",
            "notify_minutes": "on",
            "notify_speaker": "on",
        },
        follow=True,
    )

    assert response.redirect_chain == [("/accounts/profile/", 302)]
    assertContains(response, "Your profile is saved.")
    member.refresh_from_db()
    assert (member.display_name, member.email) == ("Ada King", "countess@example.org")
    assert (member.notify_minutes, member.notify_assignments, member.notify_speaker) == (True, False, True)
    assertContains(response, '<a href="/accounts/profile/">Ada King</a>', html=True)


@pytest.mark.parametrize("email", ["alan@example.org", "ALAN@EXAMPLE.ORG", "Alan@example.org"])
def test_profile_refuses_email_of_another_account(member_client, member, other_member, email):
    response = member_client.post(
        reverse("profile"), {"display_name": "Ada Lovelace", "email": email, "notify_minutes": "on"}
    )

    assertContains(response, "Another account already uses this email address.")
    member.refresh_from_db()
    assert member.email == "ada@example.org"


def test_profile_keeps_own_email_in_other_case(member_client, member):
    response = member_client.post(
        reverse("profile"), {"display_name": "Ada Lovelace", "email": "Ada@example.org"}
    )

    assertRedirects(response, "/accounts/profile/")
    member.refresh_from_db()
    assert member.email == "Ada@example.org"


def test_user_email_unique_ignoring_case_in_database(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="impostor", email="ADA@EXAMPLE.ORG")

    assert User.objects.filter(email__iexact="ada@example.org").count() == 1


def test_user_email_blank_allowed_for_many(db):
    UserFactory(username="one", email="")
    UserFactory(username="two", email="")

    assert User.objects.filter(email="").count() == 2


def test_profile_offers_invite_link_only_to_organisers(client, member, organiser, series):
    client.force_login(member)
    member_page = client.get(reverse("profile"))
    client.force_login(organiser)
    organiser_page = client.get(reverse("profile"))

    assertNotContains(member_page, "Invite a new member")
    assertContains(organiser_page, '<a href="/accounts/invite/">Invite a new member</a>', html=True)


# First-run setup


def run_setup_site(*args):
    out = StringIO()
    call_command("setup_site", *args, stdout=out)
    return out.getvalue()


def test_setup_site_first_run_creates_organiser_with_working_password(db):
    output = run_setup_site("--no-demo")

    password = re.search(r"^\s+password: (\S+)$", output, re.MULTILINE).group(1)
    organiser = User.objects.get(username="organiser")
    assert (organiser.is_staff, organiser.is_superuser, organiser.display_name) == (True, True, "Organiser")
    assert authenticate(username="organiser", password=password) == organiser
    assert "username: organiser" in output


def test_setup_site_second_run_prints_no_password(db):
    run_setup_site("--no-demo")

    output = run_setup_site("--no-demo")

    assert output == (
        "Organiser account 'organiser' exists. For a new password: "
        "make password (or manage.py organiser_password organiser).\n"
    )
    assert User.objects.filter(username="organiser").count() == 1


def test_setup_site_json_gives_the_new_password_once(db):
    first = json.loads(run_setup_site("--no-demo", "--json"))
    second = json.loads(run_setup_site("--no-demo", "--json"))

    assert first["username"] == "organiser" and first["demo"] is False
    assert authenticate(username="organiser", password=first["password"]) == User.objects.get(
        username="organiser"
    )
    assert second == {"username": "organiser", "password": None, "demo": False}


def test_organiser_password_sets_and_prints_a_new_password(db):
    old = json.loads(run_setup_site("--no-demo", "--json"))["password"]
    out = StringIO()

    call_command("organiser_password", stdout=out)

    new = re.search(r"^\s+password: (\S+)$", out.getvalue(), re.MULTILINE).group(1)
    organiser = User.objects.get(username="organiser")
    assert new != old
    assert authenticate(username="organiser", password=new) == organiser
    assert authenticate(username="organiser", password=old) is None


def test_organiser_password_names_a_missing_account(db):
    with pytest.raises(CommandError, match="There is no account 'nobody'"):
        call_command("organiser_password", "nobody", stdout=StringIO())


def test_setup_site_other_username_after_first_run_creates_second_organiser(db):
    run_setup_site("--no-demo")

    output = run_setup_site("--no-demo", "--username", "admin")

    assert "    username: admin\n" in output
    assert User.objects.get(username="admin").is_superuser


def test_organiser_ensure_password_differs_between_fresh_databases(db):
    _first_user, first = accounts.organiser_ensure()
    User.objects.filter(username="organiser").delete()
    _second_user, second = accounts.organiser_ensure()

    assert first and second
    assert first != second
    assert len(second) >= 16


def test_setup_site_loads_demo_club_once(db):
    first_output = run_setup_site()
    meetings_after_first = Meeting.objects.count()

    second_output = run_setup_site()

    assert "Loaded the demo club 'IGR-data Machine Learning Club'." in first_output
    assert "Loaded the demo club" not in second_output
    # The demo is the two sample documents, imported (meetings/demo/*.md).
    assert sorted(Series.objects.values_list("slug", flat=True)) == ["dl-hackathon", "ml-club"]
    for series in Series.objects.all():
        assert list(series.organisers.values_list("username", flat=True)) == ["organiser"]
    assert meetings_after_first == Meeting.objects.count() == 1 + 8
    held = Meeting.objects.get(status=Meeting.Status.HELD)
    assert (held.series.slug, held.title, held.local_start.date().isoformat()) == (
        "ml-club",
        "Meeting 1",
        "2020-10-12",
    )
    for kind, words in [
        (Minutes.Kind.MINUTES, "look up what a GAN is"),
        (Minutes.Kind.RECAP, "what is a GAN"),
    ]:
        minutes = Minutes.objects.get(meeting=held, kind=kind)
        assert minutes.revision == 1
        assert words in minutes.body
        assert MinutesRevision.objects.filter(minutes=minutes).count() == 1


# Health and layout


def test_healthz_returns_ok(client, db):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain"


def test_base_layout_landmarks_nav_and_local_assets(member_client, series):
    response = member_client.get("/")
    page = Page(response.content)

    mains = [attrs for tag, attrs in page.tags if tag == "main"]
    assert len(mains) == 1
    skip_links = [attrs for tag, attrs in page.tags if tag == "a" and attrs.get("class") == "skip-link"]
    assert [a["href"] for a in skip_links] == [f"#{mains[0]['id']}"]
    assertContains(response, '<a class="skip-link" href="#main">Skip to content</a>', html=True)

    expected_nav = [("Meetings", "/series/")]
    for label, name in [
        ("Research", "research-board"),
        ("Library", "library"),
        ("Reading lists", "readinglist-list"),
    ]:
        with contextlib.suppress(NoReverseMatch):
            expected_nav.append((label, reverse(name)))
    assert page.nav_links == expected_nav

    assets = [attrs["src"] for tag, attrs in page.tags if tag == "script" and "src" in attrs]
    assets += [attrs["href"] for tag, attrs in page.tags if tag == "link" and "href" in attrs]
    assert assets
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
