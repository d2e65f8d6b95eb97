"""Members' API tokens: created with a name, shown once, stored hashed, revoked by their owner."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings.models import ApiToken

MAX_ACTIVE_TOKENS = 20


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a named token for the user; returns the row and the token, which is never stored."""
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. “lab Slack bot”."})
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError({"name": f"You have {MAX_ACTIVE_TOKENS} tokens: revoke one you no longer use."})
    api_token = ApiToken(user=user, name=name)
    token = api_token.set_new_token()
    api_token.save()
    return api_token, token


def api_token_revoke(*, user, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs or already revoked."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
