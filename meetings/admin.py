from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.forms.models import BaseInlineFormSet

from meetings.models import (
    Invitation,
    Meeting,
    MeetingSection,
    Minutes,
    MinutesRevision,
    ResearchItem,
    ResearchItemEvent,
    Series,
    SkipDate,
    Suggestion,
    SuggestionComment,
    SuggestionVote,
    SwapRequest,
    Talk,
    TalkReminder,
    Unavailability,
    User,
)
from resources.admin import KeepsVisibilityAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Club", {"fields": ("display_name", "notify_minutes", "notify_assignments", "notify_speaker")}),
    )
    list_display = ("username", "display_name", "email", "is_staff", "is_active", "last_login")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")

    # A deleted account's talks keep its name as a guest speaker: a talk needs a speaker or a
    # guest (a check constraint), so deleting a speaker raised IntegrityError, a 500.
    def delete_model(self, request, obj):
        self._keep_talks(User.objects.filter(pk=obj.pk))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._keep_talks(queryset)
        super().delete_queryset(request, queryset)

    @staticmethod
    def _keep_talks(users) -> None:
        for user in users:
            Talk.objects.filter(speaker=user, guest_name="").update(guest_name=user.name[:200])


class SkipDateInline(admin.TabularInline):
    model = SkipDate
    extra = 0


