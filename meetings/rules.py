"""Who may see and change what: every permission of the site, in one place.

Roles (DESIGN.md, SECURITY.md "Who sees what"): a visitor is anyone not signed in; an
account is any active, signed-in user; a member of a series is an account listed in its
members (organisers are always members too); an organiser is listed among a series'
organisers; staff use the Django admin and may do everything. With OPEN_MEMBERSHIP on,
every active account is a member of every series.

The rule for reading: a public series is read by anyone; a members-only series, and
everything in it, by its members, its organisers and staff. Querysets say the same in
SQL (meetings.selectors.series_visible_to, resources.selectors.resources_visible_to);
tests/test_permission_matrix.py holds the two to one table.

Views, forms and the API ask ``user.has_perm("meetings.<name>", obj)``; the
predicates take the object the question is about (a series, a meeting, minutes).
"""

import rules
from django.conf import settings


def _series_of(obj):
    """The series an object belongs to (a series, a meeting, minutes, a talk, an item)."""
    if obj is None:
        return None
    if hasattr(obj, "organisers"):
        return obj
    if hasattr(obj, "series"):
        return obj.series
    if hasattr(obj, "meeting"):
        return obj.meeting.series
    if hasattr(obj, "suggestion"):  # a comment in a suggestion's thread
        return obj.suggestion.series
    raise TypeError(f"No series for {type(obj).__name__}")


