from django.contrib import admin

from resources.models import Resource


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "health", "metadata_state", "created_at", "added_by")
    list_filter = ("kind", "health", "metadata_state")
    search_fields = ("title", "url", "notes", "abstract", "arxiv_id", "doi")
    date_hierarchy = "created_at"
    list_select_related = ("added_by",)
