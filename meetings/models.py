import hashlib
import secrets
from datetime import timedelta
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class User(AbstractUser):
    """A club member's account. Every signed-in, active account is a member."""

    email = models.EmailField("email address", blank=True)
    display_name = models.CharField(
        max_length=150, blank=True, help_text="How your name appears on the site."
    )
    notify_minutes = models.BooleanField("email me published minutes", default=True)
    notify_assignments = models.BooleanField("email me research items assigned to me", default=True)
    notify_speaker = models.BooleanField(
        "email me about my talks (confirmations, reminders, swaps)", default=True
    )
    # The secret in the address of this member's "my talks" calendar feed; reset to revoke it.
    calendar_token = models.CharField(max_length=64, blank=True, db_index=True)

    class Theme(models.TextChoices):
        AUTO = "auto", "Same as my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    theme = models.CharField(max_length=5, choices=Theme.choices, default=Theme.AUTO)

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="An account with this email address already exists.",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


def _timezone_choices():
    return [(name, name) for name in sorted(available_timezones())]


class Series(models.Model):
    """A recurring club: a journal club, a reading group, a school, a hackathon."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: anyone can read it"
        MEMBERS = "members", "Members only: its members, organisers and staff can read it"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text="Used in addresses: /series/<slug>/.")
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    organisers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="organised_series", blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="member_of_series",
        blank=True,
        help_text="Who belongs to this club: members read a members-only series and receive its emails.",
    )
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE, choices=_timezone_choices)
    cadence_weeks = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="Meet every this many weeks.",
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    start_time = models.TimeField(default="14:00")
    default_duration = models.DurationField(default=timedelta(hours=1))
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Schedule(models.TextChoices):
        EVERY_N_WEEKS = "weeks", "Every N weeks from an anchor date"
        MONTHLY = "monthly", "The nth weekday of each month"

    schedule = models.CharField(max_length=8, choices=Schedule.choices, default=Schedule.EVERY_N_WEEKS)
    anchor_date = models.DateField(
        null=True,
        blank=True,
        help_text="A date the series meets on; every N weeks counts from it (so two clubs can alternate).",
    )
    month_week = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-1), MaxValueValidator(5)],
        help_text="For monthly series: 1 = first, 2 = second … 5 = fifth, -1 = last weekday of the month.",
    )
    speaker_pool = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="speaker_pools",
        blank=True,
        help_text="Members who opted in to present in this series.",
    )
    # The secret in the address of a members-only series' calendar feed; reset to revoke it.
    calendar_token = models.CharField(max_length=64, blank=True, db_index=True)
    queue_half_life_weeks = models.PositiveSmallIntegerField(
        "paper queue: a vote's half-life (weeks)",
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(520)],
        help_text="In the paper queue a vote counts half as much after this many weeks, a quarter after "
        "twice as many, so last year's favourite does not stay on top for ever.",
    )

    class Meta:
        verbose_name_plural = "series"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("series-detail", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="meetings")
    # Keeps document order for imported meetings that have no date yet.
    sequence = models.PositiveIntegerField(default=0)
    start = models.DateTimeField(null=True, blank=True, help_text="Empty only for a meeting not yet dated.")
    duration = models.DurationField(default=timedelta(hours=1))
    title = models.CharField("title or topic", max_length=300, blank=True)
    location = models.CharField(max_length=200, blank=True)
    video_link = models.URLField(max_length=500, blank=True)
    recording_link = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    agenda = models.TextField(blank=True, help_text="Markdown.")
    agenda_html = models.TextField(blank=True, editable=False)
    # A stable key from an imported document, so importing it again updates instead of duplicating.
    import_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [models.F("start").asc(nulls_last=True), "sequence", "pk"]
        indexes = [models.Index(fields=["series", "start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "import_key"],
                condition=~models.Q(import_key=""),
                name="meeting_import_key_unique",
            )
        ]

    def __str__(self):
        return f"{self.series.name}: {self.label}"

    @property
    def label(self) -> str:
        when = self.local_start.strftime("%-d %b %Y") if self.start else "Date to be set"
        return f"{when}, {self.title}" if self.title else when

    @property
    def local_start(self):
        if self.start is None:
            return None
        from zoneinfo import ZoneInfo

        return self.start.astimezone(ZoneInfo(self.series.time_zone))

    @property
    def end(self):
        return self.start + self.duration if self.start else None

    def get_absolute_url(self):
        return reverse("meeting-detail", kwargs={"slug": self.series.slug, "pk": self.pk})


class Talk(models.Model):
    """A speaker slot: a member or a named guest, optionally with a title and a paper."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="talks")
    speaker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="talks",
    )
    guest_name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300, blank=True)
    resource = models.ForeignKey(
        "resources.Resource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="talks",
        help_text="The paper or material presented.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    confirmation_requested_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(speaker__isnull=False) | ~models.Q(guest_name=""),
                name="talk_has_speaker_or_guest",
                violation_error_message="A talk needs a member or a guest's name.",
            )
        ]

    def __str__(self):
        return self.speaker_name + (f": {self.title}" if self.title else "")

    @property
    def speaker_name(self) -> str:
        return self.speaker.name if self.speaker_id else self.guest_name


