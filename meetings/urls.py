from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from meetings.feeds import SeriesMinutesFeed
from meetings.views import accounts, meetings, minutes, research

KIND = "<str:kind_slug>"

urlpatterns = [
    path("", meetings.dashboard, name="dashboard"),
    path("healthz/", accounts.healthz, name="healthz"),
    # Accounts
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("accounts/invite/", accounts.invitation_create, name="invitation-create"),
    path("accounts/invitation/<str:token>/", accounts.invitation_accept, name="invitation-accept"),
    # Series and meetings
    path("series/", meetings.series_list, name="series-list"),
    path("series/new/", meetings.series_create, name="series-create"),
    path("series/<slug:slug>/", meetings.series_detail, name="series-detail"),
    path("series/<slug:slug>/edit/", meetings.series_edit, name="series-edit"),
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