@admin.register(Series)
class SeriesAdmin(KeepsVisibilityAdmin):
    list_display = ("name", "slug", "visibility", "weekday", "start_time", "cadence_weeks")
    list_filter = ("visibility", "weekday", "cadence_weeks")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("organisers", "members", "speaker_pool")
    readonly_fields = ("calendar_token",)
    inlines = [SkipDateInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from meetings.services.series import series_organisers_are_members

        series_organisers_are_members(series=form.instance)


class MeetingSectionFormSet(BaseInlineFormSet):
    """Sections saved in the admin get their HTML and mentions through the service, like an import's."""

    def save_new(self, form, commit=True):
        from meetings.services.sections import section_save

        setattr(form.instance, self.fk.name, self.instance)
        return section_save(section=form.save(commit=False))

    def save_existing(self, form, obj, commit=True):
        from meetings.services.sections import section_save

        return section_save(section=form.save(commit=False))


class MeetingSectionInline(admin.StackedInline):
    model = MeetingSection
    formset = MeetingSectionFormSet
    extra = 0
    fields = ("kind", "heading", "body", "position", "import_key")
    readonly_fields = ("import_key",)


class TalkInline(admin.TabularInline):
    model = Talk
    extra = 0
    autocomplete_fields = ("speaker", "resource")


@admin.register(Meeting)
class MeetingAdmin(KeepsVisibilityAdmin):
    list_display = ("__str__", "series", "start", "status", "location")
    list_filter = ("status", "series", ("start", admin.DateFieldListFilter))
    search_fields = ("title", "agenda", "location", "series__name", "talks__title", "talks__guest_name")
    date_hierarchy = "start"
    list_select_related = ("series",)
    inlines = [TalkInline, MeetingSectionInline]


@admin.register(Talk)
class TalkAdmin(KeepsVisibilityAdmin):
    list_display = ("__str__", "meeting", "speaker", "guest_name")
    list_filter = ("meeting__series",)
    search_fields = ("title", "guest_name", "speaker__username", "speaker__display_name")
    autocomplete_fields = ("speaker", "resource", "meeting")
    list_select_related = ("meeting__series", "speaker")


class RevisionInline(admin.TabularInline):
    model = MinutesRevision
    extra = 0
    fields = ("number", "author", "created_at", "note")
    readonly_fields = fields
    can_delete = False
    ordering = ("-number",)


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "revision", "updated_at", "updated_by", "published_at")
    list_filter = ("kind", "meeting__series", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("body", "meeting__title", "meeting__series__name")
    readonly_fields = ("body_html", "revision", "updated_at", "updated_by", "publish_email_sent_at")
    list_select_related = ("meeting__series", "updated_by")
    inlines = [RevisionInline]


@admin.register(MinutesRevision)
class MinutesRevisionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "author", "created_at", "note")
    list_filter = ("minutes__kind", "minutes__meeting__series")
    search_fields = ("body", "note")
    list_select_related = ("minutes__meeting__series", "author")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "series", "invited_by", "created_at", "expires_at", "sent_at", "accepted_at")
    list_filter = ("series", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email",)
    readonly_fields = ("token_hash", "sent_at", "accepted_at", "accepted_user")


class ResearchItemEventInline(admin.TabularInline):
    model = ResearchItemEvent
    extra = 0
    fields = ("created_at", "actor", "from_status", "to_status", "reason", "from_assignee", "to_assignee")
    readonly_fields = fields
    can_delete = False


@admin.register(ResearchItem)
class ResearchItemAdmin(KeepsVisibilityAdmin):
    list_display = ("text", "meeting", "status", "assignee", "status_changed_at")
    list_filter = ("status", "meeting__series", ("assignee", admin.RelatedOnlyFieldListFilter))
    search_fields = ("text", "drop_reason", "assignee__username", "meeting__title")
    list_select_related = ("meeting__series", "assignee")
    autocomplete_fields = ("meeting", "assignee", "resource")
    readonly_fields = ("text_html", "status_changed_by", "status_changed_at", "assignment_notified")
    inlines = [ResearchItemEventInline]


@admin.register(SkipDate)
class SkipDateAdmin(admin.ModelAdmin):
    list_display = ("date", "series", "reason")
    list_filter = ("series",)
    date_hierarchy = "date"
    list_select_related = ("series",)


@admin.register(Unavailability)
class UnavailabilityAdmin(admin.ModelAdmin):
    list_display = ("date", "user", "series", "note")
    list_filter = ("series",)
    search_fields = ("user__username", "user__display_name", "note")
    date_hierarchy = "date"
    autocomplete_fields = ("user",)
    list_select_related = ("user", "series")


@admin.register(TalkReminder)
class TalkReminderAdmin(admin.ModelAdmin):
    list_display = ("talk", "days_before", "sent_at")
    list_filter = ("days_before", "talk__meeting__series")
    list_select_related = ("talk__meeting__series", "talk__speaker")

    def get_readonly_fields(self, request, obj=None):
        # A sent reminder is a record; adding one needs its talk and day (all read-only, the add
        # form saved a row without a talk: an IntegrityError, a 500).
        return ("talk", "days_before", "sent_at") if obj is not None else ()


@admin.register(SwapRequest)
class SwapRequestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "requested_by", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status", "from_talk__meeting__series")
    search_fields = ("requested_by__username", "message")
    autocomplete_fields = ("from_talk", "to_talk", "requested_by", "decided_by")
    list_select_related = ("requested_by", "decided_by")


class SuggestionVoteInline(admin.TabularInline):
    model = SuggestionVote
    extra = 0
    autocomplete_fields = ("user",)


class SuggestionCommentInline(admin.TabularInline):
    model = SuggestionComment
    extra = 0
    fields = ("author", "body", "created_at")
    readonly_fields = ("author", "body", "created_at")


@admin.register(Suggestion)
class SuggestionAdmin(KeepsVisibilityAdmin):
    """A staff edit that changes a suggestion's paper or series recomputes who sees the papers."""

    list_display = ("__str__", "series", "state", "suggested_by", "created_at", "would_present")
    list_filter = ("state", "series", "would_present")
    search_fields = ("resource__title", "resource__url", "pitch", "suggested_by__username")
    date_hierarchy = "created_at"
    list_select_related = ("series", "resource", "suggested_by")
    autocomplete_fields = ("resource", "suggested_by", "talk", "presented_meeting")
    readonly_fields = ("pitch_html", "created_at", "updated_at")
    inlines = [SuggestionVoteInline, SuggestionCommentInline]


def readable_initial_only(model_admin) -> None:
    """The add form takes initial values from the query string (?meeting=3); one that is not a
    value of its field (?meeting=x) made Django raise ValueError, a 500 (issue 13). Such values
    are left out: the form starts empty there."""
    read_initial = model_admin.get_changeform_initial_data

    def get_changeform_initial_data(request):
        initial = read_initial(request)
        for name, value in list(initial.items()):
            try:
                field = model_admin.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            target = field.target_field if field.is_relation else field
            if not all(_readable(target, part) for part in (value if isinstance(value, list) else [value])):
                del initial[name]
        return initial

    model_admin.get_changeform_initial_data = get_changeform_initial_data


def _readable(field, value) -> bool:
    try:
        field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


_autocomplete_optgroups = AutocompleteMixin.optgroups


def _readable_optgroups(self, name, value, attr=None):
    # Django's autocomplete widget looks a form's submitted values up as they are, so a posted
    # "x" for a foreign key raised ValueError while the form was shown again with its errors
    # (a 500 in every admin change form with autocomplete fields, issue 13). Values that are not
    # keys are left out; the form still says the field is invalid.
    remote = self.field.remote_field.model._meta
    target = remote.get_field(getattr(self.field.remote_field, "field_name", remote.pk.attname))
    value = [v for v in value if v in (None, "") or _readable(target, v)]
    return _autocomplete_optgroups(self, name, value, attr)


AutocompleteMixin.optgroups = _readable_optgroups
