from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager


class Resource(models.Model):
    """One link in the club's library: a paper, video, notebook, tutorial..."""

    class Audience(models.IntegerChoices):
        """Who may read the resource: kept by resources.services.visibility from what holds it."""

        PUBLIC = 0, "Anyone: something public mentions, presents, links or lists it"
        ACCOUNTS = 1, "Every signed-in account: the library itself or a list without a series holds it"
        HOLDERS = 2, "Only members of the series that hold it (ResourceHolder)"

    class Kind(models.TextChoices):
        PAPER = "paper", "Paper"
        VIDEO = "video", "Video"
        TUTORIAL = "tutorial", "Tutorial"
        NOTEBOOK = "notebook", "Notebook"
        DATASET = "dataset", "Dataset"
        SLIDES = "slides", "Slides"
        RECORDING = "recording", "Recording"
        COURSE = "course", "Course"
        CODE = "code", "Code"
        ARTICLE = "article", "Article"
        OTHER = "other", "Other"

    class MetadataState(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        NOT_APPLICABLE = "n/a", "Not applicable"

    class Health(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        HEALTHY = "healthy", "Healthy"
        WARNING = "warning", "Warning"
        FAILING = "failing", "Failing"
        BROKEN = "broken", "Broken"

    url = models.URLField("normalised URL", max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True)
    # A title a member typed is theirs: fetched metadata never overwrites it.
    title_locked = models.BooleanField(default=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    notes = models.TextField(blank=True, help_text="Markdown.")
    notes_html = models.TextField(blank=True, editable=False)
    tags = TaggableManager(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resources_added",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Identifiers parsed from the URL.
    arxiv_id = models.CharField(max_length=40, blank=True, db_index=True)
    arxiv_version = models.PositiveSmallIntegerField(null=True, blank=True)
    doi = models.CharField(max_length=300, blank=True, db_index=True)
    youtube_id = models.CharField(max_length=20, blank=True)

    # Fetched metadata; stored as text and escaped on output.
    authors = models.JSONField(default=list, blank=True)
    abstract = models.TextField(blank=True)
    published_date = models.DateField(null=True, blank=True)
    # "year", "month" or "day": Crossref often knows only the year.
    published_date_precision = models.CharField(max_length=5, blank=True)
    updated_date = models.DateField(null=True, blank=True)
    venue = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    # Crossref/CSL type, e.g. "journal-article", "proceedings-article", "posted-content".
    container_type = models.CharField(max_length=40, blank=True)
    primary_category = models.CharField(max_length=40, blank=True)
    categories = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True)
    journal_ref = models.CharField(max_length=500, blank=True)
    # A description from the page's head (OpenGraph) for links without identifiers.
    description = models.TextField(blank=True)
    metadata_attempts = models.PositiveSmallIntegerField(default=0)
    metadata_state = models.CharField(
        max_length=8, choices=MetadataState.choices, default=MetadataState.PENDING
    )
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    metadata_error = models.TextField(blank=True)
    # What the page may truthfully say while metadata is pending (Resource.metadata_status):
    # when a fetch (or, for a link without identifiers, the link check that reads its page)
    # was queued or began, and when the next try is due after a failed one.
    metadata_queued_at = models.DateTimeField(null=True, blank=True)
    metadata_next_attempt_at = models.DateTimeField(null=True, blank=True)

    # Link-health summary, kept by the worker.
    health = models.CharField(max_length=8, choices=Health.choices, default=Health.UNKNOWN)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    # When the current run of hard failures began (None while the link works).
    failing_since = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Where a permanent redirect leads: offered to members as the better URL.
    permanent_redirect_url = models.URLField(max_length=2000, blank=True)

    # Search: the text of the title, authors, abstract, notes and tags, kept by
    # resources.services.library.resource_index; on PostgreSQL also as a tsvector
    # with a GIN index (migration 0003), on SQLite searched with LIKE.
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    # Who sees it (SECURITY.md, "Who sees what"). held_by_library is a fact: a member added the
    # link straight to the library (form, bookmarklet, API), not through a meeting or a series'
    # list. audience is derived from it and from every holder; never set it by hand.
    held_by_library = models.BooleanField(default=True, editable=False)
    audience = models.PositiveSmallIntegerField(
        choices=Audience.choices, default=Audience.ACCOUNTS, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["health"]),
            models.Index(fields=["audience", "-created_at"], name="resource_audience_created"),
        ]

    def __str__(self):
        return self.title or self.url

    def get_absolute_url(self):
        return reverse("resource-detail", kwargs={"pk": self.pk})

    @property
    def is_broken(self) -> bool:
        return self.health == self.Health.BROKEN

    @property
    def has_identifier(self) -> bool:
        return bool(self.arxiv_id or self.doi)

    @property
    def metadata_status(self) -> "MetadataStatus":
        """What the metadata's state is, in words a member can trust: "fetching" only while a
        fetch is queued or running; a failure with its reason and the time of the next try."""
        State = self.MetadataState
        if self.metadata_state == State.DONE:
            return MetadataStatus("done", "fetched", at=self.metadata_fetched_at)
        if self.metadata_state == State.NOT_APPLICABLE:
            return MetadataStatus("n/a", "not applicable")
        # A link without identifiers gets its metadata from its page, read by the link check.
        from_page = not self.has_identifier
        next_try = self.next_check_at if from_page else self.metadata_next_attempt_at
        if self.metadata_state == State.FAILED:
            if from_page and self.metadata_attempts < settings.METADATA_RETRIES:
                return MetadataStatus("failed", "could not fetch", self.metadata_error, next_try=next_try)
            return MetadataStatus("failed", "could not fetch", self.metadata_error)
        queued = self.metadata_queued_at
        if from_page and queued and self.last_checked_at and self.last_checked_at >= queued:
            queued = None  # the check it was queued for has run
        if self.metadata_next_attempt_at and not from_page:
            return MetadataStatus("retrying", "could not fetch", self.metadata_error, next_try=next_try)
        if queued:
            return MetadataStatus("fetching", "fetching…", at=queued)
        return MetadataStatus("waiting", "not fetched yet", next_try=next_try if from_page else None)


class Mention(models.Model):
    """A resource linked from a meeting's minutes, recap or agenda (or presented in a talk)."""

    class Section(models.TextChoices):
        MINUTES = "minutes", "minutes"
        RECAP = "recap", "recap"
        AGENDA = "agenda", "agenda"
        TALK = "talk", "talk"
        MATERIALS = "materials", "materials"
        RESEARCH = "research", "research item"
        DESCRIPTION = "description", "description"
        READING = "reading", "further reading"
        NOTES = "notes", "notes"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="mentions")
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="mentions")
    section = models.CharField(max_length=12, choices=Section.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting__start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "meeting", "section"], name="mention_unique")
        ]

    def __str__(self):
        return f"{self.resource} in {self.meeting} ({self.section})"


