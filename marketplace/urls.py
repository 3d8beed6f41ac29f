"""The marketplace on a tenant's host: gigs and their settings, reviews."""

from marketplace import views_gigs, views_reviews

app_name = "marketplace"

urlpatterns = [*views_gigs.urlpatterns, *views_reviews.urlpatterns]
