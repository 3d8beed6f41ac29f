"""Team pages on a tenant's host: members, roles, deactivation and invitations."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import (
    InvitationAcceptForm,
    InvitationSignInForm,
    InviteForm,
    MemberFilterForm,
    RoleForm,
)
from accounts.models import Invitation, Membership, User
from accounts.selectors import invitation_list_open, member_list
from accounts.services import invitations, memberships
from accounts.sessions import session_sign_in
from config.errors import ApplicationError
from web.forms import form_apply_errors


def manager_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.membership is None or not request.membership.is_manager:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@manager_required
def member_list_page(request) -> HttpResponse:
    filters = MemberFilterForm(request.GET or None)
    criteria = {}
    if filters.is_valid():
        status = filters.cleaned_data.get("status")
        criteria = {
            "search": filters.cleaned_data.get("search") or "",
            "role": filters.cleaned_data.get("role") or "",
            "active": {"active": True, "inactive": False}.get(status),
        }
    members = Paginator(member_list(tenant=request.tenant, **criteria), 25).get_page(
        request.GET.get("page")
    )
    context = {
        "filters": filters,
        "members": members,
        "invite_form": InviteForm(),
        "invitations": invitation_list_open(tenant=request.tenant),
        "roles": Membership.Role.choices,
    }
    template = "accounts/team/_members.html" if request.htmx else "accounts/team/members.html"
    return render(request, template, context)


@manager_required
@require_POST
def invite(request) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitations.invitation_create(
                tenant=request.tenant,
                actor=request.membership,
                request=request,
                **form.cleaned_data,
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error("role", str(error))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("team:members")
    return render(request, "accounts/team/invite.html", {"invite_form": form}, status=400)


def _member(request, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "tenant"), pk=pk, tenant=request.tenant
    )


@manager_required
@require_POST
def member_role(request, pk: int) -> HttpResponse:
    form = RoleForm(request.POST)
    member = _member(request, pk)
    if form.is_valid():
        try:
            memberships.membership_change_role(
                membership=member,
                role=form.cleaned_data["role"],
                actor=request.membership,
                request=request,
            )
            messages.success(
                request,
                f"{member.user.full_name} is now "
                f"{dict(Membership.Role.choices)[form.cleaned_data['role']]}.",
            )
        except (ApplicationError, PermissionDenied, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or str(error))
    else:
        messages.error(request, "Choose one of the offered roles.")
    return redirect("team:members")


@manager_required
@require_POST
def member_deactivate(request, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        memberships.membership_deactivate(
            membership=member, actor=request.membership, request=request
        )
        messages.success(request, f"{member.user.full_name} no longer has access.")
    except (ApplicationError, PermissionDenied) as error:
        messages.error(request, getattr(error, "message", None) or str(error))
    return redirect("team:members")


@manager_required
@require_POST
def member_reactivate(request, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        memberships.membership_reactivate(
            membership=member, actor=request.membership, request=request
        )
        messages.success(request, f"{member.user.full_name} has access again.")
    except (ApplicationError, PermissionDenied) as error:
        messages.error(request, getattr(error, "message", None) or str(error))
    return redirect("team:members")


@manager_required
@require_POST
def invitation_revoke(request, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, tenant=request.tenant)
    invitations.invitation_revoke(invitation=invitation, actor=request.membership, request=request)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("team:members")


def invitation_accept_page(request, token: str) -> HttpResponse:
    """The link in an invitation email: join with this account, or create it."""
    try:
        invitation = invitations.invitation_for_token(token=token, tenant=request.tenant)
    except ApplicationError as error:
        return render(
            request, "accounts/team/invitation_invalid.html", {"error": error}, status=error.status
        )
    user = request.user if request.user.is_authenticated else None
    account_exists = user is None and User.objects.filter(email=invitation.email).exists()
    form = None
    if user is None:
        # Nobody can be signed in here before they belong here: an existing account
        # proves itself on this page instead.
        form_class = InvitationSignInForm if account_exists else InvitationAcceptForm
        form = form_class(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            membership = invitations.invitation_accept(
                token=token,
                tenant=request.tenant,
                user=user,
                request=request,
                **(form.cleaned_data if form is not None else {}),
            )
        except (ValidationError, ApplicationError) as error:
            if form is None:
                messages.error(request, getattr(error, "message", None) or str(error))
            else:
                form_apply_errors(form, error)
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            if user is None:
                session_sign_in(request, membership.user)
            messages.success(request, f"Welcome to {request.tenant.name}!")
            return redirect("web:dashboard")
    return render(
        request,
        "accounts/team/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "account_exists": account_exists,
            "wrong_account": user is not None and user.email != invitation.email,
        },
    )
