"""Celery tasks of the library; autodiscovery imports this package, which imports its modules."""

from resources.tasks import health, metadata  # noqa: F401 - registers the tasks
