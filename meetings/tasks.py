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


@shared_task(name="meetings.invitation_send", acks_late=True, reject_on_worker_lost=True, **RETRY)
def invitation_send(*, invitation_id: int, token: str) -> None:
    """Email an invitation link (once)."""
    invitation = Invitation.objects.select_related("invited_by", "series").filter(pk=invitation_id).first()
    if invitation is None:
        return
    accounts.invitation_send_email(invitation=invitation, token=token)


@shared_task(name="meetings.invitations_purge_expired", acks_late=True, reject_on_worker_lost=True)
def invitations_purge_expired() -> int:
    """Delete invitations that expired more than a month ago."""
    return accounts.invitations_purge_expired()


@shared_task(name="meetings.minutes_send_published", acks_late=True, reject_on_worker_lost=True, **RETRY)
def minutes_send_published(*, minutes_id: int) -> int:
    """Email published minutes to the series' members (once)."""
    minutes = Minutes.objects.select_related("meeting__series").filter(pk=minutes_id).first()
    if minutes is None:
        return 0
    return minutes_services.minutes_send_published_email(minutes=minutes)


@shared_task(
    name="meetings.research_item_notify_assignee", acks_late=True, reject_on_worker_lost=True, **RETRY
)
def research_item_notify_assignee(*, item_id: int) -> bool:
    """Email a research item's assignee (once per assignment)."""
    item = ResearchItem.objects.select_related("assignee", "meeting__series").filter(pk=item_id).first()
    if item is None:
        return False
    return research.research_item_send_assignment_email(item=item)


@shared_task(name="meetings.talk_reminders_send", acks_late=True, reject_on_worker_lost=True)
def talk_reminders_send() -> int:
    """Send the speaker reminders due now, each once per talk and reminder (Celery beat, hourly)."""
    from meetings.services import rota

    return rota.talk_reminders_send()


@shared_task(name="meetings.talk_confirmation_send", acks_late=True, reject_on_worker_lost=True, **RETRY)
def talk_confirmation_send(*, talk_id: int) -> bool:
    """Ask a newly assigned speaker to confirm their talk (once per assignment)."""
    from meetings.models import Talk
    from meetings.services import rota

    talk = Talk.objects.select_related("speaker", "meeting__series").filter(pk=talk_id).first()
    if talk is None:
        return False
    return rota.talk_send_confirmation_email(talk=talk)


@shared_task(name="meetings.swap_request_send_email", acks_late=True, reject_on_worker_lost=True, **RETRY)
def swap_request_send_email(*, swap_id: int, event: str) -> int:
    """Email the speakers of a swap request when it is asked and when it is decided."""
    from meetings.models import SwapRequest
    from meetings.services import rota

    swap = (
        SwapRequest.objects.select_related(
            "requested_by",
            "from_talk__speaker",
            "from_talk__meeting__series",
            "to_talk__speaker",
            "to_talk__meeting__series",
        )
        .filter(pk=swap_id)
        .first()
    )
    if swap is None:
        return 0
    return rota.swap_request_send_email(swap=swap, event=event)