class ResourceHolder(models.Model):
    """A series that holds a resource: one of its meetings mentions it, a talk presents it, a
    research item links it, or one of its reading lists has it. Members of the series see the
    resource. Derived data, kept by resources.services.visibility; rebuilt by
    `manage.py rebuild_visibility`."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="holders")
    series = models.ForeignKey("meetings.Series", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource", "series"], name="resource_holder_unique")]
        indexes = [models.Index(fields=["series", "resource"], name="resource_holder_series")]

    def __str__(self):
        return f"{self.resource_id} held by series {self.series_id}"


def series_deleted(collector, field, sub_objs, using):
    """When a series is deleted, the lists anyone could read outlive it, without a series; the
    others (a members-only series' lists, a series' non-public lists) go with it, so no list becomes
    readable by people who could not read it before."""
    lists = list(sub_objs)
    readable = set(
        field.model.objects.using(using)
        .filter(pk__in=[rl.pk for rl in lists], is_public=True, series__visibility="public")
        .values_list("pk", flat=True)
    )
    keep = [rl for rl in lists if rl.pk in readable]
    drop = [rl for rl in lists if rl.pk not in readable]
    if keep:
        models.SET_NULL(collector, field, keep, using)
    if drop:
        models.CASCADE(collector, field, drop, using)


class ReadingList(models.Model):
    """An ordered, curated list of resources with a note per item."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    series = models.ForeignKey(
        "meetings.Series", on_delete=series_deleted, null=True, blank=True, related_name="reading_lists"
    )
    is_public = models.BooleanField(
        "public",
        default=True,
        help_text="Public lists can be read by anyone, signed in or not; a members-only series' lists "
        "never are.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reading_lists"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resources = models.ManyToManyField(Resource, through="ReadingListItem", related_name="reading_lists")

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("readinglist-detail", kwargs={"pk": self.pk})


class ReadingListItem(models.Model):
    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="list_items")
    position = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, help_text="Markdown.")
    note_html = models.TextField(blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reading_list", "resource"], name="readinglist_item_unique")
        ]

    def __str__(self):
        return f"{self.reading_list}: {self.resource}"


class LinkCheck(models.Model):
    """One check of a resource's link: its outcome and what the server said."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        REDIRECTED = "redirected", "Redirected"
        NOT_FOUND = "not_found", "Not found (404/410)"
        BLOCKED = "blocked", "Blocked (401/403, bot wall)"
        RATE_LIMITED = "rate_limited", "Rate limited (429)"
        SERVER_ERROR = "server_error", "Server error (5xx)"
        TIMEOUT = "timeout", "Timed out"
        DNS_ERROR = "dns_error", "Unknown host"
        CONNECTION_ERROR = "connection_error", "Connection failed"
        TLS_ERROR = "tls_error", "TLS certificate error"
        REDIRECT_LOOP = "redirect_loop", "Redirect loop"
        SSRF_BLOCKED = "ssrf_blocked", "Refused: private address"
        UNSUPPORTED = "unsupported", "Not an http(s) link"
        EXCLUDED = "excluded", "Host excluded from checks"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    # [{"status": 301, "url": "https://..."}, ...] in the order followed.
    redirects = models.JSONField(default=list, blank=True)
    permanent_redirect = models.BooleanField(default=False)
    method = models.CharField(max_length=4, blank=True)
    elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["resource", "-checked_at"])]

    def __str__(self):
        return f"{self.resource_id} {self.outcome} at {self.checked_at:%Y-%m-%d %H:%M}"


class HostThrottle(models.Model):
    """Politeness per host, shared by every worker: how many requests are in flight
    and when the next may start. Claimed with SELECT ... FOR UPDATE."""

    host = models.CharField(max_length=255, unique=True)
    in_flight = models.PositiveSmallIntegerField(default=0)
    next_allowed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.host


@dataclass(frozen=True)
class MetadataStatus:
    """Resource.metadata_status: a code for templates, a label, the failure's reason, and the
    time (of the fetch, or of its queueing) or the time of the next try."""

    code: str
    label: str
    reason: str = ""
    at: datetime | None = None
    next_try: datetime | None = None

    @property
    def busy(self) -> bool:
        return self.code == "fetching"
