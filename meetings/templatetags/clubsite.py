from datetime import timedelta
from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """1:30:00 → "1 h 30 min"."""
    if not value:
        return ""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "0 min"


@register.filter
def short_url(url: str, length: int = 48) -> str:
    """ "https://www.example.org/a/very/long/path?x=1" → "example.org/a/very/lo…?x=1", for showing.

    The full address stays in the link (and its title), so nothing is lost; a page never
    widens for a long address.
    """
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.netloc:
        text = url
    else:
        host = parts.netloc.removeprefix("www.")
        rest = parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
        text = host + rest
    if len(text) <= length:
        return text
    keep = length - 1
    head = keep * 2 // 3
    return text[:head] + "…" + text[-(keep - head) :]
