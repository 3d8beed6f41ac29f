"""The platform console's review moderation (root domain, platform staff): every listed
review with filters, hiding one with a required reason, restoring it.

Mounted in ``web.urls_public`` (namespace ``web``) beside the console.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from config.errors import ApplicationError
from listings.models import ListedReview
from listings.selectors_moderation import listed_review_get, listed_review_search
from listings.services_moderation import REASON_MAX, review_hide, review_restore
from tenants.selectors import tenant_list

PAGE_SIZE = 50
STATES = [("", "All"), ("visible", "Visible"), ("hidden", "Hidden")]
RATINGS = [
    ("", "Any rating"),
    *[(str(n), f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
]


class FilterForm(forms.Form):
    state = forms.ChoiceField(label="Shown", choices=STATES, required=False)
    rating = forms.TypedChoiceField(
        label="Rating", choices=RATINGS, coerce=int, empty_value=None, required=False
    )
    q = forms.CharField(label="Search", required=False, max_length=100)
    tenant = forms.ChoiceField(label="Tenant", choices=(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tenant"].choices = [
            ("", "Every tenant"),
            *((t.slug, t.name) for t in tenant_list().order_by("name")),
        ]


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Told to the author and the tutor.",
        error_messages={"required": "Say why the review is hidden."},
    )


def _staff(request) -> None:
    if not request.user.is_platform_staff:
        raise PermissionDenied


def _page(
    request, *, forms_by_pk: dict | None = None, errors: dict | None = None, status: int = 200
) -> HttpResponse:
    filters = FilterForm(request.GET or None)
    values: dict = {}
    if filters.is_bound:
        # A bad filter (an unknown tenant) is shown as an error; the good ones still apply.
        filters.is_valid()
        values = filters.cleaned_data
    reviews = listed_review_search(
        state=values.get("state", ""),
        rating=values.get("rating"),
        search=values.get("q", ""),
        tenant=values.get("tenant", ""),
    )
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "listed": listed,
            "form": (forms_by_pk or {}).get(listed.pk) or HideForm(prefix=f"hide-{listed.pk}"),
            "errors": (errors or {}).get(listed.pk, []),
        }
        for listed in page.object_list
    ]
    filters_only = {key: value for key, value in request.GET.items() if key != "page" and value}
    context = {
        "filters": filters,
        "rows": rows,
        "page": page,
        "filter_query": urlencode(filters_only),
        "query": _query(request),
    }
    return render(request, "listings/console/reviews.html", context, status=status)


def _listed(pk: int) -> ListedReview:
    listed = listed_review_get(pk)
    if listed is None:
        raise Http404
    return listed


def _query(request) -> str:
    """The list's filters and page, carried through a hide or restore and back."""
    return urlencode({key: value for key, value in request.GET.items() if value})


def _back(request) -> str:
    query = _query(request)
    return reverse("web:console_reviews") + (f"?{query}" if query else "")


@login_required
@require_safe
def console_reviews(request) -> HttpResponse:
    _staff(request)
    return _page(request)


@login_required
@require_POST
def console_review_hide(request, pk: int) -> HttpResponse:
    _staff(request)
    listed = _listed(pk)
    form = HideForm(request.POST, prefix=f"hide-{listed.pk}")
    problems: list[str] = []
    status = 400
    if form.is_valid():
        try:
            review_hide(
                staff=request.user,
                listed=listed,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            problems.extend(error.messages)
        except ApplicationError as error:
            problems.append(error.message)
            status = error.status
        else:
            messages.success(request, f"The review by {listed.author_name} is hidden.")
            return redirect(_back(request))
    else:
        problems.extend(form.errors.get("reason", []))
    return _page(
        request, forms_by_pk={listed.pk: form}, errors={listed.pk: problems}, status=status
    )


@login_required
@require_POST
def console_review_restore(request, pk: int) -> HttpResponse:
    _staff(request)
    listed = _listed(pk)
    try:
        review_restore(staff=request.user, listed=listed, request=request)
    except ApplicationError as error:
        return _page(request, errors={listed.pk: [error.message]}, status=error.status)
    messages.success(request, f"The review by {listed.author_name} is shown again.")
    return redirect(_back(request))


urlpatterns = [
    path("console/reviews/", console_reviews, name="console_reviews"),
    path("console/reviews/<int:pk>/hide/", console_review_hide, name="console_review_hide"),
    path(
        "console/reviews/<int:pk>/restore/", console_review_restore, name="console_review_restore"
    ),
]
