"""When to try a request again: the server's Retry-After, else exponential backoff."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 30.0) -> float:
    """The wait before retry number ``attempt`` (1, 2, ...): base, twice that, four times ... up to cap."""
    return min(cap, base * 2 ** max(attempt - 1, 0))
