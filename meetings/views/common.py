from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


def refuse(request, perm: str, obj=None, message: str = "You may not do that here."):
    """None when the user has perm on obj; otherwise the sign-in redirect, or a 403 with a reason."""
    if request.user.has_perm(perm, obj):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(message)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links: the SVG icon WhiteNoise serves."""
    return redirect(static("img/favicon.svg"))


def next_or(request, default: str) -> str:
    """The posted `next` address if it is a path on this site, else `default`.

    A path only: redirect() takes anything else for a view name to reverse, and "2021-02-30T25:61"
    made it raise NoReverseMatch, a 500 (issue 13); another host is an open redirect.
    """
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def bad_request(request, message: str):
    """A 400 page saying what was wrong; the message is escaped by the template (issue 13, finding 1)."""
    return render(request, "400.html", {"message": message}, status=400)
