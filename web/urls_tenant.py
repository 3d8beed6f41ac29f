from django.urls import path

from web import views

app_name = "web"

urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
