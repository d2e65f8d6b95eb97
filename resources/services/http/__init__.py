"""The one outbound HTTP client: every request the site makes to another server goes through it.

Link checks, page heads, the metadata APIs (and, later, webhooks) all use ``fetch`` with a
``SafeSession``: SSRF-safe connections (``transport``; addresses vetted by ``addresses``),
redirects followed by hand and vetted on every hop, a deadline and a byte cap per fetch,
one ``FetchError`` family (``errors``) and one reading of Retry-After (``retry``).
"""

from resources.services.http.addresses import (
    FORBIDDEN_NETWORKS,
    address_refusal,
    host_allowed_internal,
    resolve,
    url_refusal,
    vetted_addresses,
)
from resources.services.http.errors import (
    CONNECTION_ERROR,
    DNS_ERROR,
    REDIRECT_LOOP,
    SSRF_BLOCKED,
    TIMEOUT,
    TLS_ERROR,
    UNSUPPORTED,
    AddressRefused,
    FetchError,
    TransientError,
)
from resources.services.http.fetch import (
    PERMANENT_REDIRECT_STATUSES,
    REDIRECT_STATUSES,
    Fetched,
    classify_error,
    fetch,
    redirect_target,
)
from resources.services.http.retry import backoff_seconds, retry_after_seconds
from resources.services.http.transport import SafeSession, VettedAdapter, session_new

__all__ = [
    "CONNECTION_ERROR",
    "DNS_ERROR",
    "FORBIDDEN_NETWORKS",
    "PERMANENT_REDIRECT_STATUSES",
    "REDIRECT_LOOP",
    "REDIRECT_STATUSES",
    "SSRF_BLOCKED",
    "TIMEOUT",
    "TLS_ERROR",
    "UNSUPPORTED",
    "AddressRefused",
    "FetchError",
    "Fetched",
    "SafeSession",
    "TransientError",
    "VettedAdapter",
    "address_refusal",
    "backoff_seconds",
    "classify_error",
    "fetch",
    "host_allowed_internal",
    "redirect_target",
    "resolve",
    "retry_after_seconds",
    "session_new",
    "url_refusal",
    "vetted_addresses",
]
