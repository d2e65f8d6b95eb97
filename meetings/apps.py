from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from meetings import markdown

        # meetings.markdown is plain Python; the limit is a setting.
        markdown.MAX_LENGTH = settings.MARKDOWN_MAX_LENGTH

        from django.contrib import admin

        from meetings.admin import readable_initial_only

        # Every app's admin is registered by now (django.contrib.admin comes first and autodiscovers).
        for model_admin in admin.site._registry.values():
            readable_initial_only(model_admin)
