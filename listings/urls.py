"""The marketplace on the root domain: browse and search, gig and tutor pages, booking."""

from listings import views_pages, views_search

app_name = "listings"

urlpatterns = [*views_search.urlpatterns, *views_pages.urlpatterns]