def is_active_account(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _listed(series, relation: str, user) -> bool:
    """Is the user among the series' organisers or members? Asked once per series object and user."""
    memo = series.__dict__.setdefault("_listed_memo", {})
    key = (relation, user.pk)
    if key not in memo:
        # Selectors prefetch organisers, or remember the answer (remember_listed), so that a page
        # asking several rules runs a fixed number of queries.
        cache = getattr(series, "_prefetched_objects_cache", {})
        if relation in cache:
            memo[key] = any(u.pk == user.pk for u in cache[relation])
        else:
            memo[key] = getattr(series, relation).filter(pk=user.pk).exists()
    return memo[key]


def remember_listed(series, relation: str, user, listed: bool) -> None:
    """A selector that already knows whether the user is listed (from an annotation) says so here."""
    if is_active_account(user):
        series.__dict__.setdefault("_listed_memo", {})[(relation, user.pk)] = bool(listed)


def belongs_to(user, series) -> bool:
    """Is the account a member (or organiser) of the series? Every account is, with OPEN_MEMBERSHIP."""
    if series is None or not is_active_account(user):
        return False
    if settings.OPEN_MEMBERSHIP:
        return True
    return _listed(series, "members", user) or _listed(series, "organisers", user)


@rules.predicate
def is_member(user):
    """Any active, signed-in account (a member of the site, not necessarily of a series)."""
    return is_active_account(user)


@rules.predicate
def is_staff(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


@rules.predicate
def is_organiser(user, obj):
    """Organiser of the series the object belongs to."""
    series = _series_of(obj)
    if series is None or not is_active_account(user):
        return False
    return _listed(series, "organisers", user)


@rules.predicate
def is_any_organiser(user):
    """Organises some series. Asked by several permissions on one page, so it is asked of the
    database once per user object (one request's request.user)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not hasattr(user, "_is_any_organiser"):
        user._is_any_organiser = user.organised_series.exists()
    return user._is_any_organiser


@rules.predicate
def is_series_member(user, obj):
    """Member or organiser of the series the object belongs to."""
    return belongs_to(user, _series_of(obj))


@rules.predicate
def is_public(user, obj):
    series = _series_of(obj)
    return series is not None and series.is_public


# Reading: public series for anyone; members-only ones for their members, organisers and staff.
can_view = is_public | is_staff | is_series_member
# Writing in a series (minutes, research items): its members, organisers and staff.
can_contribute = is_staff | is_series_member
can_organise = is_staff | is_organiser

rules.add_perm("meetings.view_series", can_view)
rules.add_perm("meetings.change_series", can_organise)
rules.add_perm("meetings.add_series", is_staff | is_any_organiser)
rules.add_perm("meetings.add_meeting", can_organise)
rules.add_perm("meetings.view_meeting", can_view)
rules.add_perm("meetings.change_meeting", can_organise)
rules.add_perm("meetings.edit_minutes", can_contribute)
rules.add_perm("meetings.publish_minutes", can_organise)
rules.add_perm("meetings.invite_member", is_staff | is_any_organiser)
rules.add_perm("meetings.add_researchitem", can_contribute)
rules.add_perm("meetings.change_researchitem", can_contribute)


# Membership


@rules.predicate
def is_listed_member(user, series):
    """Listed among the series' members (not merely a member through OPEN_MEMBERSHIP)."""
    return bool(series is not None and is_active_account(user) and _listed(series, "members", user))


rules.add_perm("meetings.view_members", can_organise | is_series_member)
rules.add_perm("meetings.manage_members", can_organise)
# Organisers are always members: they stop organising (an organiser edits the series) before leaving.
rules.add_perm("meetings.leave_series", is_listed_member & ~is_organiser)


# Speaker rota


@rules.predicate
def is_talk_speaker(user, talk):
    """The member who gives the talk."""
    return bool(is_member(user) and talk is not None and talk.speaker_id == user.pk)


@rules.predicate
def is_swap_partner(user, swap):
    """The member asked to swap their slot."""
    return bool(is_member(user) and swap is not None and swap.to_talk.speaker_id == user.pk)


@rules.predicate
def organises_swap(user, swap):
    """Organiser of the series a swap request belongs to."""
    return swap is not None and is_organiser(user, swap.from_talk)


rules.add_perm("meetings.view_rota", can_view)
rules.add_perm("meetings.edit_rota", can_organise)
rules.add_perm("meetings.ask_swap", can_view & is_talk_speaker)
rules.add_perm("meetings.answer_swap", is_swap_partner | is_staff | organises_swap)
rules.add_perm("meetings.approve_swap", is_staff | organises_swap)
rules.add_perm("meetings.confirm_talk", is_talk_speaker)
rules.add_perm("meetings.mark_unavailable", is_member)
rules.add_perm("meetings.import_markdown", can_organise)  # with no series (a new one): staff only


# The paper queue: members suggest, vote, discuss and claim; organisers archive and assign.


@rules.predicate
def is_suggester(user, suggestion):
    """The member who suggested it."""
    return bool(is_member(user) and suggestion is not None and suggestion.suggested_by_id == user.pk)


@rules.predicate
def is_comment_author(user, comment):
    return bool(is_member(user) and comment is not None and comment.author_id == user.pk)


@rules.predicate
def speaks_at_claimed_talk(user, suggestion):
    """The speaker of the talk that claimed the suggestion."""
    talk = getattr(suggestion, "talk", None)
    return bool(is_member(user) and talk is not None and talk.speaker_id == user.pk)


# Objects: a series (view, suggest) or a suggestion (the rest); claim_for_talk asks about the talk.
rules.add_perm("meetings.view_queue", can_view)
rules.add_perm("meetings.add_suggestion", can_contribute)
rules.add_perm("meetings.vote_suggestion", can_contribute)
rules.add_perm("meetings.see_voters", can_contribute)
rules.add_perm("meetings.comment_suggestion", can_contribute)
rules.add_perm("meetings.change_suggestion", can_organise | (can_contribute & is_suggester))
rules.add_perm("meetings.delete_suggestion", can_organise | (can_contribute & is_suggester))
rules.add_perm("meetings.archive_suggestion", can_organise)
rules.add_perm("meetings.delete_suggestion_comment", can_organise | (can_contribute & is_comment_author))
# The speaker of an upcoming talk claims for it; an organiser assigns a suggestion to any talk.
rules.add_perm("meetings.claim_for_talk", can_organise | (can_contribute & is_talk_speaker))
rules.add_perm("meetings.release_suggestion", can_organise | (can_contribute & speaks_at_claimed_talk))
