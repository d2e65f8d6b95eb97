"""A whole club in one JSON document (``export_club``), restored into an empty database
(``import_club``).

Generic over the installed models: every model is either in EXPORTED (all its fields, its
many-to-many links, ids kept) or in NOT_EXPORTED with the reason; a field left out of an
exported model is in NOT_EXPORTED_FIELDS, either a secret (password hashes, calendar tokens:
never written to a backup) or derived (sanitised HTML, search text: recomputed on import, so
a tampered file cannot smuggle HTML past the sanitiser). ``models_unaccounted`` names any
model in neither list; the commands refuse to run and a test fails while there is one.

References to content types and permissions (whose ids belong to one database) are written
as natural keys. The file holds one object per line, so errors name their line.
"""

import datetime
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

FORMAT = "clubsite-backup"
VERSION = 1

# In the order they are restored: what a row refers to comes before it.
EXPORTED = (
    "auth.group",
    "meetings.user",
    "meetings.series",
    "meetings.meeting",
    "resources.resource",
    "taggit.tag",
    "taggit.taggeditem",
    "meetings.talk",
    "meetings.minutes",
    "meetings.minutesrevision",
    "meetings.meetingsection",
    "meetings.researchitem",
    "meetings.researchitemevent",
    "meetings.skipdate",
    "meetings.unavailability",
    "meetings.talkreminder",
    "meetings.swaprequest",
    "meetings.suggestion",
    "meetings.suggestionvote",
    "meetings.suggestioncomment",
    "resources.mention",
    "resources.linkcheck",
    "resources.readinglist",
    "resources.readinglistitem",
)

NOT_EXPORTED = {
    "contenttypes.contenttype": "derived: made by migrate (rows refer to them by natural key)",
    "auth.permission": "derived: made by migrate (groups and users refer to them by natural key)",
    "sessions.session": "secret: sign-in sessions",
    "admin.logentry": "operational: the admin's own change log",
    "meetings.apitoken": "secret: API token hashes (members make new tokens)",
    "meetings.invitation": "secret: invitation link hashes (organisers invite again)",
    "resources.hostthrottle": "transient: the workers' per-host request pacing",
    "axes.accessattempt": "transient: recent failed sign-ins, for throttling (django-axes)",
    "axes.accessattemptexpiration": "transient: when those failed sign-ins stop counting (django-axes)",
    "axes.accessfailurelog": "operational: django-axes' log of failed sign-ins",
    "axes.accesslog": "operational: django-axes' log of sign-ins",
    "resources.resourceholder": "derived: which series hold each resource, rebuilt on import from the "
    "mentions, talks, research items, reading lists and paper queues (resources/services/visibility.py)",
}

SECRET, DERIVED = "secret", "derived"
NOT_EXPORTED_FIELDS = {
    "meetings.user": {"password": SECRET, "calendar_token": SECRET},
    "meetings.series": {"calendar_token": SECRET, "description_html": DERIVED},
    "meetings.meeting": {"agenda_html": DERIVED},
    "meetings.minutes": {"body_html": DERIVED},
    "meetings.meetingsection": {"body_html": DERIVED},
    "meetings.researchitem": {"text_html": DERIVED},
    "meetings.suggestion": {"pitch_html": DERIVED},
    "meetings.suggestioncomment": {"body_html": DERIVED},
    "resources.resource": {
        "notes_html": DERIVED,
        "search_text": DERIVED,
        "search_vector": DERIVED,
        # Who sees it follows from what holds it: a file cannot make a resource public.
        "audience": DERIVED,
    },
    "resources.readinglist": {"description_html": DERIVED},
    "resources.readinglistitem": {"note_html": DERIVED},
}


