"""The paper queue's API: list and suggest, read, edit and archive, vote, claim for a talk.

The same rules as the pages (meetings/rules.py) and the same services (meetings/services/queue.py).
A refusal about the suggestion's state (claimed already, presented, archived) is 409 Conflict with
the reason; the weekly limit of suggestions is 429.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from meetings import selectors, selectors_queue
from meetings.api import fields
from meetings.api.base import ApiView
from meetings.api.errors import ErrorSerializer
from meetings.api.serializers import UserRefSerializer
from meetings.models import Suggestion, Talk
from meetings.services import queue
from resources.api.serializers import ResourceSummarySerializer, _validate_link
from resources.models import Resource

STATE_CHOICES = [
    ("open", "In the queue"),
    ("claimed", "Claimed for an upcoming talk"),
    ("presented", "Presented at a meeting"),
    ("archived", "Archived by an organiser, with a reason"),
]


class Refused(exceptions.APIException):
    """The suggestion's state does not allow this now: the message says why."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "refused"
    default_detail = "The queue cannot do this now."


class LimitReached(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "limit_reached"
    default_detail = "You suggested as many papers as a member may this week."


def _refusals(call):
    try:
        return call()
    except queue.SuggestionLimitReached as refused:
        raise LimitReached(str(refused)) from None
    except queue.SuggestionRefused as refused:
        raise Refused(str(refused)) from None


# Serializers ---------------------------------------------------------------------------------------


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    series = serializers.CharField(source="series.slug", help_text="The series' slug.")
    resource = ResourceSummarySerializer(help_text="The library's record for the link.")
    pitch = serializers.CharField(help_text="Markdown: why read it.")
    pitch_html = serializers.CharField(help_text="The pitch rendered and sanitised.")
    would_present = serializers.BooleanField(help_text="“I'd present it”: the suggester would give the talk.")
    suggested_by = UserRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=STATE_CHOICES, source="status")
    votes = serializers.IntegerField(source="vote_count")
    score = serializers.SerializerMethodField()
    voted_by_me = serializers.BooleanField()
    voters = serializers.SerializerMethodField()
    talk = serializers.IntegerField(source="talk_id", allow_null=True, help_text="The talk that claimed it.")
    claimed_meeting = serializers.SerializerMethodField()
    presented_meeting = serializers.IntegerField(source="presented_meeting_id", allow_null=True)
    presented_on = serializers.DateField(allow_null=True)
    presented_before = serializers.SerializerMethodField()
    archive_reason = serializers.CharField(help_text="Why an organiser archived it; empty unless archived.")
    comment_count = serializers.IntegerField()
    web_url = serializers.CharField(source="get_absolute_url")

    @extend_schema_field(
        serializers.FloatField(
            help_text="The ranking: each vote counts 1 when cast, half after the series' half-life."
        )
    )
    def get_score(self, suggestion) -> float:
        return round(suggestion.score, 3)

    @extend_schema_field(
        UserRefSerializer(many=True, allow_null=True, help_text="Who voted; null unless you are a member.")
    )
    def get_voters(self, suggestion):
        # The view asks the rules once per series (every suggestion listed is of one series).
        if not self.context["can_see_voters"]:
            return None
        return UserRefSerializer(suggestion.voters, many=True).data

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="The claimed talk's meeting."))
    def get_claimed_meeting(self, suggestion):
        return suggestion.talk.meeting_id if suggestion.talk_id else None

    @extend_schema_field(
        serializers.DateField(
            allow_null=True, help_text="When the series last presented this paper before, if it did."
        )
    )
    def get_presented_before(self, suggestion):
        start = getattr(suggestion, "presented_before_start", None)
        if start is None:
            return None
        from zoneinfo import ZoneInfo

        return start.astimezone(ZoneInfo(suggestion.series.time_zone)).date().isoformat()


class SuggestionCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer(allow_null=True)
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.CharField()
    created_at = serializers.DateTimeField()


class SuggestionDetailSerializer(SuggestionSerializer):
    comments = SuggestionCommentSerializer(many=True, source="comment_list", help_text="Oldest first.")


class SuggestionFilterSerializer(serializers.Serializer):
    state = fields.Choice(
        choices=[value for value, _ in STATE_CHOICES],
        required=False,
        help_text="Default: open, ranked by score; the others newest first.",
    )
    kind = fields.Choice(choices=Resource.Kind.choices, required=False)
    tag = fields.Text(max_length=100, required=False)
    would_present = fields.Choice(
        choices=["true", "false"], required=False, help_text="“I'd present it” only."
    )
    unvoted = fields.Choice(
        choices=["true", "false"], required=False, help_text="Only what you have not voted for (sign in)."
    )


