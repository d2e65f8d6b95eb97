from django.contrib import admin

from resources.models import Mention, ReadingList, ReadingListItem, Resource
from resources.services.visibility import resources_held_via, resources_visibility_refresh


class KeepsVisibilityAdmin(admin.ModelAdmin):
    """Staff edits in the admin that add or remove what holds a resource (mentions, talks, items,
    list items, a series' visibility, deletions) recompute who sees the resources involved, as the
    services do."""

    def save_model(self, request, obj, form, change):
        before = resources_held_via(type(obj).objects.filter(pk=obj.pk).first()) if change else set()
        request._visibility_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_visibility_before", set())
        resources_visibility_refresh(resource_ids=before | resources_held_via(form.instance))

    def delete_model(self, request, obj):
        held = resources_held_via(obj)
        super().delete_model(request, obj)
        resources_visibility_refresh(resource_ids=held)

    def delete_queryset(self, request, queryset):
        held = set().union(*(resources_held_via(obj) for obj in queryset))
        super().delete_queryset(request, queryset)
        resources_visibility_refresh(resource_ids=held)


class MentionInline(admin.TabularInline):
    model = Mention
    extra = 0
    autocomplete_fields = ("meeting",)


@admin.register(Resource)
class ResourceAdmin(KeepsVisibilityAdmin):
    list_display = ("__str__", "kind", "health", "metadata_state", "created_at", "added_by")
    list_filter = ("kind", "health", "metadata_state", "created_at")
    search_fields = ("title", "url", "notes", "abstract", "arxiv_id", "doi")
    date_hierarchy = "created_at"
    list_select_related = ("added_by",)
    readonly_fields = ("search_text", "created_at", "updated_at", "held_by_library", "audience")
    exclude = ("search_vector",)
    inlines = [MentionInline]


@admin.register(Mention)
class MentionAdmin(KeepsVisibilityAdmin):
    list_display = ("resource", "meeting", "section", "created_at")
    list_filter = ("section", "meeting__series")
    search_fields = ("resource__title", "resource__url", "meeting__title")
    autocomplete_fields = ("resource", "meeting")
    list_select_related = ("resource", "meeting__series")


class ReadingListItemInline(admin.TabularInline):
    model = ReadingListItem
    extra = 0
    autocomplete_fields = ("resource",)
    fields = ("position", "resource", "note")


@admin.register(ReadingList)
class ReadingListAdmin(KeepsVisibilityAdmin):
    list_display = ("title", "series", "is_public", "created_by", "updated_at")
    list_filter = ("is_public", "series")
    search_fields = ("title", "description")
    inlines = [ReadingListItemInline]
