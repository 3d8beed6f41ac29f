"""Payment history pages under /billing/: the list (htmx filters, pages) and its CSV.

Each viewer sees the payments of the sessions they see (``billing.selectors.history``):
the student's side their own with "Pay now" while awaiting payment, refunds and
receipts; a tutor their earnings with the fee breakdown; the agency's staff everything,
with filters by status, tutor, student and dates.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe

from accounts.models import Membership
from billing.models import Payment
from billing.selectors import history as selectors
from crm.csv_io import csv_response
from crm.models import StudentProfile, TutorProfile
from crm.pages import member_required
from scheduling.selectors.history import viewer_zone
from web.forms import date_range_clean

Role = Membership.Role
PAGE_SIZE = 25


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *Payment.Status.choices]
    )
    tutor = forms.ModelChoiceField(
        label="Tutor", required=False, queryset=TutorProfile.objects.none(), empty_label="Any"
    )
    student = forms.ModelChoiceField(
        label="Student", required=False, queryset=StudentProfile.objects.none(), empty_label="Any"
    )
    date_from = forms.DateField(
        label="Paid from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="Paid to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, viewer: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        visible = selectors.payment_list(viewer=viewer)
        self.fields["tutor"].queryset = TutorProfile.objects.filter(
            pk__in=visible.values("tutor_id")
        ).select_related("user")
        self.fields["tutor"].label_from_instance = lambda tutor: tutor.full_name or "Tutor"
        self.fields["student"].queryset = StudentProfile.objects.filter(
            pk__in=visible.values("student_id")
        ).order_by("last_name", "first_name", "id")
        self.fields["student"].label_from_instance = lambda student: student.full_name
        if viewer.role == Role.TUTOR:
            del self.fields["tutor"]
        elif viewer.role == Role.STUDENT:
            del self.fields["student"]

    def clean(self):
        return date_range_clean(self, super().clean())

    def search(self) -> dict:
        if not self.is_bound:
            return {}
        data = self.cleaned_data
        return {
            "status": data.get("status") or None,
            "tutor": data.get("tutor"),
            "student": data.get("student"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


def _query_without_page(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page"])


@member_required()
@require_safe
def history(request) -> HttpResponse:
    viewer = request.membership
    form = PaymentFilterForm(request.GET or None, viewer=viewer)
    status = 200
    if form.is_bound and not form.is_valid():
        found = Payment.objects.none()
        status = 400
    else:
        found = selectors.payment_search(viewer=viewer, **form.search())
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    context = {
        "filters": form,
        "page": page,
        "query": query,
        "audience": selectors.payment_audience(viewer),
        "zone": viewer_zone(viewer).key,
        "export_url": reverse("billing:history_csv") + (f"?{query}" if query else ""),
    }
    template = "billing/_payments.html" if request.htmx else "billing/history.html"
    return render(request, template, context, status=status)


@member_required()
@require_safe
def history_csv(request) -> HttpResponse:
    viewer = request.membership
    form = PaymentFilterForm(request.GET or None, viewer=viewer)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(m)}" for field, m in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    zone = viewer_zone(viewer)
    found = selectors.payment_search(viewer=viewer, zone=zone, **form.search())
    return csv_response(
        filename=f"{viewer.tenant.slug}-payments.csv",
        header=selectors.payment_export_header(viewer=viewer),
        rows=selectors.payment_export_rows(viewer=viewer, payments=found, zone=zone),
    )


urlpatterns = [
    path("payments/", history, name="history"),
    path("payments.csv", history_csv, name="history_csv"),
]
