"""Who may see and change what: every permission of the site, in one place.

Roles (DESIGN.md): a visitor is anyone not signed in; a member is any active,
signed-in account; an organiser is a member listed among a series' organisers;
staff use the Django admin and may do everything.

Views, forms and the API ask ``user.has_perm("meetings.<name>", obj)``; the
predicates take the object the question is about (a series, a meeting, minutes).
"""

import rules


def _series_of(obj):
    """The series an object belongs to (a series, a meeting, minutes, a talk)."""
    if obj is None:
        return None
    if hasattr(obj, "organisers"):
        return obj
    if hasattr(obj, "series"):
        return obj.series
    if hasattr(obj, "meeting"):
        return obj.meeting.series
    raise TypeError(f"No series for {type(obj).__name__}")


@rules.predicate
def is_member(user):
    return bool(user and user.is_authenticated and user.is_active)


@rules.predicate
def is_staff(user):
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


@rules.predicate
def is_organiser(user, obj):
    """Organiser of the series the object belongs to."""
    series = _series_of(obj)
    if series is None or not (user and user.is_authenticated and user.is_active):
        return False
    # Selectors prefetch organisers; use them when present to keep query counts fixed.
    cache = getattr(series, "_prefetched_objects_cache", {})
    if "organisers" in cache:
        return any(u.pk == user.pk for u in cache["organisers"])
    return series.organisers.filter(pk=user.pk).exists()


@rules.predicate
def is_any_organiser(user):
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.organised_series.exists()


@rules.predicate
def is_public(user, obj):
    series = _series_of(obj)
    return series is not None and series.is_public


can_view = is_public | is_member
can_organise = is_staff | is_organiser

rules.add_perm("meetings.view_series", can_view)
rules.add_perm("meetings.change_series", can_organise)
rules.add_perm("meetings.add_series", is_staff | is_any_organiser)
rules.add_perm("meetings.add_meeting", can_organise)
rules.add_perm("meetings.view_meeting", can_view)
rules.add_perm("meetings.change_meeting", can_organise)
rules.add_perm("meetings.edit_minutes", can_view & is_member)
rules.add_perm("meetings.publish_minutes", can_organise)
rules.add_perm("meetings.invite_member", is_staff | is_any_organiser)
rules.add_perm("meetings.add_researchitem", can_view & is_member)
rules.add_perm("meetings.change_researchitem", can_view & is_member)


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
