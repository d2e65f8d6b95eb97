from django.conf import settings
from django.urls import NoReverseMatch, reverse

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
    return {"SITE_NAME": settings.SITE_NAME, "NAV_ITEMS": items}
