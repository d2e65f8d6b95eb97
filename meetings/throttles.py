"""Rate limits (issue 13): per API token, failed tokens per address, expensive pages per member.

Counted with DRF's SimpleRateThrottle in Django's cache (settings.CACHES: the database unless
CACHE_URL names Redis, so every web process shares one count). A refusal is a 429 with
Retry-After. Sign-in attempts are limited by django-axes (settings, AXES_*).
"""

import functools
import math

from django.conf import settings
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

from meetings.models import ApiToken


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXIES proxies the X-Forwarded-For
    entry the nearest proxy saw (the same rule DRF's throttles use, through NUM_PROXIES).
    django-axes asks this too (AXES_CLIENT_IP_CALLABLE), so sign-ins count per real address."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not settings.TRUSTED_PROXIES or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    return addresses[-min(settings.TRUSTED_PROXIES, len(addresses))] if addresses else remote


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per API token (API_TOKEN_RATE); sessions are not limited here."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(getattr(request, "auth", None), ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class FailedTokenThrottle(SimpleRateThrottle):
    """Wrong, revoked or disabled tokens per address (API_FAILED_TOKEN_RATE): guessing stops."""

    scope = "failed_token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked_for(self, request) -> float | None:
        """Seconds until this address may try a token again, or None if it may now."""
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.wait()
        return None

    def record_failure(self) -> None:
        self.throttle_success()


class MemberRateThrottle(SimpleRateThrottle):
    """A page's requests per member (per address for visitors), for the scope's rate."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def retry_after(wait: float | None) -> int:
    return max(1, math.ceil(wait or 1))


def too_many_requests(request, *, wait: float | None, what: str):
    seconds = retry_after(wait)
    response = render(request, "429.html", {"what": what, "seconds": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def rate_limited(scope: str, *, what: str, methods=("GET", "POST")):
    """Limit a Django view to the scope's rate per member: beyond it, 429 with Retry-After."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                throttle = MemberRateThrottle(scope)
                if not throttle.allow_request(request, None):
                    return too_many_requests(request, wait=throttle.wait(), what=what)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
