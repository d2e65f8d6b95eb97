from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from meetings.feeds import SeriesMinutesFeed
from meetings.views import accounts, common, meetings, members, minutes, research

KIND = "<str:kind_slug>"

urlpatterns = [
    path("", meetings.dashboard, name="dashboard"),
    path("healthz/", accounts.healthz, name="healthz"),
    path("favicon.ico", common.favicon, name="favicon"),
    # Accounts
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", accounts.SignOutView.as_view(), name="logout"),
    path("accounts/theme/", accounts.theme_set, name="theme-set"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            subject_template_name="emails/password_reset_subject.txt",
            email_template_name="emails/password_reset.txt",
            extra_email_context={"site_name": settings.SITE_NAME},
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/profile/", accounts.profile, name="profile"),
    path("accounts/api-tokens/new/", accounts.api_token_create, name="api-token-create"),
    path("accounts/api-tokens/<int:pk>/revoke/", accounts.api_token_revoke, name="api-token-revoke"),
    path("accounts/invite/", accounts.invitation_create, name="invitation-create"),
    path("accounts/invitation/<str:token>/", accounts.invitation_accept, name="invitation-accept"),
    # Series and meetings
    path("series/", meetings.series_list, name="series-list"),
    path("series/new/", meetings.series_create, name="series-create"),
    path("series/<slug:slug>/", meetings.series_detail, name="series-detail"),
    path("series/<slug:slug>/edit/", meetings.series_edit, name="series-edit"),
    path("series/<slug:slug>/members/", members.series_members, name="series-members"),
    path(
        "series/<slug:slug>/members/<int:user_pk>/remove/",
        members.series_member_remove_view,
        name="series-member-remove",
    ),
    path("series/<slug:slug>/leave/", members.series_leave, name="series-leave"),
    path("series/<slug:slug>/feed/minutes.atom", SeriesMinutesFeed(), name="series-minutes-feed"),
    path("series/<slug:slug>/meetings/new/", meetings.meeting_create, name="meeting-create"),
    path("series/<slug:slug>/meetings/<int:pk>/", meetings.meeting_detail, name="meeting-detail"),
    path("series/<slug:slug>/meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting-edit"),
    path(f"series/<slug:slug>/meetings/<int:pk>/{KIND}/edit/", minutes.minutes_edit, name="minutes-edit"),
    path(
        f"series/<slug:slug>/meetings/<int:pk>/{KIND}/history/",
        minutes.minutes_history,
        name="minutes-history",
    ),
    path(
        f"series/<slug:slug>/meetings/<int:pk>/{KIND}/restore/",
        minutes.minutes_restore,
        name="minutes-restore",
    ),
    path(
        f"series/<slug:slug>/meetings/<int:pk>/{KIND}/publish/",
        minutes.minutes_publish,
        name="minutes-publish",
    ),
    path("markdown/preview/", minutes.markdown_preview, name="markdown-preview"),
    # Research items
    path("series/<slug:slug>/meetings/<int:pk>/research/add/", research.research_add, name="research-add"),
    path("research/", research.research_board, name="research-board"),
    path("research/<int:pk>/status/", research.research_status, name="research-status"),
    path("research/<int:pk>/drop/", research.research_drop, name="research-drop"),
    path("research/<int:pk>/edit/", research.research_edit, name="research-edit"),
    path("research/<int:pk>/move/", research.research_move, name="research-move"),
]

# Speaker rota and calendars; imported here so the rota's paths stay one additive block.
from meetings.views import rota as rota_views  # noqa: E402 (see the comment above)

urlpatterns += [
    path("series/<slug:slug>/rota/", rota_views.series_rota, name="series-rota"),
    path("series/<slug:slug>/rota/generate/", rota_views.term_generate, name="series-rota-generate"),
    path("series/<slug:slug>/rota/skip-dates/", rota_views.skip_date_edit, name="series-skip-dates"),
    path("series/<slug:slug>/rota/swap/", rota_views.rota_swap, name="series-rota-swap"),
    path("series/<slug:slug>/rota/<int:pk>/reassign/", rota_views.rota_reassign, name="series-rota-reassign"),
    path("series/<slug:slug>/rota/<int:pk>/cancel/", rota_views.rota_cancel, name="series-rota-cancel"),
    path("series/<slug:slug>/rota/<int:pk>/move/", rota_views.rota_move, name="series-rota-move"),
    path("series/<slug:slug>/calendar/", rota_views.series_calendar_links, name="series-calendar-links"),
    path("series/<slug:slug>/calendar.ics", rota_views.series_calendar, name="series-calendar"),
    path(
        "series/<slug:slug>/calendar/<str:token>.ics",
        rota_views.series_calendar_private,
        name="series-calendar-private",
    ),
    path(
        "series/<slug:slug>/calendar/reset/", rota_views.series_calendar_reset, name="series-calendar-reset"
    ),
    path("talks/<int:pk>/confirm/", rota_views.talk_confirm, name="talk-confirm"),
    path("talks/confirm/<str:token>/", rota_views.talk_confirm_token, name="talk-confirm-token"),
    path("talks/<int:pk>/swap/", rota_views.swap_ask, name="talk-swap-ask"),
    path("swaps/<int:pk>/<str:action>/", rota_views.swap_decide, name="swap-decide"),
    path("rota/availability/", rota_views.rota_availability, name="rota-availability"),
    path("calendar/talks/<str:token>.ics", rota_views.my_talks_calendar, name="my-talks-calendar"),
    path("accounts/calendar/reset/", rota_views.my_calendar_reset, name="my-calendar-reset"),
]

# The paper queue; imported here so its paths stay one additive block.
from meetings.feeds import SeriesQueueFeed  # noqa: E402 (see the comment above)
from meetings.views import queue as queue_views  # noqa: E402 (see the comment above)

SUGGESTION = "series/<slug:slug>/queue/<int:pk>/"

urlpatterns += [
    path("series/<slug:slug>/queue/", queue_views.series_queue, name="series-queue"),
    path("series/<slug:slug>/queue/feed.atom", SeriesQueueFeed(), name="series-queue-feed"),
    path(SUGGESTION, queue_views.suggestion_detail, name="suggestion-detail"),
    path(f"{SUGGESTION}vote/", queue_views.suggestion_vote, name="suggestion-vote"),
    path(f"{SUGGESTION}comments/", queue_views.suggestion_comment, name="suggestion-comment"),
    path(
        f"{SUGGESTION}comments/<int:comment_pk>/delete/",
        queue_views.suggestion_comment_delete,
        name="suggestion-comment-delete",
    ),
    path(f"{SUGGESTION}edit/", queue_views.suggestion_edit, name="suggestion-edit"),
    path(f"{SUGGESTION}archive/", queue_views.suggestion_archive, name="suggestion-archive"),
    path(f"{SUGGESTION}delete/", queue_views.suggestion_delete, name="suggestion-delete"),
    path(f"{SUGGESTION}claim/", queue_views.suggestion_claim, name="suggestion-claim"),
    path(f"{SUGGESTION}release/", queue_views.suggestion_release, name="suggestion-release"),
]

# Markdown import and export. Put first: "series/import/" must win over "series/<slug>/".
from meetings.views import imports as import_views  # noqa: E402 (see the comment above)

urlpatterns = [
    path("series/import/", import_views.series_import, name="series-import-new"),
    path("series/import/confirm/", import_views.series_import_confirm, name="series-import-new-confirm"),
    path("series/<slug:slug>/import/", import_views.series_import, name="series-import"),
    path(
        "series/<slug:slug>/import/confirm/", import_views.series_import_confirm, name="series-import-confirm"
    ),
    path("series/<slug:slug>/export.md", import_views.series_export, name="series-export"),
    path(
        "series/<slug:slug>/meetings/<int:pk>/export.md", import_views.meeting_export, name="meeting-export"
    ),
    *urlpatterns,
]
