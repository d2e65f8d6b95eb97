from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from meetings.models import Meeting, SkipDate, Talk, Unavailability
from meetings.services import rota
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def club(organiser):
    """Fortnightly Monday 14:00 from 4 Jan 2027, two skip dates, five members in the pool."""
    series = SeriesFactory(
        name="ML Club",
        slug="ml",
        organisers=[organiser],
        weekday=0,
        cadence_weeks=2,
        anchor_date=date(2027, 1, 4),
        location="Room 2.14",
        video_link="https://meet.example.org/ml",
    )
    SkipDate.objects.create(series=series, date=date(2027, 2, 15), reason="Reading week")
    SkipDate.objects.create(series=series, date=date(2027, 3, 29), reason="Easter")
    pool = [UserFactory(username=f"p{n}", display_name=f"Person {n}") for n in range(1, 6)]
    series.speaker_pool.set(pool)
    Unavailability.objects.create(user=pool[0], date=date(2027, 1, 4), note="Conference")
    return series


def _pool(series):
    return list(series.speaker_pool.order_by("username"))


def _preview(series):
    return rota.rota_preview(series=series, start=date(2027, 1, 4), end=date(2027, 5, 24), pool=_pool(series))


def test_rota_preview_term_respects_skip_dates_unavailability_and_fairness(club):
    preview = _preview(club)

    assert [
        (row.date, row.kind, row.speaker.username if row.speaker else row.reason) for row in preview.rows
    ] == [
        (date(2027, 1, 4), "new", "p2"),  # p1 cannot present that day
        (date(2027, 1, 18), "new", "p1"),
        (date(2027, 2, 1), "new", "p3"),
        (date(2027, 2, 15), "skipped", "Reading week"),
        (date(2027, 3, 1), "new", "p4"),
        (date(2027, 3, 15), "new", "p5"),
        (date(2027, 3, 29), "skipped", "Easter"),
        (date(2027, 4, 12), "new", "p2"),
        (date(2027, 4, 26), "new", "p1"),
        (date(2027, 5, 10), "new", "p3"),
        (date(2027, 5, 24), "new", "p4"),
    ]
    assert [(user.username, count) for user, count in preview.counts] == [
        ("p1", 2),
        ("p2", 2),
        ("p3", 2),
        ("p4", 2),
        ("p5", 1),
    ]
    # 14:00 in London on both sides of the clocks going forward (28 March 2027).
    assert preview.rows[5].start == datetime(2027, 3, 15, 14, tzinfo=LONDON)
    assert preview.rows[7].start.astimezone(LONDON).hour == 14
    assert preview.rows[7].start.utcoffset().total_seconds() == 3600


def test_rota_preview_same_inputs_same_fingerprint(club):
    assert _preview(club).fingerprint == _preview(club).fingerprint