def _derived() -> dict[str, dict[str, Callable]]:
    """How each derived field is recomputed from the row, as the services compute it."""
    from meetings.markdown import render_markdown

    def unless_empty(name):
        return lambda row: render_markdown(getattr(row, name)) if getattr(row, name) else ""

    return {
        "meetings.series": {"description_html": lambda row: render_markdown(row.description)},
        "meetings.meeting": {"agenda_html": lambda row: render_markdown(row.agenda)},
        "meetings.minutes": {"body_html": lambda row: render_markdown(row.body, id_prefix=f"md-{row.kind}-")},
        "meetings.meetingsection": {"body_html": lambda row: render_markdown(row.body)},
        "meetings.researchitem": {"text_html": lambda row: render_markdown(row.text)},
        "meetings.suggestion": {"pitch_html": unless_empty("pitch")},
        "meetings.suggestioncomment": {"body_html": lambda row: render_markdown(row.body, id_prefix="md-c-")},
        "resources.resource": {"notes_html": unless_empty("notes")},
        "resources.readinglist": {"description_html": unless_empty("description")},
        "resources.readinglistitem": {"note_html": unless_empty("note")},
    }


class BackupError(Exception):
    """The backup cannot be written or restored; ``problems`` says where and why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportSummary:
    counts: dict[str, int] = field(default_factory=dict)
    users: int = 0


def models_unaccounted() -> list[str]:
    """Installed models that are neither exported nor listed as left out, and listed models
    that are not installed (a rename)."""
    installed = {model._meta.label_lower for model in apps.get_models()}
    listed = set(EXPORTED) | set(NOT_EXPORTED)
    return sorted(installed ^ listed)


def _check_accounted() -> None:
    missing = models_unaccounted()
    if missing:
        raise BackupError(
            [
                "these models are neither exported nor listed as left out in "
                f"meetings/services/backup.py: {', '.join(missing)}"
            ]
        )


def _fields(model) -> tuple[set[str], dict[str, models.Field]]:
    """(the field names a backup holds for ``model``, its relation fields by name)."""
    skip = NOT_EXPORTED_FIELDS.get(model._meta.label_lower, {})
    names, relations = set(), {}
    for f in model._meta.get_fields():
        if not f.concrete or f.primary_key or f.name in skip:
            continue
        if f.many_to_many and (not f.serialize or not f.remote_field.through._meta.auto_created):
            continue  # taggit's manager, or a link kept by a model of its own
        names.add(f.name)
        if f.is_relation:
            relations[f.name] = f
    return names, relations


class _Encoder(DjangoJSONEncoder):
    """Datetimes and times with their microseconds (Django's encoder cuts them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _natural_maps():
    types = {ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.all()}
    permissions = {
        pk: [codename, *types[ct]]
        for pk, codename, ct in Permission.objects.values_list("pk", "codename", "content_type")
    }
    return types, permissions


def club_export() -> str:
    """The whole club as a backup document (JSON text, one object per line)."""
    _check_accounted()
    types, permissions = _natural_maps()
    lines = []
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if snapshot:
            # One snapshot for every table, so a backup taken while members write is consistent.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for label in EXPORTED:
            model = apps.get_model(label)
            names, relations = _fields(model)
            rows = model._base_manager.order_by("pk")
            if any(f.many_to_many for f in relations.values()):
                rows = rows.prefetch_related(*(n for n, f in relations.items() if f.many_to_many))
            for item in serializers.serialize("python", rows):
                values = {name: item["fields"][name] for name in sorted(names)}
                for name, f in relations.items():
                    if f.related_model is ContentType and values[name] is not None:
                        values[name] = types[values[name]]
                    elif f.related_model is Permission:
                        values[name] = sorted(permissions[pk] for pk in values[name])
                    elif f.many_to_many:
                        values[name] = sorted(values[name])
                lines.append(json.dumps({"model": label, "pk": item["pk"], "fields": values}, cls=_Encoder))
    head = json.dumps({"format": FORMAT, "version": VERSION, "created_at": timezone.now().isoformat()})
    return head[:-1] + ', "objects": [\n' + ",\n".join(lines) + "\n]}\n"


def _object_lines(text: str, count: int) -> list[int] | None:
    """The line each object of the "objects" array starts on, or None when it cannot tell."""
    match = re.search(r'"objects"\s*:\s*\[', text)
    if match is None:
        return None
    decoder, at, lines = json.JSONDecoder(), match.end(), []
    try:
        while len(lines) < count:
            while text[at] in " \t\r\n,":
                at += 1
            lines.append(text.count("\n", 0, at) + 1)
            _value, at = decoder.raw_decode(text, at)
    except (IndexError, ValueError):
        return None
    return lines


def backup_parse(*, text: str) -> tuple[dict, list[int] | None]:
    """Read a backup's JSON; BackupError with the line and column of a syntax error."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BackupError([f"line {error.lineno}, column {error.colno}: not JSON: {error.msg}"]) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError([f'not a clubsite backup (no "format": "{FORMAT}")'])
    if document.get("version") != VERSION:
        raise BackupError(
            [f"backup format version {document.get('version')!r}; this clubsite reads version {VERSION}"]
        )
    if not isinstance(document.get("objects"), list):
        raise BackupError(['"objects" is not a list'])
    return document, _object_lines(text, len(document["objects"]))


def club_rows_held() -> list[str]:
    """What the database already holds, as "3 users" phrases; empty when there is nothing."""
    held = []
    for label in EXPORTED:
        model = apps.get_model(label)
        count = model._base_manager.count()
        if count:
            held.append(
                f"{count} {model._meta.verbose_name_plural if count > 1 else model._meta.verbose_name}"
            )
    return held


def _prepare(obj, place: str, types: dict, permissions: dict, password: str, problems: list[str]):
    """One object of the file as a DeserializedObject, or None with its problems appended."""
    if not isinstance(obj, dict) or set(obj) != {"model", "pk", "fields"}:
        problems.append(f'{place}: an object has exactly "model", "pk" and "fields"')
        return None
    label = obj["model"]
    if label not in EXPORTED:
        problems.append(f"{place}: {label!r} is not a model a backup holds")
        return None
    model = apps.get_model(label)
    place = f"{place} ({label} {obj['pk']!r})"
    if not isinstance(obj["pk"], int) or isinstance(obj["pk"], bool) or obj["pk"] < 1:
        problems.append(f"{place}: pk is a positive whole number")
        return None
    names, relations = _fields(model)
    values = obj["fields"]
    if not isinstance(values, dict):
        problems.append(f'{place}: "fields" is an object')
        return None
    unknown, missing = sorted(set(values) - names), sorted(names - set(values))
    if unknown:
        problems.append(f"{place}: unknown field(s) {', '.join(unknown)}")
    if missing:
        problems.append(f"{place}: missing field(s) {', '.join(missing)}")
    if unknown or missing:
        return None
    values = dict(values)
    for name, f in relations.items():
        value = values[name]
        try:
            if f.related_model is ContentType and value is not None:
                values[name] = types[tuple(value)]
            elif f.related_model is Permission:
                values[name] = [permissions[tuple(key)] for key in value]
        except (KeyError, TypeError):
            problems.append(f"{place}: field {name}: no such content type or permission: {value!r}")
            return None
    try:
        [deserialized] = serializers.deserialize(
            "python", [{"model": label, "pk": obj["pk"], "fields": values}]
        )
    except DeserializationError as error:
        problems.append(f"{place}: {error.__cause__ or error}")
        return None
    row = deserialized.object
    if label == "meetings.user":
        # A password nobody knows (so "Forgotten your password?" works for the account: Django
        # sends no reset to an unusable one); each person sets their own (see import_club).
        row.password = password
    for name, compute in _derived().get(label, {}).items():
        setattr(row, name, compute(row))
    try:
        # Each field's own rules (types, choices, lengths, validators); not the model's clean(),
        # which may follow relations to rows not saved yet. Uniqueness is the database's to check.
        row.clean_fields(exclude=[*relations, *NOT_EXPORTED_FIELDS.get(label, {})])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            problems.append(f"{place}: field {name}: {' '.join(messages)}")
        return None
    return deserialized


def _check_references(prepared, places, problems: list[str]) -> None:
    """Every relation points at a row of the file (content types and permissions at the database)."""
    present = {(d.object._meta.label_lower, d.object.pk) for d in prepared}
    for deserialized, place in zip(prepared, places, strict=True):
        row = deserialized.object
        _names, relations = _fields(type(row))
        for name, f in relations.items():
            target = f.related_model._meta.label_lower
            if target in NOT_EXPORTED:
                continue
            ids = deserialized.m2m_data.get(name, []) if f.many_to_many else [getattr(row, f.attname)]
            for pk in ids:
                if pk is not None and (target, pk) not in present:
                    problems.append(f"{place}: field {name}: no {target} {pk} in the backup")
        if row._meta.label_lower == "taggit.taggeditem":
            target = ContentType.objects.get_for_id(row.content_type_id).model_class()._meta.label_lower
            if (target, row.object_id) not in present:
                problems.append(f"{place}: tags a {target} {row.object_id} that is not in the backup")


def club_import(*, document: dict, lines: list[int] | None = None) -> ImportSummary:
    """Restore a parsed backup into an empty database, in one transaction: all or nothing."""
    _check_accounted()
    held = club_rows_held()
    if held:
        raise BackupError(
            [
                f"the database is not empty (it holds {', '.join(held)}); import_club restores into an empty "
                "database: create a new one and run `manage.py migrate` first"
            ]
        )
    types = {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()}
    permissions = {
        (codename, app, model): pk
        for pk, codename, app, model in Permission.objects.values_list(
            "pk", "codename", "content_type__app_label", "content_type__model"
        )
    }
    password = make_password(secrets.token_urlsafe(32))  # one hash: hashing is slow on purpose
    problems: list[str] = []
    prepared, places = [], []
    for index, obj in enumerate(document["objects"]):
        place = f"line {lines[index]}" if lines else f"object {index + 1}"
        deserialized = _prepare(obj, place, types, permissions, password, problems)
        if deserialized is not None:
            prepared.append(deserialized)
            places.append(f"{place} ({obj['model']} {obj['pk']})")
        if len(problems) >= 50:
            problems.append("(stopped after 50 problems)")
            raise BackupError(problems)
    seen = {}
    for deserialized, place in zip(prepared, places, strict=True):
        key = (deserialized.object._meta.label_lower, deserialized.object.pk)
        if key in seen:
            problems.append(f"{place}: the same row as {seen[key]}")
        seen.setdefault(key, place)
    if not problems:
        _check_references(prepared, places, problems)
    if problems:
        raise BackupError(problems[:50])

    summary = ImportSummary()
    try:
        with transaction.atomic():
            order = {label: n for n, label in enumerate(EXPORTED)}
            by_model = sorted(
                zip(prepared, places, strict=True), key=lambda pair: order[pair[0].object._meta.label_lower]
            )
            for deserialized, place in by_model:
                try:
                    with transaction.atomic():
                        deserialized.save()
                except (IntegrityError, DatabaseError) as error:
                    raise BackupError([f"{place}: {str(error).strip().splitlines()[0]}"]) from None
                label = deserialized.object._meta.label_lower
                summary.counts[label] = summary.counts.get(label, 0) + 1
            _reset_sequences()
            _reindex_resources()
            _rebuild_visibility()
    except IntegrityError as error:  # a deferred constraint, at commit
        raise BackupError(
            [f"the backup's rows do not fit together: {str(error).strip().splitlines()[0]}"]
        ) from None
    summary.users = summary.counts.get("meetings.user", 0)
    return summary


def _reset_sequences() -> None:
    """New rows after a restore get ids above the restored ones."""
    tables = []
    for label in EXPORTED:
        model = apps.get_model(label)
        tables.append(model)
        tables += [
            f.remote_field.through
            for f in model._meta.local_many_to_many
            if f.remote_field.through._meta.auto_created
        ]
    statements = connection.ops.sequence_reset_sql(no_style(), tables)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _rebuild_visibility() -> None:
    from resources.services.visibility import visibility_rebuild

    visibility_rebuild()


def _reindex_resources() -> None:
    from resources.models import Resource
    from resources.services.library import resource_index

    for resource in Resource.objects.prefetch_related("tags").iterator(chunk_size=500):
        resource_index(resource=resource)
