from django.db.models import Prefetch

from resources.models import Resource


def resources_visible_to(user):
    """Resources a user may read. Until resources record where they were mentioned,
    the library is for members only."""
    if user and user.is_authenticated and user.is_active:
        return Resource.objects.all()
    return Resource.objects.none()


def resources_recent(*, user, limit: int = 5):
    return list(
        resources_visible_to(user)
        .select_related("added_by")
        .prefetch_related(Prefetch("tags"))
        .order_by("-created_at", "-pk")[:limit]
    )