class Minutes(models.Model):
    """One of a meeting's two documents, the minutes or the recap, with its history."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", "Minutes"
        RECAP = "recap", "Post-meeting recap"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField(blank=True)
    # Rendered and sanitised at save time, never per request.
    body_html = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Claimed by a conditional UPDATE so the email goes out once, however often the task runs.
    publish_email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "minutes"
        constraints = [models.UniqueConstraint(fields=["meeting", "kind"], name="minutes_one_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.meeting}"


class MinutesRevision(models.Model):
    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["minutes", "number"], name="revision_number_unique")]

    def __str__(self):
        return f"{self.minutes} r{self.number}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())

    def by_token(self, token: str):
        return self.filter(token_hash=_hash_token(token))


class Invitation(models.Model):
    """An emailed link that lets a new member choose a password; expires, works once."""

    email = models.EmailField()
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Only the hash is stored: a database leak does not hand out working links.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email}"

    def set_new_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.token_hash = _hash_token(token)
        return token

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class ResearchItem(models.Model):
    """A "to research" item raised at a meeting: ticked off, dropped with a reason, or left open."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="research_items")
    text = models.CharField(max_length=1000, help_text="Short Markdown.")
    text_html = models.TextField(blank=True, editable=False)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    drop_reason = models.CharField(max_length=500, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="research_items",
    )
    resource = models.ForeignKey(
        "resources.Resource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="research_items",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Who was last emailed about being assigned: the email goes once per assignment.
    assignment_notified = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    import_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["status", "assignee"]),
            models.Index(fields=["meeting", "position"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="dropped") | ~models.Q(drop_reason=""),
                name="research_item_dropped_has_reason",
                violation_error_message="Say why the item is dropped.",
            )
        ]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        return f"{self.meeting.get_absolute_url()}#item-{self.pk}"

    def set_status(self, status: str, *, by, reason: str = "") -> str:
        """Change the status (a rule about this one row); returns the status it had before."""
        from django.core.exceptions import ValidationError

        if status not in self.Status.values:
            raise ValidationError({"status": f"Unknown status {status!r}."})
        reason = reason.strip()
        if status == self.Status.DROPPED and not reason:
            raise ValidationError(
                {"reason": "Say why the item is dropped, e.g. “duplicate of a paper I have”."}
            )
        before = self.status
        self.status = status
        self.drop_reason = reason if status == self.Status.DROPPED else ""
        self.status_changed_by = by
        self.status_changed_at = timezone.now()
        return before


class ResearchItemEvent(models.Model):
    """Every status change or reassignment of a research item: who, when, from, to."""

    item = models.ForeignKey(ResearchItem, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    from_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.item_id}: {self.from_status} → {self.to_status}"


class MeetingSection(models.Model):
    """Any other part of a meeting's page: a description of activities, materials,
    further reading, or a section of an imported document kept under its own heading."""

    class Kind(models.TextChoices):
        DESCRIPTION = "description", "Description of activities"
        MATERIALS = "materials", "Materials"
        READING = "reading", "Further reading"
        NOTES = "notes", "Notes"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NOTES)
    heading = models.CharField(max_length=300, blank=True, help_text="Shown instead of the kind's name.")
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    import_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.heading or self.get_kind_display()

    @property
    def title(self) -> str:
        return self.heading or self.get_kind_display()


class SkipDate(models.Model):
    """A date the series does not meet (a holiday, a term break)."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="skip_dates")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["series", "date"], name="skip_date_unique")]

    def __str__(self):
        return f"{self.series}: no meeting on {self.date}"


class Unavailability(models.Model):
    """A date a member cannot present (in one series, or in any when series is empty)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unavailable_dates"
    )
    date = models.DateField()
    series = models.ForeignKey(Series, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "unavailabilities"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date", "series"], name="unavailability_unique")
        ]

    def __str__(self):
        return f"{self.user} unavailable on {self.date}"


