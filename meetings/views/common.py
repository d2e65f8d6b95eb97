from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def refuse(request, perm: str, obj=None, message: str = "You may not do that here."):
    """None when the user has perm on obj; otherwise the sign-in redirect, or a 403 with a reason."""
    if request.user.has_perm(perm, obj):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(message)


def bad_request(request, message: str):
    """A 400 page saying what was wrong; the message is escaped by the template (issue 13, finding 1)."""
    return render(request, "400.html", {"message": message}, status=400)
