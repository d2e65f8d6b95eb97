import pytest
from django.urls import reverse

from meetings.models import Minutes, MinutesRevision
from meetings.services.minutes import (
    MinutesConflict,
    minutes_merge,
    minutes_publish,
    minutes_restore,
    minutes_save,
    minutes_send_published_email,
)
from meetings.tasks import minutes_send_published
from tests.factories import MeetingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(series):
    return MeetingFactory(series=series, title="GANs")


def _edit_url(meeting, kind="minutes"):
    return reverse("minutes-edit", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": kind})


def test_minutes_save_stores_rendered_html_and_a_revision(meeting, member):
    result = minutes_save(
        meeting=meeting, kind="minutes", body="See https://pytorch.org/tutorials/", base_revision=0, by=member
    )

    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    assert result.changed is True
    assert minutes.revision == 1
    assert '<a href="https://pytorch.org/tutorials/"' in minutes.body_html
    revision = MinutesRevision.objects.get(minutes=minutes)
    assert (revision.number, revision.author, revision.body) == (
        1,
        member,
        "See https://pytorch.org/tutorials/",
    )


def test_minutes_save_based_on_old_revision_with_overlap_raises_conflict_and_writes_nothing(
    meeting, member, other_member
):
    minutes_save(meeting=meeting, kind="minutes", body="first", base_revision=0, by=member)
    minutes_save(meeting=meeting, kind="minutes", body="second", base_revision=1, by=other_member)

    with pytest.raises(MinutesConflict) as caught:
        minutes_save(meeting=meeting, kind="minutes", body="stale edit", base_revision=1, by=member)

    conflict = caught.value
    assert conflict.current.revision == 2
    assert conflict.base_revision == 1
    assert [(h.line, h.base, h.mine, h.theirs) for h in conflict.merge.hunks] == [
        (1, "first\n", "stale edit", "second")
    ]
    assert conflict.merge.text == "stale edit"  # everything I typed, nothing lost
    assert [r.author for r in conflict.merged_with] == [other_member]
    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    assert (minutes.body, minutes.revision) == ("second", 2)
    assert MinutesRevision.objects.filter(minutes=minutes).count() == 2


BASE = "# Notes\n\nAttendance: 6\n\nWe read the PPO paper.\n\nNext time: SAC.\n"


def test_minutes_save_from_old_revision_merges_edits_to_different_paragraphs(meeting, member, other_member):
    minutes_save(meeting=meeting, kind="minutes", body=BASE, base_revision=0, by=member)
    theirs = BASE.replace("Attendance: 6", "Attendance: 7 (Alan joined)")
    minutes_save(meeting=meeting, kind="minutes", body=theirs, base_revision=1, by=other_member)
    mine = BASE.replace("Next time: SAC.", "Next time: SAC, with Ada presenting.")

    result = minutes_save(meeting=meeting, kind="minutes", body=mine, base_revision=1, by=member)

    expected = (
        "# Notes\n\nAttendance: 7 (Alan joined)\n\nWe read the PPO paper.\n\n"
        "Next time: SAC, with Ada presenting.\n"
    )
    assert result.changed is True
    assert [r.number for r in result.merged_with] == [2]
    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    assert (minutes.body, minutes.revision, minutes.updated_by) == (expected, 3, member)
    assert "Attendance: 7 (Alan joined)" in minutes.body_html
    assert MinutesRevision.objects.get(minutes=minutes, number=3).body == expected


def test_minutes_merge_neighbouring_lines_edited_by_each_merge_line_by_line():
    merge = minutes_merge(base="a\nb\nc", mine="a\nB mine\nc", theirs="a\nb\nC theirs")

    assert merge.hunks == []
    assert merge.text == "a\nB mine\nC theirs"


def test_minutes_merge_same_line_changed_by_both_is_one_hunk_with_its_line():
    merge = minutes_merge(
        base="intro\nwe chose PPO\nend\n",
        mine="intro\nwe chose SAC\nend\n",
        theirs="intro\nwe chose TD3\nend\n",
    )

    assert [(h.index, h.line, h.base, h.mine, h.theirs) for h in merge.hunks] == [
        (0, 2, "we chose PPO\n", "we chose SAC\n", "we chose TD3\n")
    ]
    assert merge.text == "intro\nwe chose SAC\nend\n"
    assert [kind for kind, _ in merge.segments] == ["same", "conflict", "same"]


def test_minutes_merge_identical_edits_are_no_conflict():
    merge = minutes_merge(base="a\n", mine="a\nb\n", theirs="a\nb\n")

    assert (merge.hunks, merge.text) == ([], "a\nb\n")


def test_minutes_save_from_a_revision_the_document_never_had_merges_against_nothing(meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="stored", base_revision=0, by=member)

    with pytest.raises(MinutesConflict) as caught:
        minutes_save(meeting=meeting, kind="minutes", body="mine", base_revision=7, by=member)

    assert [(h.base, h.mine, h.theirs) for h in caught.value.merge.hunks] == [("", "mine", "stored")]
    assert Minutes.objects.get(meeting=meeting, kind="minutes").revision == 1


def test_minutes_save_unchanged_text_adds_no_revision(meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="same", base_revision=0, by=member)

    result = minutes_save(meeting=meeting, kind="minutes", body="same", base_revision=1, by=member)

    assert result.changed is False
    assert MinutesRevision.objects.count() == 1


def test_minutes_and_recap_are_separate_documents(meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="notes", base_revision=0, by=member)
    minutes_save(meeting=meeting, kind="recap", body="recap", base_revision=0, by=member)

    docs = {m.kind: (m.body, m.revision) for m in Minutes.objects.filter(meeting=meeting)}
    assert docs == {"minutes": ("notes", 1), "recap": ("recap", 1)}


def test_minutes_restore_adds_a_new_revision_with_old_text(meeting, member, other_member):
    minutes_save(meeting=meeting, kind="minutes", body="first", base_revision=0, by=member)
    minutes = minutes_save(meeting=meeting, kind="minutes", body="second", base_revision=1, by=member).minutes

    minutes_restore(minutes=minutes, number=1, by=other_member)

    minutes.refresh_from_db()
    assert (minutes.body, minutes.revision) == ("first", 3)
    latest = MinutesRevision.objects.get(minutes=minutes, number=3)
    assert (latest.author, latest.note) == (other_member, "Restored revision 1")


def test_minutes_editor_get_shows_current_text_and_revision(member_client, meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="we met", base_revision=0, by=member)

    response = member_client.get(_edit_url(meeting))

    content = response.content.decode()
    assert ">\nwe met</textarea>" in content
    assert 'name="base_revision" value="1"' in content
    # Drafts are per member and meeting: the next account on this browser never gets mine.
    assert f'data-draft-key="clubsite:draft:{member.pk}:{meeting.pk}:minutes"' in content


def test_minutes_editor_post_saves_and_redirects_to_meeting(member_client, meeting):
    response = member_client.post(
        _edit_url(meeting), {"body": "| a | b |\n|---|---|\n| 1 | 2 |", "base_revision": 0}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{meeting.get_absolute_url()}?saved=minutes#minutes"
    page = member_client.get(meeting.get_absolute_url()).content.decode()
    assert "<table>" in page
    assert "<td>1</td>" in page


def test_minutes_editor_conflict_keeps_my_text_and_shows_both_sides(member_client, meeting, other_member):
    minutes_save(meeting=meeting, kind="minutes", body="their line", base_revision=0, by=other_member)

    response = member_client.post(_edit_url(meeting), {"body": "my line", "base_revision": 0})

    assert response.status_code == 409
    content = response.content.decode()
    assert "Your edit overlaps Alan Turing&#x27;s change at" in content
    assert ">\nmy line</textarea>" in content  # my text, in the editor
    assert 'aria-labelledby="hunk-0-mine">my line</pre>' in content
    assert 'aria-labelledby="hunk-0-theirs">their line</pre>' in content
    assert "Keep both" in content
    # The preview shows my text, not theirs.
    preview = content.split('id="preview"', 1)[1].split("</div>", 1)[0]
    assert "my line" in preview and "their line" not in preview
    assert 'name="base_revision" value="1"' in content  # the next save merges onto revision 1
    assert Minutes.objects.get(meeting=meeting, kind="minutes").body == "their line"


def test_minutes_editor_merged_save_redirects_and_says_with_whom(
    member_client, meeting, member, other_member
):
    minutes_save(meeting=meeting, kind="minutes", body=BASE, base_revision=0, by=member)
    theirs = BASE.replace("Attendance: 6", "Attendance: 7")
    minutes_save(meeting=meeting, kind="minutes", body=theirs, base_revision=1, by=other_member)

    response = member_client.post(
        _edit_url(meeting), {"body": BASE.replace("SAC.", "SAC and TD3."), "base_revision": 1}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{meeting.get_absolute_url()}?saved=minutes#minutes"
    content = response.content.decode()
    assert "Minutes saved (revision 3). Merged with Alan Turing&#x27;s change at" in content
    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    assert minutes.body == theirs.replace("SAC.", "SAC and TD3.")


def test_minutes_editor_after_conflict_merged_save_succeeds(member_client, meeting, other_member):
    minutes_save(meeting=meeting, kind="minutes", body="their line", base_revision=0, by=other_member)
    member_client.post(_edit_url(meeting), {"body": "my line", "base_revision": 0})

    member_client.post(_edit_url(meeting), {"body": "their line\nmy line", "base_revision": 1})

    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    assert (minutes.body, minutes.revision) == ("their line\nmy line", 2)


def test_minutes_editor_refuses_visitors_with_sign_in_redirect(client, meeting):
    response = client.post(_edit_url(meeting), {"body": "vandal", "base_revision": 0})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert not Minutes.objects.filter(body="vandal").exists()


def test_minutes_editor_private_series_sends_visitors_to_sign_in_revealing_nothing(client, private_series):
    meeting = MeetingFactory(series=private_series, title="Hush")

    response = client.get(_edit_url(meeting))
    unknown = client.get(_edit_url(meeting).replace(f"/{meeting.pk}/", "/999999/"))

    # Any editor URL, real or not, answers the same way: sign in first.
    assert response.status_code == unknown.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert b"Hush" not in response.content


def test_minutes_editor_unknown_kind_is_404(member_client, meeting):
    response = member_client.get(_edit_url(meeting, kind="transcript"))

    assert response.status_code == 404


def test_minutes_editor_rejects_missing_base_revision_keeping_text(member_client, meeting):
    response = member_client.post(_edit_url(meeting), {"body": "keep me"})

    assert response.status_code == 200
    assert ">\nkeep me</textarea>" in response.content.decode()
    assert not Minutes.objects.filter(body="keep me").exists()


def test_markdown_preview_renders_sanitised_html_for_members(member_client):
    response = member_client.post(reverse("markdown-preview"), {"body": "**hi** <script>alert(1)</script>"})

    assert response.content.decode().strip() == "<p><strong>hi</strong> </p>"


def test_markdown_preview_refuses_visitors(client):
    response = client.post(reverse("markdown-preview"), {"body": "**hi**"})

    assert response.status_code == 403
    assert b"<strong>" not in response.content


def test_minutes_page_never_shows_script_handlers_or_javascript_urls(client, meeting, member):
    body = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        '[click](javascript:alert(3))\n\n<a href="javascript:alert(4)">x</a>'
    )
    minutes_save(meeting=meeting, kind="minutes", body=body, base_revision=0, by=member)

    page = client.get(meeting.get_absolute_url()).content.decode()

    document = page.split('id="minutes"')[1].split('id="recap"')[0]
    assert "<script" not in document
    assert "onerror" not in document
    assert "javascript:" not in document


def test_minutes_history_lists_revisions_and_diffs_two(client, meeting, member, other_member):
    minutes_save(meeting=meeting, kind="minutes", body="alpha\nbeta", base_revision=0, by=member)
    minutes_save(meeting=meeting, kind="minutes", body="alpha\ngamma", base_revision=1, by=other_member)
    url = reverse(
        "minutes-history", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    content = client.get(url, {"a": 1, "b": 2}).content.decode()

    assert "Revision 1 → revision 2" in content
    assert '<span class="del">-beta</span>' in content
    assert '<span class="add">+gamma</span>' in content
    assert "Ada Lovelace" in content and "Alan Turing" in content


def test_minutes_history_bad_revision_numbers_are_400(client, meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="alpha", base_revision=0, by=member)
    url = reverse(
        "minutes-history", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    response = client.get(url, {"a": 1, "b": 99})

    assert response.status_code == 400
    assert b"Choose two revisions" in response.content


def test_minutes_restore_view_restores_as_new_revision(member_client, meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="first", base_revision=0, by=member)
    minutes_save(meeting=meeting, kind="minutes", body="second", base_revision=1, by=member)
    url = reverse(
        "minutes-restore", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    response = member_client.post(url, {"number": 1})

    assert response.status_code == 302
    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    assert (minutes.body, minutes.revision) == ("first", 3)


def test_minutes_restore_refuses_visitors(client, meeting, member):
    minutes_save(meeting=meeting, kind="minutes", body="first", base_revision=0, by=member)
    minutes_save(meeting=meeting, kind="minutes", body="second", base_revision=1, by=member)
    url = reverse(
        "minutes-restore", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    client.post(url, {"number": 1})

    assert Minutes.objects.get(meeting=meeting, kind="minutes").body == "second"


def test_minutes_publish_by_organiser_emails_members_once(
    organiser_client, meeting, member, organiser, mailoutbox, django_capture_on_commit_callbacks
):
    minutes_save(meeting=meeting, kind="minutes", body="We read **BERT**.", base_revision=0, by=member)
    url = reverse(
        "minutes-publish", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url)
    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    minutes_send_published(minutes_id=minutes.pk)  # a redelivered task

    assert sorted(m.to[0] for m in mailoutbox) == ["ada@example.org", "grace@example.org"]
    html = mailoutbox[0].alternatives[0][0]
    assert "<strong>BERT</strong>" in html
    assert mailoutbox[0].subject == f"[IGR-data ML Club] Minutes: {meeting.label}"
    assert minutes.published_at is not None and minutes.published_by == organiser


def test_minutes_publish_skips_members_who_opted_out(meeting, member, organiser, mailoutbox):
    member.notify_minutes = False
    member.save()
    minutes = minutes_save(meeting=meeting, kind="minutes", body="x", base_revision=0, by=member).minutes
    minutes_publish(minutes=minutes, by=organiser)
    minutes.refresh_from_db()

    sent = minutes_send_published_email(minutes=minutes)

    assert sent == 1
    assert [m.to for m in mailoutbox] == [["grace@example.org"]]


def test_minutes_publish_refused_for_members(member_client, meeting, member, mailoutbox):
    minutes_save(meeting=meeting, kind="minutes", body="x", base_revision=0, by=member)
    url = reverse(
        "minutes-publish", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    response = member_client.post(url)

    assert response.status_code == 403
    assert Minutes.objects.get(meeting=meeting, kind="minutes").published_at is None
    assert mailoutbox == []


def test_minutes_publish_empty_minutes_is_refused_with_message(organiser_client, meeting):
    url = reverse(
        "minutes-publish", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    response = organiser_client.post(url, follow=True)

    assert "Write something before publishing." in response.content.decode()
    assert not Minutes.objects.filter(meeting=meeting, published_at__isnull=False).exists()


def test_minutes_editor_query_count_is_fixed(member_client, meeting, member, django_assert_max_num_queries):
    for number in range(30):
        minutes_save(meeting=meeting, kind="minutes", body=f"v{number}", base_revision=number, by=member)
    UserFactory.create_batch(3)

    with django_assert_max_num_queries(12):
        member_client.get(_edit_url(meeting))


def test_minutes_and_recap_footnotes_get_distinct_ids_on_one_page(client, meeting, member):
    minutes_save(
        meeting=meeting, kind="minutes", body="A claim.[^1]\n\n[^1]: minutes note", base_revision=0, by=member
    )
    minutes_save(
        meeting=meeting, kind="recap", body="B claim.[^1]\n\n[^1]: recap note", base_revision=0, by=member
    )

    page = client.get(meeting.get_absolute_url()).content.decode()

    assert 'id="md-minutes-fn:1"' in page and 'href="#md-minutes-fn:1"' in page
    assert 'id="md-recap-fn:1"' in page and 'href="#md-recap-fn:1"' in page
