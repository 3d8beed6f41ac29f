"""Gig and tutor pages on the root domain, and booking (routes named now so that search
results can link to them; the pages are filled in by their owner)."""

from django.http import Http404
from django.urls import path


def gig_page(request, pk: int):
    raise Http404


def tutor_page(request, pk: int):
    raise Http404


urlpatterns = [
    path("gigs/<int:pk>/", gig_page, name="gig"),
    path("tutors/<int:pk>/", tutor_page, name="tutor"),
]
