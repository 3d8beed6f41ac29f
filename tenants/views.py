"""The agency sign-up page on the root domain."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render

from config.errors import ApplicationError
from tenants.selectors import host_for_slug
from tenants.signup import agency_signup
from web.forms import form_apply_errors

TIME_ZONE_CHOICES = [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]


class AgencySignupForm(forms.Form):
    agency_name = forms.CharField(label="Agency name", max_length=120)
    slug = forms.CharField(
        label="Web address",
        max_length=40,
        # Shown unescaped by web/_form.html: no angle brackets.
        help_text=f"Your agency's address: your-name.{settings.ROOT_DOMAIN}. Lower-case "
        "letters, digits and hyphens.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=TIME_ZONE_CHOICES, initial="UTC")
    first_name = forms.CharField(label="Your first name", max_length=150, required=False)
    last_name = forms.CharField(label="Your last name", max_length=150, required=False)
    email = forms.EmailField(label="Your email", required=False)
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput, required=False, max_length=128, strip=False
    )

    OWNER_FIELDS = ("first_name", "last_name", "email", "password")

    def __init__(self, *args, signed_in: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.OWNER_FIELDS:
            if signed_in:
                del self.fields[name]
            elif name != "last_name":
                self.fields[name].required = True


def agency_signup_page(request) -> HttpResponse:
    if not request.tenant.is_public:
        raise Http404
    signed_in = request.user.is_authenticated
    form = AgencySignupForm(request.POST or None, signed_in=signed_in)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = agency_signup(
                **form.cleaned_data,
                owner=request.user if signed_in else None,
                request=request,
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            return render(
                request,
                "tenants/signup_done.html",
                {
                    "tenant": tenant,
                    "needs_verification": not signed_in,
                    "email": form.cleaned_data.get("email", ""),
                },
            )
    return render(
        request,
        "tenants/signup.html",
        {
            "form": form,
            "signed_in": signed_in,
            "example_host": host_for_slug("your-agency"),
        },
    )
