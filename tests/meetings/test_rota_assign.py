"""The fair assignment rules, on plain objects: no database needed."""

from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace

from meetings.services.rota import speakers_assign


def people(*names):
    return [SimpleNamespace(pk=number, username=name) for number, name in enumerate(names, start=1)]


def fortnights(count, first=date(2027, 1, 4)):
    return [first + timedelta(weeks=2 * n) for n in range(count)]


def names(chosen):
    return [person.username if person else None for person in chosen]


def test_assign_least_recently_presented_goes_first():
    ada, alan, grace = people("ada", "alan", "grace")
    last = {ada.pk: date(2026, 12, 7), alan.pk: date(2026, 10, 12), grace.pk: date(2026, 11, 9)}

    chosen = speakers_assign(dates=fortnights(3), pool=[ada, alan, grace], last_talk=last)

    assert names(chosen) == ["alan", "grace", "ada"]


def test_assign_never_presented_goes_before_everyone_who_has():
    ada, alan, grace = people("ada", "alan", "grace")
    last = {ada.pk: date(2020, 1, 6), grace.pk: date(2019, 5, 6)}

    chosen = speakers_assign(dates=fortnights(3), pool=[ada, alan, grace], last_talk=last)

    assert names(chosen) == ["alan", "grace", "ada"]


def test_assign_tie_on_last_talk_goes_to_fewer_talks_then_username():
    ada, alan, grace, bob = people("ada", "alan", "grace", "bob")
    same_day = date(2026, 11, 9)
    last = {ada.pk: same_day, alan.pk: same_day, grace.pk: same_day}
    count = {ada.pk: 5, alan.pk: 2, grace.pk: 2}

    chosen = speakers_assign(
        dates=fortnights(4), pool=[ada, alan, grace, bob], last_talk=last, talk_count=count
    )

    # bob never presented; alan and grace tie on date and count, so the username decides.
    assert names(chosen) == ["bob", "alan", "grace", "ada"]


def test_assign_never_puts_anyone_on_a_date_they_marked():
    ada, alan, grace = people("ada", "alan", "grace")
    dates = fortnights(6)

    chosen = speakers_assign(
        dates=dates, pool=[ada, alan, grace], unavailable={ada.pk: {dates[0], dates[3]}, alan.pk: {dates[4]}}
    )

    assert names(chosen) == ["alan", "ada", "grace", "alan", "ada", "grace"]
    for day, person in zip(dates, chosen, strict=True):
        assert day not in {ada.pk: {dates[0], dates[3]}, alan.pk: {dates[4]}}.get(person.pk, set())


def test_assign_spreads_talks_evenly_when_everyone_is_available():
    pool = people("a", "b", "c", "d", "e")

    for count in range(1, 23):
        chosen = speakers_assign(dates=fortnights(count), pool=pool)
        talks = Counter(person.pk for person in chosen)
        per_person = [talks.get(person.pk, 0) for person in pool]
        assert max(per_person) - min(per_person) <= 1, (count, per_person)


def test_assign_even_spread_holds_after_someone_skips_a_date():
    ada, alan, grace = people("ada", "alan", "grace")
    dates = fortnights(6)

    chosen = speakers_assign(dates=dates, pool=[ada, alan, grace], unavailable={grace.pk: {dates[2]}})

    # grace misses her turn; ada fills in, and is not then given a third talk.
    assert names(chosen) == ["ada", "alan", "ada", "grace", "alan", "grace"]
    assert sorted(Counter(names(chosen)).values()) == [2, 2, 2]


def test_assign_pool_smaller_than_the_dates_rotates_through_everyone():
    ada, alan = people("ada", "alan")

    chosen = speakers_assign(dates=fortnights(5), pool=[ada, alan])

    assert names(chosen) == ["ada", "alan", "ada", "alan", "ada"]


def test_assign_same_inputs_same_rota_whatever_the_pool_order():
    pool = people("e", "b", "d", "a", "c")
    dates = fortnights(9)
    unavailable = {pool[0].pk: {dates[1]}, pool[3].pk: {dates[0], dates[5]}}

    first = speakers_assign(dates=dates, pool=pool, unavailable=unavailable)
    again = speakers_assign(dates=dates, pool=list(reversed(pool)), unavailable=unavailable)

    assert names(first) == names(again)


def test_assign_cancelled_speaker_goes_to_the_front_of_the_queue():
    ada, alan, grace = people("ada", "alan", "grace")
    last = {ada.pk: date(2026, 10, 12), alan.pk: date(2026, 11, 9), grace.pk: date(2026, 11, 23)}

    chosen = speakers_assign(
        dates=fortnights(3), pool=[ada, alan, grace], last_talk=last, front={grace.pk: date(2026, 12, 7)}
    )

    assert names(chosen) == ["grace", "ada", "alan"]


def test_assign_leaves_a_date_empty_when_nobody_can_present():
    ada, alan = people("ada", "alan")
    dates = fortnights(2)

    chosen = speakers_assign(
        dates=dates, pool=[ada, alan], unavailable={ada.pk: {dates[0]}, alan.pk: {dates[0]}}
    )

    assert names(chosen) == [None, "ada"]


def test_assign_empty_pool_gives_empty_slots():
    assert speakers_assign(dates=fortnights(2), pool=[]) == [None, None]


def test_assign_counts_talks_already_held_in_the_term():
    ada, alan = people("ada", "alan")

    chosen = speakers_assign(dates=fortnights(3), pool=[ada, alan], already={ada.pk: 1})

    # Four slots in the term: ada already holds one, so she gets one more, alan two.
    assert sorted(Counter(names(chosen)).items()) == [("ada", 1), ("alan", 2)]
