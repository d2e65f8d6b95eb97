"""Accounts: invitations and the first organiser account."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from meetings.models import Invitation, Series

User = get_user_model()


def invitation_create(*, email: str, invited_by, series: Series | None = None) -> tuple[Invitation, str]:
    """Create an invitation and queue its email once the row is committed.

    Returns the invitation and the raw token (shown nowhere but the email).
    """
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this email address already has an account."})
    invitation = Invitation(
        email=email,
        series=series,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    token = invitation.set_new_token()
    with transaction.atomic():
        # A newer invitation replaces any earlier unused one for the same address.
        Invitation.objects.usable().filter(email__iexact=email).update(expires_at=timezone.now())
        invitation.save()
        from meetings.tasks import invitation_send

        transaction.on_commit(lambda: invitation_send.delay(invitation_id=invitation.pk, token=token))
    return invitation, token


def invitation_send_email(*, invitation: Invitation, token: str) -> bool:
    """Send the invitation email once; return False if it was already sent or is unusable."""
    if not invitation.is_usable:
        return False
    claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return False
    link = settings.SITE_URL + reverse("invitation-accept", kwargs={"token": token})
    context = {
        "invitation": invitation,
        "link": link,
        "inviter": invitation.invited_by.name if invitation.invited_by else settings.SITE_NAME,
        "site_name": settings.SITE_NAME,
        "days": settings.INVITATION_VALID_DAYS,
    }
    try:
        send_mail(
            subject=render_to_string("emails/invitation_subject.txt", context).strip(),
            message=render_to_string("emails/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:
        # Release the claim so a retry can send it.
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
        raise
    return True


def invitation_accept(*, token: str, username: str, password: str, display_name: str = ""):
    """Turn a usable invitation into an account; the link works once."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().by_token(token).usable().first()
        if invitation is None:
            raise ValidationError("This invitation link has expired or has already been used.")
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": "That username is taken; please choose another."})
        user = User(username=username, email=invitation.email, display_name=display_name)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        if invitation.series_id:
            invitation.series.members.add(user)
    return user


def invitations_purge_expired(*, older_than_days: int = 30) -> int:
    """Delete unaccepted invitations that expired long ago; returns how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Invitation.objects.filter(accepted_at__isnull=True, expires_at__lt=cutoff).delete()
    return deleted


def organiser_ensure(*, username: str = "organiser", email: str = "") -> tuple[object, str | None]:
    """Make sure a staff organiser account exists; return it and a new password if one was made."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    user = User.objects.create_superuser(username=username, email=email, password=password)
    user.display_name = "Organiser"
    user.save(update_fields=["display_name"])
    return user, password


def organiser_password_set(*, username: str = "organiser") -> str:
    """Give an existing account a new random password (for an operator who lost it); return it."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"There is no account {username!r}."})
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


def account_theme_set(*, user, theme: str) -> None:
    """Remember the member's colour theme (auto follows the device)."""
    if theme not in User.Theme.values:
        raise ValidationError({"theme": f"Choose one of: {', '.join(User.Theme.values)}."})
    if user.theme != theme:
        user.theme = theme
        user.save(update_fields=["theme"])
