"""A small demo club, loaded by `make run` into an empty database."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting, Series, Talk
from meetings.services.minutes import minutes_save
from meetings.services.research import research_items_add
from meetings.services.series import meeting_save, series_save

User = get_user_model()

DEMO_MINUTES = """\
- more and more people are converting to PyTorch (it's like numpy but for ML)
- pytorch website for good tutorials: https://pytorch.org/tutorials/
- https://iopscience.iop.org/article/10.1088/2632-2153/abb93a GW ML review 2020

| framework | CPU/GPU switch | debugging |
| --- | --- | --- |
| PyTorch | one line | clear errors |

The loss we discussed: $L = -\\sum_i y_i \\log \\hat{y}_i$

To research:

- [ ] what is a GAN
- [ ] what is a CVAE
- [x] Look into the gravity spy paper
"""


DEMO_RESEARCH = """\
what is a GAN @ada
what is a CVAE
[x] Look into the gravity spy paper - downloaded it
~~GW ML September rev.~~ same GW review from May 2020 that I already have
"""


def demo_load(*, organiser) -> Series | None:
    """Create a demo series with past and upcoming meetings; does nothing if any series exists."""
    if Series.objects.exists():
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    with transaction.atomic():
        ada, _ = User.objects.get_or_create(
            username="ada", defaults={"display_name": "Ada Lovelace", "email": "ada@example.org"}
        )
        alan, _ = User.objects.get_or_create(
            username="alan", defaults={"display_name": "Alan Turing", "email": "alan@example.org"}
        )
        series = series_save(
            series=Series(
                name="IGR-data Machine Learning Club",
                slug="ml-club",
                description=(
                    "Monday afternoon fortnightly informal catch-ups for ML chat. A lead speaker "
                    "presents a paper or what they are working on; the rest take notes and ask questions."
                ),
                weekday=Series.Weekday.MONDAY,
                start_time=time(14, 0),
                cadence_weeks=2,
                location="Kelvin Building, room 312",
            ),
            by=organiser,
            organisers=[organiser],
            members=[organiser, ada, alan],
        )
        today = timezone.localdate()
        monday = today - timedelta(days=today.weekday())
        for offset, speaker, title in [
            (-4, ada, "Getting started with PyTorch"),
            (-2, alan, "Gravity Spy: citizen science meets deep learning"),
            (0, ada, "Conditional variational autoencoders"),
            (2, alan, "GANs for glitch generation"),
        ]:
            day = monday + timedelta(weeks=offset)
            start = datetime.combine(day, time(14, 0), tzinfo=zone)
            held = start < timezone.now()
            meeting = meeting_save(
                meeting=Meeting(
                    series=series,
                    start=start,
                    title=title,
                    location=series.location,
                    status=Meeting.Status.HELD if held else Meeting.Status.SCHEDULED,
                )
            )
            Talk.objects.create(meeting=meeting, speaker=speaker, title=title)
            if held:
                minutes_save(meeting=meeting, kind="minutes", body=DEMO_MINUTES, base_revision=0, by=speaker)
                if offset == -4:
                    research_items_add(meeting=meeting, text=DEMO_RESEARCH, by=speaker)
    return series
