"""The API asks the same rules as the web pages (meetings/rules.py, resources/rules.py)."""

from rest_framework import permissions


class RulesPermission(permissions.BasePermission):
    """Writes need a signed-in user (401 otherwise); then `user.has_perm(perm, obj)` decides (403).

    A view names its permission per HTTP method in `rules_perms`, e.g.
    ``{"PATCH": "resources.change_resource"}``, and calls ``self.check_object_permissions(request,
    obj)`` with the object the question is about (None for permissions that need none). Reads
    need no permission here: the selectors show each user what the web pages show them, and
    answer 404 for anything hidden.
    """

    message = "You may not do this."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        perm = getattr(view, "rules_perms", {}).get(request.method)
        if perm is None:
            return request.method in permissions.SAFE_METHODS
        return request.user.has_perm(perm, obj)
