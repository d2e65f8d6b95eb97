from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from meetings.models import Meeting, Series, Talk
from resources.models import Resource

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.Sequence(lambda n: f"Member {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Journal club {n}")
    slug = factory.Sequence(lambda n: f"club-{n}")
    visibility = Series.Visibility.PUBLIC
    time_zone = "Europe/London"
    start_time = time(14, 0)

    @factory.post_generation
    def organisers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.organisers.set(extracted)

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.set(extracted)


def local(year, month, day, hour=14, minute=0, zone="Europe/London"):
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    series = factory.SubFactory(SeriesFactory)
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    title = factory.Sequence(lambda n: f"Meeting {n}")
    sequence = factory.Sequence(lambda n: n + 1)


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk

    meeting = factory.SubFactory(MeetingFactory)
    speaker = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Talk {n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    url = factory.Sequence(lambda n: f"https://example.org/paper/{n}")
    title = factory.Sequence(lambda n: f"Paper {n}")
    kind = Resource.Kind.PAPER