class SuggestionCreateSerializer(serializers.Serializer):
    url = fields.Text(
        max_length=2000,
        validators=[_validate_link],
        help_text="A link, an arXiv id or arXiv: string, or a DOI; it joins the library.",
    )
    pitch = fields.Markdown(
        max_length=Suggestion.PITCH_MAX_LENGTH, allow_blank=True, required=False, help_text="Markdown."
    )
    would_present = fields.Boolean(required=False, help_text="“I'd present it”. Default: false.")


class SuggestionUpdateSerializer(serializers.Serializer):
    pitch = fields.Markdown(
        max_length=Suggestion.PITCH_MAX_LENGTH, allow_blank=True, required=False, help_text="Markdown."
    )
    would_present = fields.Boolean(required=False)
    state = fields.Choice(
        choices=["open", "archived"],
        required=False,
        help_text="Organisers: `archived` (with `archive_reason`) takes it out of the queue; `open` puts "
        "an archived one back.",
    )
    archive_reason = fields.Text(max_length=300, required=False, help_text="e.g. duplicate, off-topic.")

    def validate(self, data):
        if data.get("state") == "archived" and not (data.get("archive_reason") or "").strip():
            raise serializers.ValidationError({"archive_reason": ["Say why the suggestion is archived."]})
        if "archive_reason" in data and data.get("state") != "archived":
            raise serializers.ValidationError({"archive_reason": ["Give it with state `archived`."]})
        return data


class SuggestionClaimSerializer(serializers.Serializer):
    talk = fields.Id(help_text="An upcoming talk of the suggestion's series: yours, or any (organisers).")


# Views ---------------------------------------------------------------------------------------------


def _suggestion(request, pk) -> Suggestion:
    return selectors_queue.suggestion_get_visible(user=request.user, pk=pk)


def _context(request, series) -> dict:
    return {"request": request, "can_see_voters": request.user.has_perm("meetings.see_voters", series)}


def _data(request, pk) -> dict:
    suggestion = _suggestion(request, pk)
    return SuggestionSerializer(suggestion, context=_context(request, suggestion.series)).data


def _detail_data(request, pk) -> dict:
    suggestion = _suggestion(request, pk)
    suggestion.comment_list = selectors_queue.suggestion_comments(suggestion=suggestion)
    return SuggestionDetailSerializer(suggestion, context=_context(request, suggestion.series)).data


class SeriesSuggestionListView(ApiView):
    rules_perms = {"POST": "meetings.add_suggestion"}
    rules_denied = {"POST": "Only this series' members suggest papers for it."}

    @extend_schema(
        summary="The series' paper queue, ranked",
        parameters=[SuggestionFilterSerializer],
        responses=SuggestionSerializer(many=True),
    )
    def get(self, request, slug):
        series = selectors.series_get_visible(user=request.user, slug=slug)
        query = self.query(SuggestionFilterSerializer)
        unvoted = query.get("unvoted") == "true"
        if unvoted and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Sign in to leave out what you voted for.")
        filters = selectors_queue.QueueFilters(
            state=query.get("state", "open"),
            kind=query.get("kind", ""),
            tag=query.get("tag", "").strip(),
            would_present=query.get("would_present") == "true",
            unvoted=unvoted,
        )
        listed = selectors_queue.queue_list(series=series, user=request.user, filters=filters)
        page = self.paginate_queryset(listed)
        if filters.state != "open":
            page = selectors_queue.suggestions_attach_votes(page, user=request.user)
        for suggestion in page:
            suggestion.series = series  # one series object: the rules ask about it once
        return self.get_paginated_response(
            SuggestionSerializer(page, many=True, context=_context(request, series)).data
        )

    @extend_schema(
        summary="Suggest a paper for the series",
        description=(
            "201 with the new suggestion (your vote counts); or 200 with the suggestion already in the "
            "queue for that paper, with your vote added. 429 when you suggested your weekly number of "
            "papers for the series (the setting QUEUE_SUGGESTIONS_PER_WEEK)."
        ),
        request=SuggestionCreateSerializer,
        responses={
            201: OpenApiResponse(SuggestionDetailSerializer, description="Suggested."),
            200: OpenApiResponse(SuggestionDetailSerializer, description="Already in the queue: voted."),
            429: OpenApiResponse(
                ErrorSerializer, description="The weekly limit; the message says when again."
            ),
        },
    )
    def post(self, request, slug):
        series = selectors.series_get_visible(user=request.user, slug=slug)
        self.require(series)
        data = self.body(SuggestionCreateSerializer)
        done = _refusals(
            lambda: queue.suggestion_create(
                series=series,
                url=data["url"],
                by=request.user,
                pitch=data.get("pitch", ""),
                would_present=data.get("would_present", False),
            )
        )
        return Response(
            _detail_data(request, done.suggestion.pk),
            status=status.HTTP_201_CREATED if done.created else status.HTTP_200_OK,
        )


