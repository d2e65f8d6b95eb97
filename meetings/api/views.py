"""API views for series, meetings, the rota, minutes and research items.

Each view validates, asks the rules (meetings/rules.py) through RulesPermission, calls one
selector or service, and answers JSON. Anything the user may not see is a 404, as on the site.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from meetings import selectors
from meetings.api import serializers as s
from meetings.api.base import ApiView
from meetings.api.errors import Conflict, ErrorSerializer
from meetings.models import Meeting, Minutes, ResearchItem, Series
from meetings.services import minutes as minutes_services
from meetings.services import research as research_services
from meetings.services.series import meeting_save, series_save

User = get_user_model()


def _series_detail(*, user, slug: str) -> Series:
    series = selectors.series_list(user=user).filter(slug=slug).first()
    if series is None:
        raise exceptions.NotFound("No such series.")
    return series


def _active_user(username: str | None, field: str):
    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise exceptions.ValidationError({field: [f"Nobody is called {username!r}."]})
    return user


# Series ------------------------------------------------------------------------------------------


class SeriesListView(ApiView):
    rules_perms = {"POST": "meetings.add_series"}
    rules_denied = {"POST": "Only organisers can start a new series."}

    @extend_schema(summary="List the series you can see", responses=s.SeriesSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(selectors.series_list(user=request.user))
        return self.get_paginated_response(s.SeriesSerializer(page, many=True).data)

    @extend_schema(
        summary="Start a series (organisers)",
        request=s.SeriesCreateSerializer,
        responses={201: s.SeriesSerializer},
    )
    def post(self, request):
        self.require(None)
        data = self.body(s.SeriesCreateSerializer)
        series = series_save(series=s.series_apply(Series(), data), by=request.user)
        return Response(
            s.SeriesSerializer(_series_detail(user=request.user, slug=series.slug)).data,
            status=status.HTTP_201_CREATED,
        )


class SeriesDetailView(ApiView):
    rules_perms = {"PATCH": "meetings.change_series"}
    rules_denied = {"PATCH": "Only this series' organisers can edit it."}

    @extend_schema(summary="A series", responses=s.SeriesSerializer)
    def get(self, request, slug):
        return Response(s.SeriesSerializer(_series_detail(user=request.user, slug=slug)).data)

    @extend_schema(
        summary="Edit a series (its organisers)",
        request=s.SeriesUpdateSerializer,
        responses=s.SeriesSerializer,
    )
    def patch(self, request, slug):
        series = selectors.series_get_visible(user=request.user, slug=slug)
        self.require(series)
        data = self.body(s.SeriesUpdateSerializer)
        series_save(series=s.series_apply(series, data), by=request.user)
        return Response(s.SeriesSerializer(_series_detail(user=request.user, slug=slug)).data)


class SeriesRotaView(ApiView):
    @extend_schema(
        summary="The series' rota: its upcoming meetings and their speakers",
        responses=s.RotaEntrySerializer(many=True),
    )
    def get(self, request, slug):
        series = selectors.series_get_visible(user=request.user, slug=slug)
        page = self.paginate_queryset(selectors.meetings_upcoming(series=series))
        return self.get_paginated_response(s.RotaEntrySerializer(page, many=True).data)


# Meetings ----------------------------------------------------------------------------------------


class MeetingListView(ApiView):
    rules_perms = {"POST": "meetings.add_meeting"}
    rules_denied = {"POST": "Only this series' organisers can schedule meetings."}

    @extend_schema(summary="The series' meetings, in order", responses=s.MeetingSerializer(many=True))
    def get(self, request, slug):
        series = selectors.series_get_visible(user=request.user, slug=slug)
        meetings = selectors.meetings_with_talks(Meeting.objects.filter(series=series))
        page = self.paginate_queryset(meetings)
        return self.get_paginated_response(s.MeetingSerializer(page, many=True).data)

    @extend_schema(
        summary="Schedule a meeting (the series' organisers)",
        request=s.MeetingWriteSerializer,
        responses={201: s.MeetingSerializer},
    )
    def post(self, request, slug):
        series = selectors.series_get_visible(user=request.user, slug=slug)
        self.require(series)
        data = self.body(s.MeetingWriteSerializer)
        meeting = Meeting(
            series=series,
            duration=series.default_duration,
            location=series.location,
            video_link=series.video_link,
        )
        meeting = meeting_save(meeting=s.meeting_apply(meeting, data), by=request.user)
        meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=meeting.pk)
        return Response(s.MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)


class MeetingDetailView(ApiView):
    rules_perms = {"PATCH": "meetings.change_meeting"}
    rules_denied = {"PATCH": "Only this series' organisers can edit its meetings."}

    @extend_schema(summary="A meeting, with its speakers and agenda", responses=s.MeetingSerializer)
    def get(self, request, slug, pk):
        meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
        return Response(s.MeetingSerializer(meeting).data)

    @extend_schema(
        summary="Edit a meeting (the series' organisers)",
        request=s.MeetingWriteSerializer,
        responses=s.MeetingSerializer,
    )
    def patch(self, request, slug, pk):
        meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
        self.require(meeting)
        data = self.body(s.MeetingWriteSerializer)
        meeting_save(meeting=s.meeting_apply(meeting, data), by=request.user)
        meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
        return Response(s.MeetingSerializer(meeting).data)


# Minutes and recap -------------------------------------------------------------------------------


class MinutesView(ApiView):
    """A meeting's minutes (or, with kind=recap, its recap): read, and write conflict-safely."""

    kind = Minutes.Kind.MINUTES
    rules_perms = {"PUT": "meetings.edit_minutes"}
    rules_denied = {"PUT": "Only members can edit minutes."}
    extra_error_codes = ["409"]

    def _current(self, meeting) -> Minutes:
        existing = next((doc for doc in meeting.documents.all() if doc.kind == self.kind), None)
        return existing or Minutes(meeting=meeting, kind=self.kind)

    @extend_schema(summary="Read the text, its rendered HTML and revision", responses=s.MinutesSerializer)
    def get(self, request, slug, pk):
        meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
        return Response(s.MinutesSerializer(self._current(meeting)).data)

    @extend_schema(
        summary="Save a new revision, based on the revision you read",
        description=(
            "Send the text and the `revision` you started from as `base_revision`. If someone saved "
            "in between, your edit is merged with theirs (a three-way merge against `base_revision`) "
            "and saved when the edits do not overlap. Where they do, nothing is written and the "
            "answer is 409 Conflict with `current_revision` and `conflicts` (each overlapping hunk: "
            "the base, your and their lines): resolve them and save based on `current_revision`."
        ),
        request=s.MinutesWriteSerializer,
        responses={
            200: s.MinutesSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Someone saved in between and your edits overlap; nothing was written.",
            ),
        },
    )
    def put(self, request, slug, pk):
        meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
        self.require(meeting)
        data = self.body(s.MinutesWriteSerializer)
        try:
            result = minutes_services.minutes_save(
                meeting=meeting,
                kind=self.kind,
                body=data["body"],
                base_revision=data["base_revision"],
                by=request.user,
            )
        except minutes_services.MinutesConflict as conflict:
            hunks = conflict.merge.hunks
            raise Conflict(
                current_revision=conflict.current.revision,
                conflicts=[
                    {"line": h.line, "base": h.base, "mine": h.mine, "theirs": h.theirs} for h in hunks
                ],
                detail=f"Revision {conflict.current.revision} was saved since revision "
                f"{data['base_revision']} and {len(hunks)} part{'s' if len(hunks) != 1 else ''} of your "
                "edit overlap it; nothing was written.",
            ) from None
        minutes = Minutes.objects.select_related("updated_by").get(pk=result.minutes.pk)
        return Response(s.MinutesSerializer(minutes).data)


