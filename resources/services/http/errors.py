"""One family of errors for every outbound request, and the outcomes they are filed under."""

# Outcomes, spelled as LinkCheck.Outcome's values (this package does not import models).
TIMEOUT = "timeout"
DNS_ERROR = "dns_error"
CONNECTION_ERROR = "connection_error"
TLS_ERROR = "tls_error"
REDIRECT_LOOP = "redirect_loop"
SSRF_BLOCKED = "ssrf_blocked"
UNSUPPORTED = "unsupported"


class AddressRefused(Exception):
    """The URL's host is (or resolves only to) an address outbound fetches may not reach.

    Deliberately not an OSError: urllib3 and requests let it through unwrapped.
    """


class FetchError(Exception):
    """A request that produced no usable HTTP response.

    ``outcome`` is a LinkCheck outcome, ``retryable`` whether trying again may help,
    ``retry_after`` how long the server asked us to wait (when it said), ``hops`` the
    redirects followed before it failed and ``elapsed`` the seconds spent on the network.
    """

    def __init__(
        self,
        message: str,
        *,
        outcome: str = CONNECTION_ERROR,
        retryable: bool = False,
        retry_after: float | None = None,
        hops=(),
        url: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.outcome = outcome
        self.retryable = retryable
        self.retry_after = retry_after
        self.hops = list(hops)
        self.url = url
        self.elapsed = 0.0


class TransientError(FetchError):
    """A request that kept failing in a way that may pass (429, 5xx, timeouts): try again later."""

    def __init__(self, message: str, *, outcome: str = TIMEOUT, retry_after: float | None = None, **kwargs):
        kwargs.setdefault("retryable", True)
        super().__init__(message, outcome=outcome, retry_after=retry_after, **kwargs)
