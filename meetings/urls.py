"""Meeting pages on a tenant's host: joining, the meeting room, completion, the agency's
overview and its Zoom connection."""

from meetings import views_agency, views_completion, views_join, views_room, views_zoom

app_name = "meetings"

urlpatterns = [
    *views_join.urlpatterns,
    *views_room.urlpatterns,
    *views_completion.urlpatterns,
    *views_agency.urlpatterns,
    *views_zoom.urlpatterns,
]
