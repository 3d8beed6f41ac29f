"""Scheduling pages on a tenant's host, under /scheduling/."""

from scheduling import views_availability, views_bookings, views_calendar, views_history, views_sync

app_name = "scheduling"

urlpatterns = [
    *views_availability.urlpatterns,
    *views_bookings.urlpatterns,
    *views_calendar.urlpatterns,
    *views_history.urlpatterns,
    *views_sync.urlpatterns,
]
