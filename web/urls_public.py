from django.urls import path

from connect import views_console
from tenants import views as tenant_views
from web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("choose/", views.choose_membership, name="choose"),
    path("console/", views.console, name="console"),
    *views_console.urlpatterns,
    path("signup/agency/", tenant_views.agency_signup_page, name="agency_signup"),
]
