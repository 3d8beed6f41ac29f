"""The platform console's fee terms (root domain, platform staff): the platform's fee for
each tenant, the default unless staff set one of its own.

Mounted in ``web.urls_public`` (namespace ``web``) beside the console.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from connect.models import FeeTerms
from connect.services import FEE_LIMIT_BASIS_POINTS, fee_terms_set
from tenants.selectors import tenant_list

PAGE_SIZE = 50


class FeeTermsForm(forms.Form):
    percent = forms.DecimalField(
        label="Platform fee (%)",
        required=False,
        min_value=0,
        max_value=Decimal(FEE_LIMIT_BASIS_POINTS) / 100,
        decimal_places=2,
        max_digits=5,
        help_text="Empty: the platform's default.",
    )
    note = forms.CharField(label="Note", required=False, max_length=200)


def _staff(request) -> None:
    if not request.user.is_platform_staff:
        raise PermissionDenied


def _page(request, *, errors: dict | None = None, status: int = 200) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    tenants = tenant_list().order_by("name")
    if search:
        tenants = tenants.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    page = Paginator(tenants, PAGE_SIZE).get_page(request.GET.get("page"))
    terms = {
        row.tenant_id: row
        for row in FeeTerms.objects.filter(tenant_id__in=[t.pk for t in page.object_list])
    }
    rows = []
    for tenant in page.object_list:
        own = terms.get(tenant.pk)
        initial = (
            {"percent": Decimal(own.platform_fee_basis_points) / 100, "note": own.note}
            if own
            else {}
        )
        rows.append(
            {
                "tenant": tenant,
                "terms": own,
                "percent": initial["percent"] if own else None,
                "form": FeeTermsForm(prefix=f"fee-{tenant.pk}", initial=initial),
                "errors": (errors or {}).get(tenant.pk, []),
            }
        )
    context = {
        "rows": rows,
        "page": page,
        "search": search,
        "default_percent": Decimal(settings.PLATFORM_FEE_BASIS_POINTS) / 100,
    }
    return render(request, "web/console_fees.html", context, status=status)


@login_required
@require_safe
def console_fees(request) -> HttpResponse:
    _staff(request)
    return _page(request)


@login_required
@require_POST
def console_fee_set(request, pk: int) -> HttpResponse:
    _staff(request)
    tenant = tenant_list().filter(pk=pk).first()
    if tenant is None:
        raise Http404
    form = FeeTermsForm(request.POST, prefix=f"fee-{tenant.pk}")
    errors: list[str] = []
    if form.is_valid():
        percent = form.cleaned_data["percent"]
        basis_points = None if percent is None else int(percent * 100)
        if request.POST.get("default"):
            basis_points = None
        try:
            fee_terms_set(
                actor=request.user,
                tenant=tenant,
                platform_fee_basis_points=basis_points,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as error:
            errors.extend(error.messages)
    else:
        errors.extend(e for field_errors in form.errors.values() for e in field_errors)
    if errors:
        return _page(request, errors={tenant.pk: errors}, status=400)
    messages.success(request, f"Fee terms of {tenant.name} saved.")
    return redirect("web:console_fees")


urlpatterns = [
    path("console/fees/", console_fees, name="console_fees"),
    path("console/fees/<int:pk>/", console_fee_set, name="console_fee_set"),
]
