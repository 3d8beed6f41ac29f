"""API on the root domain: accounts, agency sign-up, the caller's memberships."""

from django.urls import path

from api.urls_common import urlpatterns as common
from api.views import (
    agencies,
    auth,
    console_reviews,
    console_verification,
    marketplace_booking,
    marketplace_search,
)

app_name = "api"

urlpatterns = [
    *common,
    path("auth/register/", auth.RegisterView.as_view(), name="register"),
    path("agencies/", agencies.AgencySignupView.as_view(), name="agency_signup"),
    path("me/memberships/", agencies.MyMembershipsView.as_view(), name="my_memberships"),
    *marketplace_search.urlpatterns,
    *marketplace_booking.urlpatterns,
    *console_verification.urlpatterns,
    *console_reviews.urlpatterns,
]
