from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from meetings import markdown

        # meetings.markdown is plain Python; the limit is a setting.
        markdown.MAX_LENGTH = settings.MARKDOWN_MAX_LENGTH
