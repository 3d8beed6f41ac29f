from django.urls import path

from connect import views_console
from listings import views_moderation, views_verification
from tenants import views as tenant_views
from web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("choose/", views.choose_membership, name="choose"),
    path("console/", views.console, name="console"),
    *views_console.urlpatterns,
    *views_verification.urlpatterns,
    *views_moderation.urlpatterns,
    path("signup/agency/", tenant_views.agency_signup_page, name="agency_signup"),
]
