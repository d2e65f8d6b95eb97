"""A series' members: organisers add accounts, invite newcomers and remove members; members leave."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from meetings import selectors
from meetings.forms import add_service_errors
from meetings.forms.members import MemberAddForm
from meetings.services import accounts
from meetings.services.series import series_member_add, series_member_remove
from meetings.views.common import refuse

User = get_user_model()


def _members_url(series) -> str:
    return reverse("series-members", kwargs={"slug": series.slug})


def _add(request, series, form) -> bool:
    """Add the account named in the form, or invite the address; False (with form errors) if neither."""
    who = form.cleaned_data["who"].strip()
    account = User.objects.filter(username__iexact=who).first() or (
        User.objects.filter(email__iexact=who).first() if "@" in who else None
    )
    if account is not None:
        try:
            added = series_member_add(series=series, user=account, by=request.user)
        except ValidationError as error:
            form.add_error("who", error.messages)
            return False
        if added:
            messages.success(request, f"{account.name} is now a member of {series.name}.")
        else:
            messages.info(request, f"{account.name} is already a member.")
        return True
    try:
        validate_email(who)
    except ValidationError:
        form.add_error("who", f"No account is called “{who}”. Give an email address to invite someone new.")
        return False
    try:
        invitation, _token = accounts.invitation_create(email=who, series=series, invited_by=request.user)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    messages.success(
        request, f"Invitation sent to {invitation.email}; they join {series.name} when they accept."
    )
    return True


@login_required
def series_members(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(
        request, "meetings.view_members", series, "Only this series' members see who belongs."
    ):
        return denied
    can_manage = request.user.has_perm("meetings.manage_members", series)
    form = MemberAddForm(request.POST if request.method == "POST" else None) if can_manage else None
    if request.method == "POST":
        if denied := refuse(
            request, "meetings.manage_members", series, "Only this series' organisers add members."
        ):
            return denied
        if form.is_valid() and _add(request, series, form):
            return redirect(_members_url(series))
    return render(
        request,
        "meetings/series_members.html",
        {
            "series": series,
            "members": selectors.series_members_list(series=series),
            "invitations": selectors.series_invitations_waiting(series=series) if can_manage else [],
            "form": form,
            "can_manage": can_manage,
            "can_leave": request.user.has_perm("meetings.leave_series", series),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def series_member_remove_view(request, slug, user_pk):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(
        request, "meetings.manage_members", series, "Only this series' organisers remove members."
    ):
        return denied
    member = User.objects.filter(Q(member_of_series=series) | Q(organised_series=series), pk=user_pk).first()
    if member is None:
        raise Http404("No such member.")
    try:
        series_member_remove(series=series, user=member, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _removed_message(series, f"{member.name} is no longer a member."))
    return redirect(_members_url(series))


@login_required
@require_POST
def series_leave(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(
        request,
        "meetings.leave_series",
        series,
        "Only a member who does not organise the series can leave it (organisers stop organising first).",
    ):
        return denied
    try:
        left = series_member_remove(series=series, user=request.user, by=request.user)
    except ValidationError as error:
        # A superuser passes every rule, but an organiser still cannot leave.
        raise PermissionDenied(" ".join(error.messages)) from None
    if not left:
        raise PermissionDenied(f"You are not a member of {series.name}.")
    messages.success(request, f"You have left {series.name}.")
    # Staff still read a members-only series they left; everyone else goes back to the list.
    if series.is_public or request.user.is_staff:
        return redirect(series)
    return redirect("series-list")


def _removed_message(series, text: str) -> str:
    if series.is_public:
        return text
    return (
        text + " They may still have the calendar address: reset it on the calendar page if they should not."
    )
