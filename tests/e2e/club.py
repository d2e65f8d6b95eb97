"""A club with something on every main page, for the accessibility, layout and screenshot runs.

The demo club (the two real club documents `make run` imports) gives long imported minutes,
H1s in descriptions and long bare links; on top of it: meetings to come with speakers, minutes
with maths, a table, a checklist and a long link, research items, a members-only series, a
reading list and a resource whose title is a long URL, as a club accumulates them.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from meetings.models import Meeting, Series
from meetings.services import research
from meetings.services.demo import demo_load
from meetings.services.minutes import minutes_save
from resources.models import ReadingList, Resource
from resources.services.library import resource_add
from resources.services.readinglists import readinglist_add, readinglist_save
from tests.factories import PASSWORD, MeetingFactory, SeriesFactory, TalkFactory, UserFactory

LONG_URL = (
    "https://proceedings.neurips.cc/paper_files/paper/2023/file/"
    "0123456789abcdef0123456789abcdef-Paper-Conference.pdf?download=1&utm_source=newsletter"
)

# Wider than a phone: display maths must scroll inside its box.
OBJECTIVE = (
    "$$L^{CLIP}(\\theta) = \\hat{\\mathbb{E}}_t\\left[\\min\\left(r_t(\\theta)\\hat{A}_t,\\ "
    "\\operatorname{clip}(r_t(\\theta), 1-\\epsilon, 1+\\epsilon)\\hat{A}_t\\right)\\right] "
    "+ c_1 L^{VF}_t(\\theta) + c_2 S[\\pi_\\theta](s_t)$$"
)

MINUTES = f"""## Discussion

We compared PPO with TRPO; the clipped objective is

{OBJECTIVE}

| Method | Year | Sample efficiency | Notes |
| --- | --- | --- | --- |
| TRPO | 2015 | medium | second-order, conjugate gradient |
| PPO | 2017 | medium | first-order, clipped ratio |

- [x] read the PPO paper
- [ ] try GAE with lambda 0.95

See {LONG_URL} and https://arxiv.org/abs/1707.06347.

```python
ratio = torch.exp(new_log_prob - old_log_prob)
loss = -torch.min(ratio * adv, torch.clamp(ratio, 1 - eps, 1 + eps) * adv).mean()
```
"""


@dataclass
class Club:
    organiser: object
    member: object
    series: Series
    private: Series
    meeting: Meeting
    upcoming: list = field(default_factory=list)
    resource: Resource | None = None
    long_resource: Resource | None = None
    reading_list: ReadingList | None = None

    def pages(self) -> dict[str, str]:
        """The main pages of the issue, by name."""
        meeting = self.meeting
        base = f"/series/{self.series.slug}/meetings/{meeting.pk}"
        return {
            "dashboard": "/",
            "series": self.series.get_absolute_url(),
            "meeting": meeting.get_absolute_url(),
            "minutes editor": f"{base}/minutes/edit/",
            "history": f"{base}/minutes/history/",
            "research board": "/research/",
            "rota": f"/series/{self.series.slug}/rota/",
            "availability": "/rota/availability/",
            "library": "/library/?sort=title",
            "resource": self.long_resource.get_absolute_url(),
            "reading list": self.reading_list.get_absolute_url(),
            "search": "/search/?q=policy",
            "profile": "/accounts/profile/",
            "import": f"/series/{self.series.slug}/import/",
            "link health": "/library/health/",
            "api docs": "/api/v1/docs/",
            "404": "/series/no-such-series/",
        }


def build_club() -> Club:
    organiser = UserFactory(username="grace", display_name="Grace Hopper", email="grace@example.org")
    demo_load(organiser=organiser)
    member = type(organiser).objects.get(username="ada")
    alan = type(organiser).objects.get(username="alan")
    for person in (member, alan):  # the demo makes them without a password
        person.set_password(PASSWORD)
        person.save()
    series = Series.objects.get(slug="ml-club")
    series.organisers.add(organiser)
    series.speaker_pool.add(organiser, member, alan)

    # Long bare links in the facts box, a held meeting with minutes, maths, a table, a checklist.
    meeting = Meeting.objects.filter(series=series).order_by("start").first()
    meeting.video_link = "https://us02web.zoom.us/j/81234567890?pwd=QWxhZGRpbjpvcGVuIHNlc2FtZQ.1&from=addon"
    meeting.recording_link = LONG_URL
    meeting.save()
    current = meeting.documents.filter(kind="minutes").first()
    minutes_save(
        meeting=meeting,
        kind="minutes",
        body=MINUTES,
        base_revision=current.revision if current else 0,
        by=member,
    )
    research.research_items_add(
        meeting=meeting,
        text="what is GAE @ada\nread the TRPO paper https://arxiv.org/abs/1502.05477\n[x] set up the cluster",
        by=member,
    )

    # Meetings to come, with speakers confirmed and not, for the dashboard and the rota.
    upcoming = []
    now = timezone.now().replace(hour=13, minute=0, second=0, microsecond=0)
    for weeks, speaker, title, confirmed in (
        (1, member, "Diffusion models from scratch", True),
        (3, alan, "Graph neural networks for particle physics", False),
        (5, organiser, "", False),
    ):
        upcoming_meeting = MeetingFactory(series=series, start=now + timedelta(weeks=weeks), title=title)
        TalkFactory(
            meeting=upcoming_meeting,
            speaker=speaker,
            title=title or "Reading: the Adam paper",
            confirmed_at=timezone.now() if confirmed else None,
        )
        upcoming.append(upcoming_meeting)

    private = SeriesFactory(
        name="Thesis writing circle", slug="thesis", visibility="members", organisers=[organiser]
    )
    private.members.add(organiser, member)
    MeetingFactory(series=private, start=now + timedelta(days=2), title="Chapter 2 review")

    resource, _ = resource_add(
        url="https://arxiv.org/abs/1707.06347",
        by=member,
        title="Proximal Policy Optimization Algorithms",
        tags=["reinforcement-learning", "policy-gradient"],
        notes="The clipped surrogate objective; see the **minutes** of the first meeting.",
    )
    long_resource, _ = resource_add(url=LONG_URL, by=member, tags=["neurips"])
    reading_list = readinglist_save(
        reading_list=ReadingList(
            title="Intro to reinforcement learning",
            description="Read in this order; the first two are the ones we discuss.",
            series=series,
        ),
        by=organiser,
    )
    for index, item in enumerate(
        [resource, long_resource, *Resource.objects.exclude(pk__in=[resource.pk, long_resource.pk])[:8]]
    ):
        readinglist_add(
            reading_list=reading_list,
            resource=item,
            note="Start here: sections 3 and 4." if index == 0 else "",
            by=organiser,
        )
    return Club(
        organiser=organiser,
        member=member,
        series=series,
        private=private,
        meeting=meeting,
        upcoming=upcoming,
        resource=resource,
        long_resource=long_resource,
        reading_list=reading_list,
    )
