from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import ResearchItem, ResearchItemEvent
from meetings.selectors import CARRIED_OVER_SHOWN
from meetings.services import research
from meetings.tasks import research_item_notify_assignee
from resources.models import Mention, Resource
from tests.factories import MeetingFactory, UserFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(series):
    return MeetingFactory(series=series, start=local(2020, 10, 12), title="First")


@pytest.fixture
def later(series):
    return MeetingFactory(series=series, start=local(2020, 10, 26), title="Second")


def _add_url(meeting):
    return reverse("research-add", kwargs={"slug": meeting.series.slug, "pk": meeting.pk})


def _status_url(item):
    return reverse("research-status", kwargs={"pk": item.pk})


# Parsing lines


def test_research_lines_parse_bullets_boxes_assignees_and_struck_items(member):
    parsed = research.research_lines_parse(
        text=(
            "- what is a GAN @ada\n"
            "  - [ ] what is a CVAE\n"
            "\n"
            "- [x] Look into the gravity spy paper - downloaded it\n"
            "o ~~[GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)~~ "
            "same GW rev from May 2020 that I already have\n"
            "3. numbered one\n"
        )
    )

    assert [(p.line, p.text, p.status, p.reason, p.assignee) for p in parsed] == [
        (1, "what is a GAN", "open", "", member),
        (2, "what is a CVAE", "open", "", None),
        (4, "Look into the gravity spy paper - downloaded it", "done", "", None),
        (
            5,
            "[GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)",
            "dropped",
            "same GW rev from May 2020 that I already have",
            None,
        ),
        (6, "numbered one", "open", "", None),
    ]


def test_research_lines_parse_unknown_username_names_the_line(db):
    with pytest.raises(ValidationError) as caught:
        research.research_lines_parse(text="fine\nask @nobody about it")

    assert caught.value.message_dict == {"lines": ["Line 2: nobody is called @nobody."]}


def test_research_lines_parse_keeps_emails_and_empty_input_is_an_error(db):
    assert research.research_lines_parse(text="mail ada@example.org")[0].text == "mail ada@example.org"
    with pytest.raises(ValidationError):
        research.research_lines_parse(text="  \n - \n")


# Adding on the meeting page


def test_research_add_creates_items_in_order_with_assignee_and_history(member_client, meeting, member):
    response = member_client.post(_add_url(meeting), {"lines": "what is a GAN @ada\nwhat is a CVAE"})

    assert response["Location"] == f"{meeting.get_absolute_url()}#research"
    items = list(ResearchItem.objects.order_by("position"))
    assert [(i.text, i.assignee, i.position, i.raised_by, i.status) for i in items] == [
        ("what is a GAN", member, 1, member, "open"),
        ("what is a CVAE", None, 2, member, "open"),
    ]
    assert ResearchItemEvent.objects.filter(item=items[0], from_status="", to_status="open").exists()


def test_research_add_link_in_item_joins_library(member, meeting):
    (item,) = research.research_items_add(
        meeting=meeting, text="read https://arxiv.org/abs/1707.08567v2 first", by=member
    )

    resource = Resource.objects.get()
    assert item.resource == resource
    assert resource.arxiv_id == "1707.08567"
    assert Mention.objects.filter(resource=resource, meeting=meeting, section="research").exists()


def test_research_add_bad_line_keeps_text_and_shows_error(member_client, meeting):
    response = member_client.post(_add_url(meeting), {"lines": "ok item\nping @ghost"})

    content = response.content.decode()
    assert response.status_code == 400
    assert "Line 2: nobody is called @ghost." in content
    assert "ok item\nping @ghost</textarea>" in content
    assert not ResearchItem.objects.exists()


def test_research_add_refused_for_visitors(client, meeting):
    response = client.post(_add_url(meeting), {"lines": "spam"})

    assert response["Location"].startswith(reverse("login"))
    assert not ResearchItem.objects.exists()


def test_research_add_in_members_only_series_is_404_for_signed_in_nobody_else(client, private_series):
    meeting = MeetingFactory(series=private_series)
    client.force_login(UserFactory())  # an account of the site, not a member of the series

    response = client.post(_add_url(meeting), {"lines": "fine"})

    assert response.status_code == 404
    assert not ResearchItem.objects.exists()


