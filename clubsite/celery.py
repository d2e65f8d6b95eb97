import os
import sys
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

from clubsite.localenv import local_env_load

# The `celery` program (worker, beat, inspect) reads var/local.env as manage.py does, while
# DEBUG is on. Importing this module elsewhere (the test suite, wsgi) leaves the environment alone.
if Path(sys.argv[0]).name == "celery" or sys.argv[0].endswith(os.path.join("celery", "__main__.py")):
    local_env_load()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")

app = Celery("clubsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _worker_ready_file(**kwargs):
    # `make run` logs the worker at WARNING, where Celery's own "ready." line is not shown:
    # the runner asks for this file instead, to know when tasks will be taken.
    path = os.environ.get("CLUBSITE_WORKER_READY_FILE")
    if path:
        Path(path).touch()
