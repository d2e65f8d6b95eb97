from celery import shared_task

from meetings.models import Invitation, Minutes, ResearchItem
from meetings.services import accounts, research
from meetings.services import minutes as minutes_services

RETRY = {
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="meetings.invitation_send", acks_late=True, **RETRY)
def invitation_send(*, invitation_id: int, token: str) -> None:
    """Email an invitation link (once)."""
    invitation = Invitation.objects.select_related("invited_by", "series").filter(pk=invitation_id).first()
    if invitation is None:
        return
    accounts.invitation_send_email(invitation=invitation, token=token)


@shared_task(name="meetings.invitations_purge_expired", acks_late=True)
def invitations_purge_expired() -> int:
    """Delete invitations that expired more than a month ago."""
    return accounts.invitations_purge_expired()


@shared_task(name="meetings.minutes_send_published", acks_late=True, **RETRY)
def minutes_send_published(*, minutes_id: int) -> int:
    """Email published minutes to the series' members (once)."""
    minutes = Minutes.objects.select_related("meeting__series").filter(pk=minutes_id).first()
    if minutes is None:
        return 0
    return minutes_services.minutes_send_published_email(minutes=minutes)


@shared_task(name="meetings.research_item_notify_assignee", acks_late=True, **RETRY)
def research_item_notify_assignee(*, item_id: int) -> bool:
    """Email a research item's assignee (once per assignment)."""
    item = ResearchItem.objects.select_related("assignee", "meeting__series").filter(pk=item_id).first()
    if item is None:
        return False
    return research.research_item_send_assignment_email(item=item)
