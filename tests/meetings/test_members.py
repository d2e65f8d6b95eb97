"""A series' members: organisers add accounts, invite newcomers and remove members; members
leave; organisers are always members; OPEN_MEMBERSHIP makes every account a member."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from meetings.models import Invitation, Series
from meetings.services.series import series_member_remove, series_save
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committee(organiser, member):
    return SeriesFactory(
        name="Committee",
        slug="committee",
        visibility="members",
        organisers=[organiser],
        members=[organiser, member],
    )


def members_url(series) -> str:
    return reverse("series-members", kwargs={"slug": series.slug})


def remove_url(series, user) -> str:
    return reverse("series-member-remove", kwargs={"slug": series.slug, "user_pk": user.pk})


def member_names(series) -> list[str]:
    return sorted(series.members.values_list("username", flat=True))


# The page


def test_members_page_lists_members_with_organisers_first_and_is_linked_from_the_series(
    organiser_client, committee
):
    series_page = organiser_client.get(committee.get_absolute_url()).content.decode()
    assert f'href="{members_url(committee)}"' in series_page

    response = organiser_client.get(members_url(committee))

    assert response.status_code == 200
    content = response.content.decode()
    assert content.index("Grace Hopper") < content.index("Ada Lovelace")
    assert '<span class="badge ok">organiser</span>' in content
    assert "Add or invite" in content
    assert content.count("Remove</button>") == 1  # Ada, not the organiser


def test_members_page_is_for_members_only(client, committee, member, other_member):
    client.force_login(member)
    response = client.get(members_url(committee))
    assert response.status_code == 200
    assert "Add or invite" not in response.content.decode()
    assert "Leave Committee" in response.content.decode()

    client.force_login(other_member)
    assert client.get(members_url(committee)).status_code == 404
    assert f'href="{members_url(committee)}"' not in client.get(reverse("series-list")).content.decode()


def test_members_page_of_a_public_series_is_not_shown_to_other_accounts(client, series, other_member):
    client.force_login(other_member)

    assert client.get(series.get_absolute_url()).status_code == 200
    assert f'href="{members_url(series)}"' not in client.get(series.get_absolute_url()).content.decode()
    response = client.get(members_url(series))
    assert response.status_code == 403
    assert "Ada Lovelace" not in response.content.decode()


def test_members_page_sends_visitors_to_sign_in(client, committee):
    response = client.get(members_url(committee))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Adding


def test_organiser_adds_an_existing_account_by_username_and_it_reads_the_series(
    organiser_client, committee, other_member
):
    meeting = MeetingFactory(series=committee, title="Budget")
    reader = Client()
    reader.force_login(other_member)
    assert reader.get(meeting.get_absolute_url()).status_code == 404

    response = organiser_client.post(members_url(committee), {"who": "ALAN"}, follow=True)

    assert response.redirect_chain == [(members_url(committee), 302)]
    assert "Alan Turing is now a member of Committee." in response.content.decode()
    assert member_names(committee) == ["ada", "alan", "grace"]
    assert reader.get(meeting.get_absolute_url()).status_code == 200


def test_organiser_adds_an_existing_account_by_email(organiser_client, committee, other_member):
    organiser_client.post(members_url(committee), {"who": "Alan@Example.org"})

    assert "alan" in member_names(committee)


def test_adding_someone_twice_says_so(organiser_client, committee):
    response = organiser_client.post(members_url(committee), {"who": "ada"}, follow=True)

    assert "Ada Lovelace is already a member." in response.content.decode()
    assert member_names(committee) == ["ada", "grace"]


def test_adding_an_unknown_name_keeps_what_was_typed_and_says_what_to_do(organiser_client, committee):
    response = organiser_client.post(members_url(committee), {"who": "nobody-here"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "No account is called “nobody-here”. Give an email address to invite someone new." in content
    assert 'value="nobody-here"' in content
    assert member_names(committee) == ["ada", "grace"]


def test_adding_a_deactivated_account_is_refused(organiser_client, committee):
    UserFactory(username="gone", is_active=False)

    response = organiser_client.post(members_url(committee), {"who": "gone"})

    assert response.status_code == 400
    assert "account is deactivated" in response.content.decode()
    assert "gone" not in member_names(committee)


def test_inviting_an_address_makes_the_newcomer_a_member_when_they_accept(
    organiser_client, committee, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(series=committee, title="Budget")
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(members_url(committee), {"who": "newbie@example.org"}, follow=True)

    assert "Invitation sent to newbie@example.org; they join Committee when they accept." in (
        response.content.decode()
    )
    assert "newbie@example.org" in response.content.decode()  # waiting invitations
    invitation = Invitation.objects.get(email="newbie@example.org")
    assert invitation.series == committee
    (email,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/invitation/(\S+)/", email.body)
    newcomer = Client()
    password = "a long and unusual passphrase"
    response = newcomer.post(
        reverse("invitation-accept", args=[link.group(1)]),
        {"username": "newbie", "display_name": "", "password1": password, "password2": password},
    )
    assert response.status_code == 302

    assert "newbie" in member_names(committee)
    assert newcomer.get(meeting.get_absolute_url()).status_code == 200


def test_only_organisers_add_members(client, committee, member):
    client.force_login(member)

    response = client.post(members_url(committee), {"who": "alan"})

    assert response.status_code == 403
    assert member_names(committee) == ["ada", "grace"]


def test_member_forms_need_the_csrf_token(committee, organiser, member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(organiser)

    assert browser.post(members_url(committee), {"who": "alan"}).status_code == 403
    assert browser.post(remove_url(committee, member)).status_code == 403
    assert member_names(committee) == ["ada", "grace"]


# Removing and leaving


def test_organiser_removes_a_member_who_then_cannot_read_the_series(organiser_client, committee, member):
    committee.speaker_pool.add(member)
    meeting = MeetingFactory(series=committee)
    reader = Client()
    reader.force_login(member)
    assert reader.get(meeting.get_absolute_url()).status_code == 200

    response = organiser_client.post(remove_url(committee, member), follow=True)

    assert "Ada Lovelace is no longer a member. They may still have the calendar address" in (
        response.content.decode()
    )
    assert member_names(committee) == ["grace"]
    assert not committee.speaker_pool.exists()
    assert reader.get(meeting.get_absolute_url()).status_code == 404


def test_an_organiser_cannot_be_removed_from_the_members(organiser_client, committee, organiser):
    response = organiser_client.post(remove_url(committee, organiser), follow=True)

    assert "Grace Hopper organises Committee: take them off the organisers (Edit series) first." in (
        response.content.decode()
    )
    assert "grace" in member_names(committee)


def test_removing_someone_who_is_not_a_member_is_404(organiser_client, committee, other_member):
    assert organiser_client.post(remove_url(committee, other_member)).status_code == 404


def test_removing_is_for_organisers_and_post_only(client, committee, member, organiser):
    client.force_login(member)
    assert client.post(remove_url(committee, organiser)).status_code == 403
    client.force_login(organiser)
    assert client.get(remove_url(committee, member)).status_code == 405
    assert member_names(committee) == ["ada", "grace"]


def test_a_member_leaves_and_can_no_longer_read_it(client, committee, member):
    client.force_login(member)

    response = client.post(reverse("series-leave", kwargs={"slug": committee.slug}), follow=True)

    assert response.redirect_chain == [(reverse("series-list"), 302)]
    assert "You have left Committee." in response.content.decode()
    assert member_names(committee) == ["grace"]
    assert client.get(committee.get_absolute_url()).status_code == 404


def test_a_member_leaving_a_public_series_goes_back_to_it(client, series, member):
    client.force_login(member)

    response = client.post(reverse("series-leave", kwargs={"slug": series.slug}))

    assert response["Location"] == series.get_absolute_url()
    assert "ada" not in member_names(series)


def test_an_organiser_cannot_leave(organiser_client, committee):
    response = organiser_client.post(reverse("series-leave", kwargs={"slug": committee.slug}))

    assert response.status_code == 403
    assert "grace" in member_names(committee)
    assert "Leave Committee" not in organiser_client.get(members_url(committee)).content.decode()


# Organisers are always members


def test_series_save_makes_its_organisers_members(organiser, other_member):
    series = series_save(
        series=Series(name="New", slug="new", visibility="members"), by=organiser, organisers=[other_member]
    )

    # Its creator organises it too; both belong.
    assert member_names(series) == ["alan", "grace"]
    series_save(series=series, by=organiser, organisers=[other_member], members=[])
    assert member_names(series) == ["alan"]


def test_series_member_remove_refuses_an_organiser(committee, organiser):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        series_member_remove(series=committee, user=organiser)


# OPEN_MEMBERSHIP


def test_open_membership_makes_every_account_a_member(client, committee, other_member, settings):
    meeting = MeetingFactory(series=committee, title="Budget")
    client.force_login(other_member)
    assert client.get(meeting.get_absolute_url()).status_code == 404

    settings.OPEN_MEMBERSHIP = True

    assert client.get(meeting.get_absolute_url()).status_code == 200
    assert "Budget" in client.get(reverse("dashboard")).content.decode()
    client.logout()
    assert client.get(meeting.get_absolute_url()).status_code == 404  # visitors still not


def test_the_demo_organiser_organises_and_belongs_to_the_demo_series(client):
    from io import StringIO

    from django.core.management import call_command

    call_command("setup_site", stdout=StringIO())

    for series in Series.objects.all():
        assert member_names(series) == ["ada", "alan", "organiser"], series.slug
        assert list(series.organisers.values_list("username", flat=True)) == ["organiser"]
    organiser = Series.objects.first().organisers.get()
    client.force_login(organiser)
    for series in Series.objects.all():
        page = client.get(members_url(series))
        assert page.status_code == 200 and "Add or invite" in page.content.decode()


def test_a_removed_members_talk_confirmation_link_stops_working(client, committee, member):
    from meetings.services import rota

    talk = TalkFactory(meeting=MeetingFactory(series=committee, title="Budget"), speaker=member)
    url = reverse("talk-confirm-token", kwargs={"token": rota.talk_confirm_token(talk=talk)})
    assert client.get(url).status_code == 200

    committee.members.remove(member)

    response = client.get(url)
    assert response.status_code == 410
    assert "Budget" not in response.content.decode()


def test_only_people_who_may_read_a_members_only_series_are_offered_as_its_speakers(
    organiser_client, committee, member, other_member
):
    meeting = MeetingFactory(series=committee)
    former = UserFactory(username="former", display_name="Former Speaker")
    TalkFactory(meeting=meeting, speaker=former, title="Old talk")  # gave a talk, then left

    content = organiser_client.get(reverse("meeting-edit", kwargs={"slug": "committee", "pk": meeting.pk}))
    options = content.content.decode()

    assert "Ada Lovelace" in options
    assert "Alan Turing" not in options  # another series' member
    assert options.count(">Former Speaker<") == 1  # the existing talk keeps its speaker; new ones cannot
