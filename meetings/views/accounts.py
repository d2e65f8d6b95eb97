from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from meetings.context_processors import THEME_COOKIE
from meetings.forms import add_service_errors
from meetings.forms.accounts import InvitationAcceptForm, InvitationForm, ProfileForm
from meetings.forms.tokens import ApiTokenForm
from meetings.models import ApiToken, Invitation
from meetings.services import accounts, tokens
from meetings.views.common import next_or

User = get_user_model()


@require_POST
def theme_set(request):
    """Choose light, dark or the device's theme: kept on the member's account, in a cookie for visitors."""
    theme = request.POST.get("theme", "")
    if theme not in User.Theme.values:
        return HttpResponseBadRequest("Choose a theme: auto, light or dark.", content_type="text/plain")
    if request.user.is_authenticated:
        accounts.account_theme_set(user=request.user, theme=theme)
    target = next_or(request, reverse("dashboard"))
    # site.js applies the theme in place and asks for no redirect.
    response = HttpResponse(status=204) if request.headers.get("X-Theme-Fetch") else redirect(target)
    if not request.user.is_authenticated:
        response.set_cookie(THEME_COOKIE, theme, max_age=365 * 24 * 3600, samesite="Lax")
    return response


class SignOutView(LogoutView):
    """Sign out, and tell the browser to forget what this site kept in it (unsaved drafts)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"storage"'
        return response


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return _render_profile(request, form)


def _render_profile(request, form, *, status=200, api_token_form=None, **extra):
    context = {
        "form": form,
        "can_invite": request.user.has_perm("meetings.invite_member"),
        "api_tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True),
        "api_token_form": api_token_form or ApiTokenForm(),
        **extra,
    }
    return render(request, "registration/profile.html", context, status=status)


@login_required
@require_POST
@never_cache
def api_token_create(request):
    """Make a named API token and show it, this once: only its hash is kept."""
    token_form = ApiTokenForm(request.POST)
    if token_form.is_valid():
        try:
            api_token, token = tokens.api_token_create(
                user=request.user, name=token_form.cleaned_data["name"]
            )
        except ValidationError as error:
            add_service_errors(token_form, error)
        else:
            return _render_profile(
                request, ProfileForm(instance=request.user), new_api_token=api_token, new_token=token
            )
    return _render_profile(request, ProfileForm(instance=request.user), api_token_form=token_form, status=400)


@login_required
@require_POST
def api_token_revoke(request, pk):
    if tokens.api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, "The token is revoked: it no longer works.")
    return redirect("profile")


@login_required
def invitation_create(request):
    if not request.user.has_perm("meetings.invite_member"):
        raise PermissionDenied("Only organisers can invite new members.")
    form = InvitationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = accounts.invitation_create(
                email=form.cleaned_data["email"],
                series=form.cleaned_data["series"],
                invited_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("invitation-create")
    recent = (
        Invitation.objects.filter(invited_by=request.user)
        .select_related("series")
        .order_by("-created_at")[:20]
    )
    return render(request, "registration/invitation_form.html", {"form": form, "recent": recent})


@never_cache
def invitation_accept(request, token):
    invitation = Invitation.objects.by_token(token).usable().first()
    if invitation is None:
        return render(request, "registration/invitation_invalid.html", status=410)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return render(request, "registration/invitation_invalid.html", status=410)
            add_service_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.name}! Your account is ready.")
            return redirect("dashboard")
    return render(request, "registration/invitation_accept.html", {"form": form, "invitation": invitation})


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def signin_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: the sign-in page's message, 429 and Retry-After."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