def test_rota_generate_creates_meetings_and_talks_and_asks_speakers_to_confirm(
    club, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    preview = _preview(club)

    with django_capture_on_commit_callbacks(execute=True):
        created = rota.rota_generate(
            series=club,
            start=date(2027, 1, 4),
            end=date(2027, 5, 24),
            pool=_pool(club),
            by=organiser,
            expected=preview.fingerprint,
        )

    assert len(created) == 9
    meetings = Meeting.objects.filter(series=club).order_by("start")
    assert [(m.local_start.date(), m.talks.get().speaker.username) for m in meetings] == [
        (row.date, row.speaker.username) for row in preview.new_rows
    ]
    first = meetings[0]
    assert (first.location, first.video_link, first.duration, first.status) == (
        "Room 2.14",
        "https://meet.example.org/ml",
        club.default_duration,
        "scheduled",
    )
    assert len(mailoutbox) == 9
    assert "[Action required] confirm your talk on Mon 4 Jan 2027" in [m.subject for m in mailoutbox]
    assert all(t.confirmation_requested_at for t in Talk.objects.filter(meeting__series=club))


def test_rota_generate_refuses_when_the_inputs_changed_since_the_preview(club, organiser):
    preview = _preview(club)
    Unavailability.objects.create(user=club.speaker_pool.get(username="p2"), date=date(2027, 1, 4))

    with pytest.raises(rota.RotaChanged) as caught:
        rota.rota_generate(
            series=club,
            start=date(2027, 1, 4),
            end=date(2027, 5, 24),
            pool=_pool(club),
            by=organiser,
            expected=preview.fingerprint,
        )

    assert not Meeting.objects.filter(series=club).exists()
    assert caught.value.preview.rows[0].speaker.username == "p3"


def test_rota_generate_again_keeps_existing_meetings_and_counts_their_speakers(club, organiser):
    p5 = club.speaker_pool.get(username="p5")
    kept = MeetingFactory(series=club, start=local(2027, 1, 18), title="Kept")
    TalkFactory(meeting=kept, speaker=p5, title="Mine")

    preview = _preview(club)
    rota.rota_generate(
        series=club,
        start=date(2027, 1, 4),
        end=date(2027, 5, 24),
        pool=_pool(club),
        by=organiser,
        expected=preview.fingerprint,
    )

    row = preview.rows[1]
    assert (row.kind, row.meeting) == ("existing", kept)
    kept.refresh_from_db()
    assert (kept.title, [t.title for t in kept.talks.all()]) == ("Kept", ["Mine"])
    assert Meeting.objects.filter(series=club).count() == 9
    # p5 already speaks in the term, so nobody gets a third talk while p5 has one.
    counts = {u.username: c for u, c in preview.counts}
    assert counts["p5"] == 1
    assert max(counts.values()) == 2

    again = _preview(club)
    assert again.new_rows == []


def test_rota_preview_past_talks_decide_who_goes_first(club):
    p1, p2, p3, p4, _p5 = _pool(club)
    for speaker, day in [(p1, 5), (p2, 12), (p3, 19), (p4, 26)]:
        TalkFactory(meeting=MeetingFactory(series=club, start=local(2026, 10, day)), speaker=speaker)

    preview = rota.rota_preview(series=club, start=date(2027, 1, 5), end=date(2027, 2, 28), pool=_pool(club))

    assert [row.speaker.username for row in preview.new_rows] == ["p5", "p1"]


def test_rota_preview_cancelled_speaker_goes_back_to_the_front(club, organiser):
    p1, p2, p3, p4, p5 = _pool(club)
    for speaker, day in [(p1, 5), (p2, 12), (p3, 19), (p4, 26), (p5, 27)]:
        TalkFactory(meeting=MeetingFactory(series=club, start=local(2026, 10, day)), speaker=speaker)
    cancelled = MeetingFactory(series=club, start=local(2026, 11, 2))
    TalkFactory(meeting=cancelled, speaker=p1)
    rota.rota_cancel(meeting=cancelled, by=organiser)

    preview = rota.rota_preview(series=club, start=date(2027, 1, 5), end=date(2027, 2, 28), pool=_pool(club))

    assert [row.speaker.username for row in preview.new_rows] == ["p1", "p2"]


def test_rota_preview_refuses_a_backwards_or_huge_range(club):
    with pytest.raises(Exception, match="ends before"):
        rota.rota_preview(series=club, start=date(2027, 2, 1), end=date(2027, 1, 1), pool=_pool(club))
    with pytest.raises(Exception, match="at most"):
        rota.rota_preview(series=club, start=date(2027, 1, 1), end=date(2029, 1, 1), pool=_pool(club))


# The pages


def _term_data(series, **extra):
    return {
        "start": "2027-01-04",
        "end": "2027-05-24",
        "pool": [u.pk for u in _pool(series)],
        **extra,
    }


def test_term_generate_page_preview_then_confirm(
    organiser_client, club, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("series-rota-generate", kwargs={"slug": club.slug})

    form = organiser_client.get(url)
    assert "Person 1 (p1)" in form.content.decode()

    preview = organiser_client.post(url, _term_data(club, action="preview"))
    html = preview.content.decode()
    assert preview.templates[0].name == "meetings/term_preview.html"
    assert "Reading week" in html and "Easter" in html
    assert "Confirm and create 9 meetings" in html
    assert not Meeting.objects.filter(series=club).exists()
    fingerprint = preview.context["preview"].fingerprint

    with django_capture_on_commit_callbacks(execute=True):
        done = organiser_client.post(url, _term_data(club, action="confirm", fingerprint=fingerprint))

    assert done.status_code == 302
    assert done["Location"] == reverse("series-rota", kwargs={"slug": club.slug})
    assert Meeting.objects.filter(series=club).count() == 9
    assert len(mailoutbox) == 9


def test_term_generate_confirm_shows_the_new_preview_when_the_rota_changed(organiser_client, club):
    url = reverse("series-rota-generate", kwargs={"slug": club.slug})
    fingerprint = (
        organiser_client.post(url, _term_data(club, action="preview")).context["preview"].fingerprint
    )
    Unavailability.objects.create(user=club.speaker_pool.get(username="p2"), date=date(2027, 1, 4))

    response = organiser_client.post(url, _term_data(club, action="confirm", fingerprint=fingerprint))

    assert response.status_code == 200
    assert "The rota changed since your preview" in response.content.decode()
    assert response.context["preview"].rows[0].speaker.username == "p3"
    assert not Meeting.objects.filter(series=club).exists()


def test_term_generate_refused_for_members_and_visitors(client, member, club):
    url = reverse("series-rota-generate", kwargs={"slug": club.slug})

    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(url, _term_data(club, action="confirm", fingerprint="x")).status_code == 403
    assert not Meeting.objects.filter(series=club).exists()


def test_skip_dates_added_and_removed_by_organisers_only(organiser_client, club, member, client):
    url = reverse("series-skip-dates", kwargs={"slug": club.slug})

    organiser_client.post(url, {"date": "2027-04-12", "reason": "Exams", "action": "add"})
    assert club.skip_dates.filter(date=date(2027, 4, 12), reason="Exams").exists()
    organiser_client.post(url, {"date": "2027-04-12", "action": "remove"})
    assert not club.skip_dates.filter(date=date(2027, 4, 12)).exists()

    other = UserFactory()
    client.force_login(other)
    assert client.post(url, {"date": "2027-04-19", "action": "add"}).status_code == 403
    assert not club.skip_dates.filter(date=date(2027, 4, 19)).exists()