class RecapView(MinutesView):
    kind = Minutes.Kind.RECAP
    rules_denied = {"PUT": "Only members can edit recaps."}


# Research items ----------------------------------------------------------------------------------


def _research_items(user):
    return selectors.research_board(user=user, status="")


class ResearchItemListView(ApiView):
    rules_perms = {"POST": "meetings.add_researchitem"}
    rules_denied = {"POST": "Only members can raise research items."}

    @extend_schema(
        summary="Research items across the meetings you can see",
        parameters=[s.ResearchFilterSerializer],
        responses=s.ResearchItemSerializer(many=True),
    )
    def get(self, request):
        query = self.query(s.ResearchFilterSerializer)
        assignee, assignee_username, unassigned = None, "", False
        who = query.get("assignee", "")
        if who == "mine":
            if not request.user.is_authenticated:
                raise exceptions.NotAuthenticated("Sign in to see your own items.")
            assignee = request.user
        elif who == "nobody":
            unassigned = True
        elif who:
            # Not looked up: an unknown name and one you may not know of both list nothing.
            assignee_username = who
        qs = selectors.research_board(
            user=request.user,
            assignee=assignee,
            assignee_username=assignee_username,
            unassigned=unassigned,
            series_slug=query.get("series", ""),
            status=query.get("status", "all"),
            meeting_id=int(query["meeting"]) if "meeting" in query else None,
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.ResearchItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Raise a research item at a meeting",
        request=s.ResearchItemCreateSerializer,
        responses={201: s.ResearchItemSerializer},
    )
    def post(self, request):
        data = self.body(s.ResearchItemCreateSerializer)
        meeting = (
            Meeting.objects.filter(pk=data["meeting"], series__in=selectors.series_visible_to(request.user))
            .select_related("series")
            .prefetch_related("series__organisers")
            .first()
        )
        if meeting is None:
            raise exceptions.ValidationError({"meeting": ["No such meeting."]})
        self.require(meeting)
        assignee = _active_user(data.get("assignee"), "assignee")
        try:
            (item,) = research_services.research_items_add(
                meeting=meeting, text=data["text"], by=request.user
            )
        except ValidationError as error:
            # The service names the typed lines "lines"; here they are the one field "text".
            raise exceptions.ValidationError(
                {"text": error.message_dict.get("lines", error.messages)}
            ) from None
        if assignee is not None:
            research_services.research_item_update(
                item=item, text=item.text, assignee=assignee, by=request.user, resource=item.resource
            )
        item = _research_items(request.user).get(pk=item.pk)
        return Response(s.ResearchItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ResearchItemDetailView(ApiView):
    @extend_schema(summary="A research item", responses=s.ResearchItemSerializer)
    def get(self, request, pk):
        return Response(s.ResearchItemSerializer(_research_item(request, pk)).data)


def _research_item(request, pk) -> ResearchItem:
    item = _research_items(request.user).filter(pk=pk).first()
    if item is None:
        raise exceptions.NotFound("No such research item.")
    return item


class _ResearchItemAction(ApiView):
    rules_perms = {"POST": "meetings.change_researchitem"}
    rules_denied = {"POST": "Only members can change research items."}

    def item(self, pk) -> ResearchItem:
        item = _research_item(self.request, pk)
        self.require(item)
        return item

    def answer(self, item) -> Response:
        return Response(s.ResearchItemSerializer(_research_items(self.request.user).get(pk=item.pk)).data)


class ResearchItemTickView(_ResearchItemAction):
    @extend_schema(summary="Tick an item off (done)", request=None, responses=s.ResearchItemSerializer)
    def post(self, request, pk):
        item = research_services.research_item_set_status(
            item=self.item(pk), status=ResearchItem.Status.DONE, by=request.user
        )
        return self.answer(item)


class ResearchItemUntickView(_ResearchItemAction):
    @extend_schema(summary="Reopen an item", request=None, responses=s.ResearchItemSerializer)
    def post(self, request, pk):
        item = research_services.research_item_set_status(
            item=self.item(pk), status=ResearchItem.Status.OPEN, by=request.user
        )
        return self.answer(item)


class ResearchItemDropView(_ResearchItemAction):
    @extend_schema(
        summary="Drop an item, saying why",
        request=s.ResearchDropSerializer,
        responses=s.ResearchItemSerializer,
    )
    def post(self, request, pk):
        item = self.item(pk)
        data = self.body(s.ResearchDropSerializer)
        item = research_services.research_item_set_status(
            item=item, status=ResearchItem.Status.DROPPED, by=request.user, reason=data["reason"]
        )
        return self.answer(item)


class ResearchItemReassignView(_ResearchItemAction):
    @extend_schema(
        summary="Assign an item to someone (or nobody)",
        request=s.ResearchReassignSerializer,
        responses=s.ResearchItemSerializer,
    )
    def post(self, request, pk):
        item = self.item(pk)
        data = self.body(s.ResearchReassignSerializer)
        assignee = _active_user(data["assignee"], "assignee")
        item = research_services.research_item_update(
            item=item, text=item.text, assignee=assignee, by=request.user, resource=item.resource
        )
        return self.answer(item)
