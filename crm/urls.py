"""The crm's pages on a tenant's host, under /crm/."""

from crm import views_agency, views_credentials, views_progress, views_students

app_name = "crm"

urlpatterns = [
    *views_credentials.urlpatterns,
    *views_students.urlpatterns,
    *views_agency.urlpatterns,
    *views_progress.urlpatterns,
]
