"""Who may see and change what (meetings/rules.py), asked the way views ask it.

Six people meet two series (one public, one members-only) and a meeting of each:
a visitor, a member of both, a deactivated account (once staff and organiser of both series),
the series' organiser, the organiser of some other series, and staff.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from meetings import rules as club_rules
from meetings.models import Minutes, Series
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory

USERS = ["visitor", "member", "inactive", "organiser", "other_organiser", "staff"]
EVERYONE = frozenset(USERS)
SIGNED_IN = EVERYONE - {"visitor", "inactive"}
# Members of the series, its organiser and staff: the organiser of another series is not one.
BELONGING = frozenset({"member", "organiser", "staff"})
ORGANISING = frozenset({"organiser", "staff"})

# perm: (who is allowed on the public series, who on the members-only series).
# A meeting is judged by its series, so the same table holds for meetings.
OBJECT_PERMS = {
    "view_series": (EVERYONE, BELONGING),
    "view_meeting": (EVERYONE, BELONGING),
    "change_series": (ORGANISING, ORGANISING),
    "add_meeting": (ORGANISING, ORGANISING),
    "change_meeting": (ORGANISING, ORGANISING),
    "edit_minutes": (BELONGING, BELONGING),
    "publish_minutes": (ORGANISING, ORGANISING),
}

# Asked without an object: may this person start a series or invite someone at all?
GLOBAL_PERMS = {
    "add_series": frozenset({"organiser", "other_organiser", "staff"}),
    "invite_member": frozenset({"organiser", "other_organiser", "staff"}),
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every test here makes several accounts; the production hasher takes ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(member, organiser, series, private_series):
    inactive = UserFactory(username="former", is_active=False, is_staff=True)
    series.organisers.add(inactive)
    private_series.organisers.add(inactive)
    other_organiser = UserFactory(username="katherine")
    SeriesFactory(name="Robotics reading group", slug="robotics", organisers=[other_organiser])
    return {
        "visitor": AnonymousUser(),
        "member": member,
        "inactive": inactive,
        "organiser": organiser,
        "other_organiser": other_organiser,
        "staff": UserFactory(username="admin", is_staff=True),
    }


@pytest.fixture
def targets(series, private_series):
    return {
        ("series", "public"): series,
        ("series", "members"): private_series,
        ("meeting", "public"): MeetingFactory(series=series),
        ("meeting", "members"): MeetingFactory(series=private_series),
    }


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("visibility", ["public", "members"])
@pytest.mark.parametrize("kind", ["series", "meeting"])
@pytest.mark.parametrize("perm", sorted(OBJECT_PERMS))
def test_object_permission_table(people, targets, perm, kind, visibility, who):
    obj = targets[(kind, visibility)]
    allowed = OBJECT_PERMS[perm][0 if visibility == "public" else 1]

    result = people[who].has_perm(f"meetings.{perm}", obj)

    assert result is (who in allowed)


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("perm", sorted(GLOBAL_PERMS))
def test_global_permission_table(people, perm, who):
    result = people[who].has_perm(f"meetings.{perm}")

    assert result is (who in GLOBAL_PERMS[perm])


def test_view_series_members_only_refused_to_visitor(private_series):
    assert AnonymousUser().has_perm("meetings.view_series", private_series) is False


def test_view_series_public_allowed_to_visitor(series):
    assert AnonymousUser().has_perm("meetings.view_series", series) is True


def test_change_series_refused_to_organiser_after_removal(series, organiser):
    series.organisers.remove(organiser)

    assert organiser.has_perm("meetings.change_series", series) is False


def test_change_series_allowed_to_member_made_organiser(series, member):
    series.organisers.add(member)

    assert member.has_perm("meetings.change_series", series) is True


def test_edit_minutes_refused_after_deactivation(series, member):
    meeting = MeetingFactory(series=series)
    member.is_active = False
    member.save()

    assert member.has_perm("meetings.edit_minutes", meeting) is False


# The predicates themselves


def test_is_member_predicate(member):
    inactive = UserFactory(is_active=False)

    assert club_rules.is_member.test(member) is True
    assert club_rules.is_member.test(inactive) is False
    assert club_rules.is_member.test(AnonymousUser()) is False
    assert club_rules.is_member.test(None) is False


def test_is_staff_predicate(member):
    staff = UserFactory(is_staff=True)
    inactive_staff = UserFactory(is_staff=True, is_active=False)

    assert club_rules.is_staff.test(staff) is True
    assert club_rules.is_staff.test(member) is False
    assert club_rules.is_staff.test(inactive_staff) is False
    assert club_rules.is_staff.test(AnonymousUser()) is False


def test_is_organiser_predicate_follows_objects_to_their_series(series, organiser, member):
    meeting = MeetingFactory(series=series)
    minutes = Minutes.objects.create(meeting=meeting, kind=Minutes.Kind.MINUTES)
    talk = TalkFactory(meeting=meeting, speaker=member)

    for obj in (series, meeting, minutes, talk):
        assert club_rules.is_organiser.test(organiser, obj) is True, obj
        assert club_rules.is_organiser.test(member, obj) is False, obj
        assert club_rules.is_organiser.test(AnonymousUser(), obj) is False, obj


def test_is_organiser_predicate_refuses_inactive_organiser(series, organiser):
    organiser.is_active = False
    organiser.save()

    assert club_rules.is_organiser.test(organiser, series) is False


def test_is_organiser_predicate_without_object_is_false(organiser):
    assert club_rules.is_organiser.test(organiser, None) is False


def test_is_organiser_predicate_uses_prefetched_organisers(
    series, organiser, member, django_assert_num_queries
):
    prefetched = Series.objects.prefetch_related("organisers").get(pk=series.pk)

    with django_assert_num_queries(0):
        assert club_rules.is_organiser.test(organiser, prefetched) is True
        assert club_rules.is_organiser.test(member, prefetched) is False


def test_is_organiser_predicate_rejects_unrelated_object(organiser, member):
    with pytest.raises(TypeError, match="No series for User"):
        club_rules.is_organiser.test(organiser, member)


def test_is_any_organiser_predicate(organiser, member, series):
    inactive_organiser = UserFactory(is_active=False)
    series.organisers.add(inactive_organiser)

    assert club_rules.is_any_organiser.test(organiser) is True
    assert club_rules.is_any_organiser.test(member) is False
    assert club_rules.is_any_organiser.test(inactive_organiser) is False
    assert club_rules.is_any_organiser.test(AnonymousUser()) is False


def test_is_public_predicate(series, private_series):
    visitor = AnonymousUser()

    assert club_rules.is_public.test(visitor, series) is True
    assert club_rules.is_public.test(visitor, MeetingFactory(series=series)) is True
    assert club_rules.is_public.test(visitor, private_series) is False
    assert club_rules.is_public.test(visitor, MeetingFactory(series=private_series)) is False
    assert club_rules.is_public.test(visitor, None) is False
