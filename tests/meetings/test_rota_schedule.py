from datetime import date

import pytest
from django.core.exceptions import ValidationError

from meetings.models import Series, SkipDate
from meetings.services import rota
from tests.factories import SeriesFactory

pytestmark = pytest.mark.django_db

MONDAY, WEDNESDAY, FRIDAY = 0, 2, 4


def test_schedule_fortnightly_counts_weeks_from_the_anchor_so_two_clubs_alternate():
    ours = SeriesFactory(weekday=MONDAY, cadence_weeks=2, anchor_date=date(2027, 1, 4))
    theirs = SeriesFactory(weekday=MONDAY, cadence_weeks=2, anchor_date=date(2027, 1, 11))

    ours_dates = rota.schedule_dates(series=ours, start=date(2027, 2, 1), end=date(2027, 3, 7))
    theirs_dates = rota.schedule_dates(series=theirs, start=date(2027, 2, 1), end=date(2027, 3, 7))

    assert ours_dates == [date(2027, 2, 1), date(2027, 2, 15), date(2027, 3, 1)]
    assert theirs_dates == [date(2027, 2, 8), date(2027, 2, 22)]


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [
        (1, [date(2027, 1, 6), date(2027, 1, 13), date(2027, 1, 20), date(2027, 1, 27)]),
        (3, [date(2027, 1, 6), date(2027, 1, 27)]),
        (4, [date(2027, 1, 13)]),
    ],
)
def test_schedule_every_n_weeks_on_the_weekday(weeks, expected):
    series = SeriesFactory(weekday=WEDNESDAY, cadence_weeks=weeks, anchor_date=date(2026, 12, 16))

    assert rota.schedule_dates(series=series, start=date(2027, 1, 1), end=date(2027, 1, 31)) == expected


def test_schedule_anchor_before_the_range_and_on_another_weekday_snaps_to_the_series_weekday():
    # 2027-01-01 is a Friday: the series meets on the Monday of the anchor's week onwards.
    series = SeriesFactory(weekday=MONDAY, cadence_weeks=2, anchor_date=date(2027, 1, 1))

    assert rota.schedule_dates(series=series, start=date(2027, 1, 1), end=date(2027, 1, 31)) == [
        date(2027, 1, 4),
        date(2027, 1, 18),
    ]


def test_schedule_without_anchor_starts_at_the_first_weekday_of_the_range():
    series = SeriesFactory(weekday=FRIDAY, cadence_weeks=2, anchor_date=None)

    assert rota.schedule_dates(series=series, start=date(2027, 1, 2), end=date(2027, 1, 31)) == [
        date(2027, 1, 8),
        date(2027, 1, 22),
    ]


@pytest.mark.parametrize(
    ("nth", "expected"),
    [
        (1, [date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)]),
        (2, [date(2027, 1, 11), date(2027, 2, 8), date(2027, 3, 8)]),
        (-1, [date(2027, 1, 25), date(2027, 2, 22), date(2027, 3, 29)]),
        (5, [date(2027, 3, 29)]),  # only March 2027 has a fifth Monday
    ],
)
def test_schedule_nth_weekday_of_each_month(nth, expected):
    series = SeriesFactory(weekday=MONDAY, schedule=Series.Schedule.MONTHLY, month_week=nth)

    assert rota.schedule_dates(series=series, start=date(2027, 1, 1), end=date(2027, 3, 31)) == expected


def test_schedule_monthly_without_a_week_is_an_error():
    series = SeriesFactory(schedule=Series.Schedule.MONTHLY, month_week=None)

    with pytest.raises(ValidationError) as caught:
        rota.schedule_dates(series=series, start=date(2027, 1, 1), end=date(2027, 3, 31))

    assert "month_week" in caught.value.message_dict


def test_schedule_empty_when_the_range_is_backwards():
    series = SeriesFactory(anchor_date=date(2027, 1, 4))

    assert rota.schedule_dates(series=series, start=date(2027, 2, 1), end=date(2027, 1, 1)) == []


def test_series_meeting_dates_leaves_out_skip_dates_and_names_them():
    series = SeriesFactory(weekday=MONDAY, cadence_weeks=1, anchor_date=date(2027, 1, 4))
    SkipDate.objects.create(series=series, date=date(2027, 1, 11), reason="Exams")
    SkipDate.objects.create(series=series, date=date(2027, 1, 12), reason="Not a Monday: ignored")
    SkipDate.objects.create(series=SeriesFactory(), date=date(2027, 1, 18), reason="Another series")

    dates, skipped = rota.series_meeting_dates(series=series, start=date(2027, 1, 4), end=date(2027, 1, 25))

    assert dates == [date(2027, 1, 4), date(2027, 1, 18), date(2027, 1, 25)]
    assert skipped == {date(2027, 1, 11): "Exams"}


def test_skip_date_add_and_remove():
    series = SeriesFactory()

    rota.skip_date_add(series=series, day=date(2027, 4, 5), reason=" Easter ")
    rota.skip_date_add(series=series, day=date(2027, 4, 5), reason="Easter Monday")
    assert list(series.skip_dates.values_list("date", "reason")) == [(date(2027, 4, 5), "Easter Monday")]

    rota.skip_date_remove(series=series, day=date(2027, 4, 5))
    assert not series.skip_dates.exists()
