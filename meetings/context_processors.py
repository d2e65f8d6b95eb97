from django.conf import settings
from django.urls import NoReverseMatch, reverse

from meetings.models import User

# (label, url name, url-name prefixes that belong to the section)
NAV = [
    ("Meetings", "series-list", ("series-", "meeting-", "minutes-", "dashboard")),
    ("Research", "research-board", ("research-",)),
    ("Library", "library", ("library", "resource-")),
    ("Reading lists", "readinglist-list", ("readinglist-",)),
]


def site(request):
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match and match.url_name else ""
    items = []
    for label, name, prefixes in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            # Sections not built yet stay out of the navigation.
            continue
        items.append({"label": label, "url": url, "current": current.startswith(prefixes)})
    theme = request_theme(request)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "NAV_ITEMS": items,
        "THEME": theme,
        "THEME_CHOICES": THEME_CHOICES,
        "THEME_LABEL": dict(THEME_CHOICES)[theme],
    }


THEME_COOKIE = "theme"
THEME_CHOICES = User.Theme.choices


def request_theme(request) -> str:
    """The member's chosen theme; a visitor's from their cookie; "auto" follows the device."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.theme
    value = request.COOKIES.get(THEME_COOKIE, "auto")
    return value if value in dict(THEME_CHOICES) else "auto"