class TalkReminder(models.Model):
    """A reminder sent for a talk N days before it: the row makes it exactly once."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["talk", "days_before"], name="talk_reminder_once")]

    def __str__(self):
        return f"{self.talk}: {self.days_before}-day reminder"


class SwapRequest(models.Model):
    """A speaker asks to swap their slot with another member's; both meetings change together."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        APPROVED = "approved", "Approved by an organiser"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    from_talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="swaps_offered")
    to_talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="swaps_asked")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed by a conditional UPDATE before emailing, so each email goes out once.
    asked_emailed_at = models.DateTimeField(null=True, blank=True)
    decided_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Swap {self.from_talk_id} ↔ {self.to_talk_id} ({self.status})"


class ApiTokenQuerySet(models.QuerySet):
    def by_token(self, token: str):
        return self.filter(token_hash=_hash_token(token))


class ApiToken(models.Model):
    """A member's named key for the JSON API; only its hash is stored, the token is shown once."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “lab Slack bot”.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The token's first characters, so a member can tell their tokens apart.
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def set_new_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.token_hash = _hash_token(token)
        self.prefix = token[: self.PREFIX_LENGTH]
        return token


# The paper queue (meetings/services/queue.py writes it, meetings/selectors_queue.py reads it).


class Suggestion(models.Model):
    """A resource a member proposes for a series to read: voted on, discussed, claimed by a talk."""

    class State(models.TextChoices):
        # Open is the queue; an open suggestion is "claimed" while a talk holds it (talk set).
        OPEN = "open", "Open"
        PRESENTED = "presented", "Presented"
        ARCHIVED = "archived", "Archived"

    PITCH_MAX_LENGTH = 5000

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="suggestions")
    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="suggestions")
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    pitch = models.TextField(blank=True, max_length=PITCH_MAX_LENGTH, help_text="Markdown: why read it.")
    pitch_html = models.TextField(blank=True, editable=False)
    would_present = models.BooleanField(
        "I'd present it", default=False, help_text="The member who suggested it would give the talk."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The claim: the talk that will present it (kept once presented). A deleted talk frees it.
    talk = models.ForeignKey(
        Talk, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    presented_meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="presented_suggestions"
    )
    presented_on = models.DateField(null=True, blank=True)
    archive_reason = models.CharField(max_length=300, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["series", "state"], name="suggestion_series_state"),
            models.Index(fields=["suggested_by", "series", "created_at"], name="suggestion_rate"),
        ]
        constraints = [
            # One open suggestion per paper and series: suggesting it again is a vote for it.
            models.UniqueConstraint(
                fields=["series", "resource"],
                condition=models.Q(state="open"),
                name="suggestion_open_once",
                violation_error_message="This paper is already in the series' queue.",
            ),
            models.UniqueConstraint(fields=["talk"], name="suggestion_one_per_talk"),
            models.CheckConstraint(
                condition=~models.Q(state="archived") | ~models.Q(archive_reason=""),
                name="suggestion_archived_has_reason",
                violation_error_message="Say why the suggestion is archived.",
            ),
        ]

    def __str__(self):
        return f"{self.resource} for {self.series}"

    def get_absolute_url(self):
        return reverse("suggestion-detail", kwargs={"slug": self.series.slug, "pk": self.pk})

    @property
    def status(self) -> str:
        """open, claimed, presented or archived: the state a member sees."""
        if self.state == self.State.OPEN and self.talk_id:
            return "claimed"
        return self.state

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class SuggestionVote(models.Model):
    """One member's vote for a suggestion; withdrawing it deletes the row."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suggestion_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["suggestion", "user"], name="suggestion_vote_once")]

    def __str__(self):
        return f"{self.user_id} votes for {self.suggestion_id}"


class SuggestionComment(models.Model):
    """A short comment in a suggestion's thread; its links join the library."""

    BODY_MAX_LENGTH = 5000

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH, help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The resources its links became: the suggestion's series holds them (resources/services/visibility.py).
    resources = models.ManyToManyField("resources.Resource", blank=True, related_name="suggestion_comments")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment {self.pk} on suggestion {self.suggestion_id}"