class SuggestionDetailView(ApiView):
    rules_perms = {"PATCH": "meetings.change_suggestion", "DELETE": "meetings.delete_suggestion"}
    rules_denied = {
        "PATCH": "Only the member who suggested it, or an organiser, edits a suggestion.",
        "DELETE": "Only the member who suggested it, or an organiser, deletes a suggestion.",
    }

    @extend_schema(
        summary="A suggestion, with its votes and discussion", responses=SuggestionDetailSerializer
    )
    def get(self, request, pk):
        return Response(_detail_data(request, pk))

    @extend_schema(
        summary="Edit the pitch or “I'd present it”; organisers archive (or restore) it",
        request=SuggestionUpdateSerializer,
        responses={
            200: SuggestionDetailSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Refused."),
        },
    )
    def patch(self, request, pk):
        suggestion = _suggestion(request, pk)
        self.require(suggestion)
        data = self.body(SuggestionUpdateSerializer)
        if "state" in data and not request.user.has_perm("meetings.archive_suggestion", suggestion):
            raise exceptions.PermissionDenied("Only this series' organisers archive or restore suggestions.")
        if "pitch" in data or "would_present" in data:
            queue.suggestion_update(
                suggestion=suggestion,
                by=request.user,
                pitch=data.get("pitch"),
                would_present=data.get("would_present"),
            )
        if data.get("state") == "archived":
            _refusals(
                lambda: queue.suggestion_archive(
                    suggestion=suggestion, by=request.user, reason=data["archive_reason"]
                )
            )
        elif data.get("state") == "open":
            _refusals(lambda: queue.suggestion_restore(suggestion=suggestion, by=request.user))
        return Response(_detail_data(request, pk))

    @extend_schema(
        summary="Delete a suggestion (not one claimed or presented)",
        responses={204: None, 409: OpenApiResponse(ErrorSerializer, description="Claimed or presented.")},
    )
    def delete(self, request, pk):
        suggestion = _suggestion(request, pk)
        self.require(suggestion)
        _refusals(lambda: queue.suggestion_delete(suggestion=suggestion))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SuggestionVoteView(ApiView):
    rules_perms = {"PUT": "meetings.vote_suggestion", "DELETE": "meetings.vote_suggestion"}
    rules_denied = {
        "PUT": "Only this series' members vote.",
        "DELETE": "Only this series' members vote.",
    }

    @extend_schema(
        summary="Vote for the suggestion (once: voting again changes nothing)",
        request=None,
        responses={
            200: SuggestionSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Presented or archived."),
        },
    )
    def put(self, request, pk):
        suggestion = _suggestion(request, pk)
        self.require(suggestion)
        _refusals(lambda: queue.suggestion_vote(suggestion=suggestion, user=request.user))
        return Response(_data(request, pk))

    @extend_schema(summary="Withdraw your vote", request=None, responses=SuggestionSerializer)
    def delete(self, request, pk):
        suggestion = _suggestion(request, pk)
        self.require(suggestion)
        queue.suggestion_unvote(suggestion=suggestion, user=request.user)
        return Response(_data(request, pk))


class SuggestionClaimView(ApiView):
    rules_perms = {"POST": "meetings.claim_for_talk", "DELETE": "meetings.release_suggestion"}
    rules_denied = {
        "POST": "Only the talk's speaker, or an organiser, claims a paper for it.",
        "DELETE": "Only the speaker of the talk that claimed it, or an organiser, releases it.",
    }

    @extend_schema(
        summary="Claim the suggestion for an upcoming talk (its paper and title come from it)",
        description=(
            "The talk's speaker claims it; an organiser can assign it to any upcoming talk of the series. "
            "409 with the reason when it is claimed already, presented or archived, or the talk is past "
            "or cancelled."
        ),
        request=SuggestionClaimSerializer,
        responses={
            200: SuggestionSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Refused, with the reason."),
        },
    )
    def post(self, request, pk):
        suggestion = _suggestion(request, pk)
        data = self.body(SuggestionClaimSerializer)
        talk = (
            Talk.objects.filter(pk=data["talk"], meeting__series_id=suggestion.series_id)
            .select_related("meeting__series", "speaker")
            .first()
        )
        if talk is None:
            raise exceptions.ValidationError({"talk": ["No such talk in this series."]})
        talk.meeting.series = suggestion.series  # the rules' answers about the series are remembered there
        self.require(talk)
        _refusals(lambda: queue.suggestion_claim(suggestion=suggestion, talk=talk, by=request.user))
        return Response(_data(request, pk))

    @extend_schema(
        summary="Release the claim: the suggestion goes back to the queue",
        request=None,
        responses={
            200: SuggestionSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Presented."),
        },
    )
    def delete(self, request, pk):
        suggestion = _suggestion(request, pk)
        self.require(suggestion)
        _refusals(lambda: queue.suggestion_release(suggestion=suggestion, by=request.user))
        return Response(_data(request, pk))
