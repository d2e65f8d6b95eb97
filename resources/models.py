from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager


class Resource(models.Model):
    """One link in the club's library: a paper, video, notebook, tutorial..."""

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

    # Identifiers parsed from the URL.
    arxiv_id = models.CharField(max_length=40, blank=True, db_index=True)
    arxiv_version = models.PositiveSmallIntegerField(null=True, blank=True)
    doi = models.CharField(max_length=300, blank=True, db_index=True)

    # Fetched metadata; stored as text and escaped on output.
    authors = models.JSONField(default=list, blank=True)
    abstract = models.TextField(blank=True)
    published_date = models.DateField(null=True, blank=True)
    venue = models.CharField(max_length=500, blank=True)
    metadata_state = models.CharField(
        max_length=8, choices=MetadataState.choices, default=MetadataState.PENDING
    )
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    metadata_error = models.TextField(blank=True)

    # Link-health summary, kept by the worker.
    health = models.CharField(max_length=8, choices=Health.choices, default=Health.UNKNOWN)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title or self.url

    def get_absolute_url(self):
        return reverse("resource-detail", kwargs={"pk": self.pk})

    @property
    def is_broken(self) -> bool:
        return self.health == self.Health.BROKEN
