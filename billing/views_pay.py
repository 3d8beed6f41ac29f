"""Paying for a class: the payment page with Stripe's payment element, and the page
Stripe returns the student to.

Card and wallet details are typed into Stripe's own frames (Stripe.js from
``STRIPE_JS_URL``); our servers only ever see the PaymentIntent's id and status. The
page asks for the client secret with a POST (``pay_intent``), so a page view has no
side effect; the return page re-reads the PaymentIntent from Stripe and records the
payment (the webhook does the same, whichever comes first).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST, require_safe

from billing.models import Payment
from billing.services.payments import payment_checkout, payment_sync, release_retry
from config.errors import ApplicationError
from connect.gateway import GatewayError
from crm.pages import member_required
from scheduling.selectors.sessions import session_get, session_party


def _payment(request, pk: int) -> Payment:
    payment = (
        Payment.objects.select_related("session", "session__subject", "tutor").filter(pk=pk).first()
    )
    if payment is None or session_get(viewer=request.membership, pk=payment.session_id) is None:
        raise Http404
    return payment


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _headers(response: HttpResponse) -> HttpResponse:
    stripe_origin = _origin(settings.STRIPE_JS_URL)
    response["Content-Security-Policy"] = "; ".join(
        (
            f"script-src 'self' {stripe_origin}",
            f"frame-src {stripe_origin} https://hooks.stripe.com",
            f"connect-src 'self' {_origin(settings.STRIPE_API_BASE)} {stripe_origin}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
    add_never_cache_headers(response)
    return response


@member_required()
@require_safe
def pay(request, pk: int) -> HttpResponse:
    payment = _payment(request, pk)
    payer = session_party(viewer=request.membership, session=payment.session) == "student"
    context = {
        "payment": payment,
        "session": payment.session,
        "can_pay": payer and payment.status == Payment.Status.AWAITING,
        "configured": bool(settings.STRIPE_PUBLISHABLE_KEY and settings.STRIPE_SECRET_KEY),
        "stripe_js_url": settings.STRIPE_JS_URL,
        "config": {
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "intent_url": reverse("billing:pay_intent", args=[payment.pk]),
            "return_url": request.build_absolute_uri(
                reverse("billing:pay_return", args=[payment.pk])
            ),
        },
    }
    return _headers(render(request, "billing/pay.html", context))


@member_required()
@require_POST
def pay_intent(request, pk: int) -> JsonResponse:
    payment = _payment(request, pk)
    try:
        checkout = payment_checkout(actor=request.membership, payment=payment)
    except PermissionDenied as error:
        return JsonResponse({"error": str(error)}, status=403)
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status)
    return JsonResponse({"client_secret": checkout["client_secret"]})


@member_required()
@require_safe
def pay_return(request, pk: int) -> HttpResponse:
    payment = _payment(request, pk)
    try:
        payment = payment_sync(payment.pk)
    except GatewayError:
        messages.warning(request, "We could not reach the payment provider; we will check again.")
        return redirect("billing:pay", pk=payment.pk)
    if payment.status == Payment.Status.HELD:
        messages.success(request, "Thank you: your payment is held safely until the class.")
    elif payment.status == Payment.Status.AWAITING:
        messages.warning(request, "The payment did not go through. Please try again.")
        return redirect("billing:pay", pk=payment.pk)
    return redirect("scheduling:session_detail", pk=payment.session_id)


@member_required()
@require_safe
def session_payment(request, pk: int) -> HttpResponse:
    """The payment panel of a session's page (htmx), or a page of its own."""
    session = session_get(viewer=request.membership, pk=pk)
    if session is None:
        raise Http404
    party = session_party(viewer=request.membership, session=session)
    payment = (
        Payment.objects.filter(session=session)
        .prefetch_related("refunds", "invoices")
        .select_related("tutor")
        .first()
    )
    context = {
        "session": session,
        "payment": payment,
        "party": party,
        "audience": "student"
        if party == "student"
        else ("tutor" if party == "tutor" else "agency"),
        "can_pay": payment is not None
        and party == "student"
        and payment.status == Payment.Status.AWAITING,
        "invoices": list(payment.invoices.all()) if payment and party != "tutor" else [],
        "can_retry_release": payment is not None
        and request.membership.is_manager
        and payment.status == Payment.Status.HELD
        and (
            bool(payment.release_blocked_reason)
            or payment.transfers.filter(status="failed").exists()
        ),
    }
    template = "billing/_session_payment.html" if request.htmx else "billing/session_payment.html"
    return render(request, template, context)


@member_required()
@require_POST
def payment_release_retry(request, pk: int) -> HttpResponse:
    payment = _payment(request, pk)
    try:
        release_retry(actor=request.membership, payment=payment)
    except PermissionDenied as error:
        raise Http404 from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The release is being tried again.")
    return redirect("scheduling:session_detail", pk=payment.session_id)


urlpatterns = [
    path("sessions/<int:pk>/payment/", session_payment, name="session_payment"),
    path("payments/<int:pk>/release/", payment_release_retry, name="release_retry"),
    path("payments/<int:pk>/pay/", pay, name="pay"),
    path("payments/<int:pk>/pay/intent/", pay_intent, name="pay_intent"),
    path("payments/<int:pk>/pay/return/", pay_return, name="pay_return"),
]
