import os

from django.core.wsgi import get_wsgi_application

from clubsite.localenv import local_env_load

# var/local.env (make run's settings) only while DEBUG is on; production never reads it.
local_env_load()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")

application = get_wsgi_application()
