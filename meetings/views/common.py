from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def refuse(request, perm: str, obj=None, message: str = "You may not do that here."):
    """None when the user has perm on obj; otherwise the sign-in redirect, or a 403 with a reason."""
    if request.user.has_perm(perm, obj):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(message)
