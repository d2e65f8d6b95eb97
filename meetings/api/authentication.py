"""`Authorization: Token <token>`: a member's API token, looked up by its hash."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from meetings.models import ApiToken
from meetings.throttles import FailedTokenThrottle

KEYWORD = "Token"
# Writing last_used_at on every request would make every read a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        # An address that sent too many wrong tokens waits, whatever it sends now: no guessing.
        failures = FailedTokenThrottle()
        wait = failures.blocked_for(request)
        if wait is not None:
            raise exceptions.Throttled(
                wait=wait, detail="Too many wrong API tokens from your address; try again later."
            )
        try:
            return self._authenticate(header)
        except exceptions.AuthenticationFailed:
            failures.record_failure()
            raise

    def _authenticate(self, header: list[bytes]):
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as `Authorization: Token <token>`.")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        api_token = ApiToken.objects.by_token(token).select_related("user").first()
        if api_token is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if api_token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                f"The token “{api_token.name}” was revoked on {api_token.revoked_at:%Y-%m-%d %H:%M} UTC."
            )
        if not api_token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is disabled.")
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token.user, api_token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return KEYWORD


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "meetings.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A token from your profile page, sent as `Authorization: Token <token>`.",
        }
