"""Meeting endpoints on the root domain: the providers' webhooks and Zoom's OAuth callback."""

from meetings import views_room, views_zoom

urlpatterns = [
    *getattr(views_zoom, "public_urlpatterns", []),
    *getattr(views_room, "public_urlpatterns", []),
]