def test_research_add_in_members_only_series_works_for_its_members(member_client, private_series):
    meeting = MeetingFactory(series=private_series)

    response = member_client.post(_add_url(meeting), {"lines": "fine"})

    assert response.status_code == 302
    assert list(ResearchItem.objects.values_list("text", flat=True)) == ["fine"]


# Ticking


def test_research_tick_with_htmx_returns_the_item_and_records_who(member_client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="what is a GAN", by=member)

    response = member_client.post(_status_url(item), {"status": "done"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert content.lstrip().startswith(f'<li id="item-{item.pk}" class="research-item status-done">')
    assert 'aria-checked="true"' in content
    assert "ticked by Ada Lovelace" in content
    item.refresh_from_db()
    assert (item.status, item.status_changed_by) == ("done", member)
    event = ResearchItemEvent.objects.filter(item=item).last()
    assert (event.actor, event.from_status, event.to_status) == (member, "open", "done")


def test_research_tick_without_javascript_redirects_back(member_client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="x", by=member)

    response = member_client.post(_status_url(item), {"status": "done"})

    assert response["Location"] == f"{meeting.get_absolute_url()}#item-{item.pk}"


def test_research_untick_reopens(member_client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="[x] done already", by=member)

    member_client.post(_status_url(item), {"status": "open"})

    item.refresh_from_db()
    assert item.status == "open"
    assert list(item.events.values_list("from_status", "to_status")) == [("", "done"), ("done", "open")]


def test_research_status_refuses_drop_without_reason_and_unknown_status(member_client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="x", by=member)

    assert member_client.post(_status_url(item), {"status": "dropped"}).status_code == 400
    assert member_client.post(_status_url(item), {"status": "maybe"}).status_code == 400
    item.refresh_from_db()
    assert item.status == "open"


def test_research_tick_refused_for_visitors(client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="x", by=member)

    response = client.post(_status_url(item), {"status": "done"})

    assert response["Location"].startswith(reverse("login"))
    item.refresh_from_db()
    assert item.status == "open"


def test_research_item_of_members_only_series_is_404_for_other_clubs_visitors(client, private_series, member):
    meeting = MeetingFactory(series=private_series)
    (item,) = research.research_items_add(meeting=meeting, text="secret", by=member)

    assert client.get(reverse("research-drop", kwargs={"pk": item.pk})).status_code == 302  # sign in first
    assert "secret" not in client.get(reverse("research-board")).content.decode()


# Dropping


def test_research_drop_requires_reason_and_shows_it_struck(member_client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="GW ML September rev.", by=member)
    url = reverse("research-drop", kwargs={"pk": item.pk})

    refused = member_client.post(url, {"reason": "  "})
    member_client.post(url, {"reason": "same review from May 2020 that I already have"})
    page = member_client.get(meeting.get_absolute_url()).content.decode()

    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    item.refresh_from_db()
    assert (item.status, item.drop_reason) == ("dropped", "same review from May 2020 that I already have")
    assert "<del><p>GW ML September rev.</p></del>" in page
    assert '<span class="drop-reason">same review from May 2020 that I already have</span>' in page


def test_research_item_model_refuses_dropping_without_reason(meeting, member):
    item = ResearchItem(meeting=meeting, text="x")

    with pytest.raises(ValidationError):
        item.set_status("dropped", by=member, reason="")


# Carry-over


def test_open_items_carry_over_to_later_meetings(client, meeting, later, member):
    research.research_items_add(meeting=meeting, text="what is a GAN\n[x] gravity spy", by=member)

    page = client.get(later.get_absolute_url()).content.decode()
    earlier_page = client.get(meeting.get_absolute_url()).content.decode()

    assert "Still open from earlier meetings" in page
    assert "what is a GAN" in page and "still open since" in page and "12 Oct 2020" in page
    assert "gravity spy" not in page
    assert "Still open from earlier meetings" not in earlier_page


def test_carry_over_stops_once_ticked(client, meeting, later, member):
    (item,) = research.research_items_add(meeting=meeting, text="what is a GAN", by=member)
    research.research_item_set_status(item=item, status="done", by=member)

    assert "what is a GAN" not in client.get(later.get_absolute_url()).content.decode()


def test_carry_over_reaches_undated_meetings_after_dated_ones(client, series, meeting, member):
    undated = MeetingFactory(series=series, start=None, sequence=99)
    research.research_items_add(meeting=meeting, text="what is a GAN", by=member)

    assert "what is a GAN" in client.get(undated.get_absolute_url()).content.decode()


# Edit, reassign, reorder


def test_research_edit_reassigns_links_resource_and_records_it(member_client, meeting, member, other_member):
    (item,) = research.research_items_add(meeting=meeting, text="gravity spy", by=member)

    member_client.post(
        reverse("research-edit", kwargs={"pk": item.pk}),
        {
            "text": "gravity spy paper",
            "assignee": other_member.pk,
            "resource": "",
            "resource_url": "https://arxiv.org/abs/1707.08567",
        },
    )

    item.refresh_from_db()
    assert (item.text, item.assignee, item.resource.arxiv_id) == (
        "gravity spy paper",
        other_member,
        "1707.08567",
    )
    event = item.events.last()
    assert (event.from_assignee, event.to_assignee, event.actor) == (None, other_member, member)


def test_research_edit_bad_url_is_a_form_error(member_client, meeting, member):
    (item,) = research.research_items_add(meeting=meeting, text="x", by=member)

    response = member_client.post(
        reverse("research-edit", kwargs={"pk": item.pk}), {"text": "x", "resource_url": "ftp://nope"}
    )

    assert "Only http and https links can be added" in response.content.decode()


def test_research_move_reorders(member_client, meeting, member):
    *_, third = research.research_items_add(meeting=meeting, text="a\nb\nc", by=member)

    member_client.post(reverse("research-move", kwargs={"pk": third.pk}), {"direction": "up"})

    assert list(ResearchItem.objects.order_by("position").values_list("text", flat=True)) == ["a", "c", "b"]


# Assignment emails


def test_assignee_is_emailed_once_per_assignment(
    meeting, member, other_member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (item,) = research.research_items_add(meeting=meeting, text="what is a GAN @alan", by=member)
    research_item_notify_assignee(item_id=item.pk)  # a redelivered task sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        research.research_item_update(item=item, text=item.text, assignee=member, by=member)
    with django_capture_on_commit_callbacks(execute=True):
        research.research_item_update(item=item, text="what is a GAN?", assignee=member, by=member)

    assert [m.to for m in mailoutbox] == [["alan@example.org"], ["ada@example.org"]]
    assert mailoutbox[0].subject == "[IGR-data ML Club] To research: what is a GAN"
    assert f"#item-{item.pk}" in mailoutbox[0].body


def test_assignee_who_opted_out_gets_no_email(
    meeting, member, other_member, mailoutbox, django_capture_on_commit_callbacks
):
    other_member.notify_assignments = False
    other_member.save()

    with django_capture_on_commit_callbacks(execute=True):
        research.research_items_add(meeting=meeting, text="x @alan", by=member)

    assert mailoutbox == []


# The board


def test_board_lists_open_items_filterable_with_counts(client, meeting, later, member, other_member):
    research.research_items_add(meeting=meeting, text="gan @ada\ncvae @alan\n[x] done one @ada", by=member)
    research.research_items_add(meeting=later, text="vae @ada\nunowned", by=member)
    client.force_login(member)

    everything = client.get(reverse("research-board")).content.decode()
    mine = client.get(reverse("research-board"), {"assignee": "mine"}).content.decode()
    alan = client.get(reverse("research-board"), {"assignee": "alan"}).content.decode()
    done = client.get(reverse("research-board"), {"status": "done"}).content.decode()
    by_meeting = client.get(reverse("research-board"), {"meeting": later.pk}).content.decode()

    assert "4 items" in everything and "done one" not in everything
    assert "2 items" in mine and "gan" in mine and "cvae" not in mine
    assert "1 item" in alan and "cvae" in alan
    assert "done one" in done and "1 item" in done
    assert "2 items" in by_meeting and "vae" in by_meeting
    assert (
        'Ada Lovelace</a> <span class="counts">2<span class="visually-hidden"> items</span></span>'
        in everything
    )
    assert (
        'Unassigned</a> <span class="counts">1<span class="visually-hidden"> item</span></span>' in everything
    )


def test_board_mine_needs_sign_in_and_bad_filters_are_400(client, db):
    assert client.get(reverse("research-board"), {"assignee": "mine"})["Location"].startswith(
        reverse("login")
    )
    assert client.get(reverse("research-board"), {"status": "sideways"}).status_code == 400
    ghost = client.get(reverse("research-board"), {"assignee": "ghost"})  # not a 400: no username oracle
    assert ghost.status_code == 200 and "Nothing here." in ghost.content.decode()
    assert client.get(reverse("research-board"), {"meeting": "x"}).status_code == 400


def test_board_visitors_read_public_items_without_tick_buttons(client, meeting, member):
    research.research_items_add(meeting=meeting, text="public item", by=member)

    content = client.get(reverse("research-board")).content.decode()

    assert "public item" in content
    assert "Mark done" not in content


def test_board_paginates(member_client, meeting, member):
    research.research_items_add(meeting=meeting, text="\n".join(f"item {n}" for n in range(35)), by=member)

    content = member_client.get(reverse("research-board")).content.decode()

    assert "Page 1 of 2" in content


def test_dashboard_lists_my_open_items(member_client, meeting, member):
    research.research_items_add(meeting=meeting, text="mine @ada\nnot mine", by=member)

    content = member_client.get(reverse("dashboard")).content.decode()

    assert "My open research items" in content
    section = content.split("My open research items")[1].split("Recently added")[0]
    assert "mine" in section and "not mine" not in section


# Query budgets


def test_meeting_page_with_many_items_has_fixed_query_count(
    client, meeting, later, member, other_member, django_assert_max_num_queries
):
    research.research_items_add(
        meeting=meeting, text="\n".join(f"old {n} @ada" for n in range(20)), by=member
    )
    items = research.research_items_add(
        meeting=later, text="\n".join(f"new {n} @alan" for n in range(20)), by=member
    )
    for item in items[:10]:
        research.research_item_set_status(item=item, status="done", by=member)
    client.force_login(member)

    with django_assert_max_num_queries(12):
        client.get(later.get_absolute_url())


def test_board_has_fixed_query_count(member_client, meeting, member, django_assert_max_num_queries):
    research.research_items_add(
        meeting=meeting, text="\n".join(f"item {n} @ada" for n in range(25)), by=member
    )

    with django_assert_max_num_queries(12):
        member_client.get(reverse("research-board"))


def test_other_member_client_sees_ticks_of_first(meeting, member, other_member):
    (item,) = research.research_items_add(meeting=meeting, text="shared", by=member)
    first, second = Client(), Client()
    first.force_login(member)
    second.force_login(other_member)

    first.post(_status_url(item), {"status": "done"})
    content = second.get(meeting.get_absolute_url()).content.decode()

    assert "ticked by Ada Lovelace" in content


def test_carry_over_is_bounded_and_links_to_the_board(client, series, member):
    latest = MeetingFactory(series=series, title="Latest", start=local(2031, 1, 6))

    def grow(first_day: int, count: int):
        # One earlier meeting per item, each with an open item.
        for n in range(count):
            earlier = MeetingFactory(series=series, start=local(2030, 1, 1) + timedelta(days=first_day + n))
            research.research_items_add(meeting=earlier, text=f"open question {first_day + n}", by=member)

    def page():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(latest.get_absolute_url())
        assert response.status_code == 200
        return response.content.decode(), len(captured.captured_queries)

    grow(0, 3)
    small, small_count = page()
    grow(3, 30)
    large, large_count = page()

    assert small.count("still open since") == 3 and "more on" not in small
    assert large.count("still open since") == CARRIED_OVER_SHOWN
    # The most recent ones, newest first; the rest counted and linked.
    assert "open question 32" in large and "open question 13" in large and "open question 12" not in large
    assert large.index("open question 32") < large.index("open question 31")
    assert (
        f'and 13 more on <a href="/research/?series={series.slug}&amp;status=open">the research board</a>'
        in large
    )
    assert small_count == large_count
