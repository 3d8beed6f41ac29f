"""The gig page on the root domain: what the gig is, and its free times in the viewer's
zone, computed live in the gig's tenant."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from listings.models import Listing, TutorListing
from marketplace.models import Gig, GigPackage
from tests.factories import UserFactory
from tests.listings.pages.conftest import london
from tests.scheduling.conftest import in_tenant_of

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = zoneinfo.ZoneInfo("UTC")


def _page(client, listing: Listing, **query):
    return client.get(f"/marketplace/gigs/{listing.pk}/", query)


def _starts(response) -> list[str]:
    return re.findall(r'data-testid="slot" data-starts-at="([^"]+)"', response.content.decode())


def test_anyone_sees_the_gig_its_tutor_price_and_packages(
    web_client, freelancer_profile, gig_factory, listed
):
    gig = gig_factory(freelancer_profile, difficulty="intermediate", languages=["en", "fr"])
    with in_tenant_of(freelancer_profile):
        GigPackage.objects.create(gig=gig, sessions=5, price_minor=14000)
        GigPackage.objects.create(gig=gig, sessions=3, price_minor=8500)
    listing = listed(gig)
    TutorListing.objects.filter(pk=listing.tutor_id).update(
        verified=True, rating_average="4.50", rating_count=12, headline="Patient and precise"
    )
    Listing.objects.filter(pk=listing.pk).update(
        verified=True, rating_average="4.50", rating_count=12
    )

    response = _page(web_client(None), listing)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>GCSE maths, step by step</h1>" in html
    assert f'href="/marketplace/tutors/{listing.tutor_id}/">Fay Freeman</a>' in html
    assert 'data-testid="verified"' in html
    assert "★ 4.5 (12 reviews)" in html
    assert "Patient and precise" in html
    assert "Intermediate" in html
    assert "Secondary" in html
    assert '<dd data-testid="languages">English, French</dd>' in html
    assert "60 minutes a session" in html
    assert "GBP 30.00 a session" in html
    packages = re.findall(r'<tr data-testid="package">(.*?)</tr>', html, re.S)
    assert len(packages) == 2
    # 3 for 85.00 (28.333... → 28.33) and 5 for 140.00 (28.00), smallest first.
    assert "3 weekly sessions" in packages[0]
    assert "GBP 85.00" in packages[0]
    assert "GBP 28.33" in packages[0]
    assert "save GBP 5.00" in packages[0]
    assert "GBP 140.00" in packages[1]
    assert "GBP 28.00" in packages[1]
    assert "rounded to the nearest GBP minor unit (halves round up)" in html
    assert "Algebra, geometry and exam technique" in html


def test_a_signed_in_viewer_sees_free_times_in_their_own_zone(web_client, gig_listing):
    viewer = UserFactory(time_zone="Asia/Tokyo")

    response = _page(web_client(None, viewer), gig_listing, tz="America/New_York")

    html = response.content.decode()
    assert '<strong data-testid="slots-zone">Asia/Tokyo</strong>' in html
    ten = london(2, 10).astimezone(TOKYO)
    assert ten.isoformat() in _starts(response)
    assert f"Book {ten:%A} {ten.day} {ten:%B}, {ten:%H:%M} to" in html
    # The booking link carries the instant itself, whatever the zone shown.
    query = urlencode({"start": london(2, 10).astimezone(UTC).isoformat()})
    assert f'href="/marketplace/gigs/{gig_listing.pk}/book/?{query}"' in html


def test_a_visitor_sees_them_in_the_zone_their_browser_chose_else_utc(web_client, gig_listing):
    client = web_client(None)

    in_new_york = _page(client, gig_listing, tz="America/New_York")
    in_utc = _page(client, gig_listing)
    made_up = _page(client, gig_listing, tz="Mars/Olympus")

    assert london(2, 10).astimezone(NEW_YORK).isoformat() in _starts(in_new_york)
    assert "your browser's time zone" in in_new_york.content.decode()
    assert london(2, 10).astimezone(UTC).isoformat() in _starts(in_utc)
    assert 'data-zone-chosen=""' in in_utc.content.decode()  # the script may ask the browser
    assert _starts(made_up) == _starts(in_utc)


def test_free_times_are_grouped_by_the_viewers_day_for_two_weeks(web_client, gig_listing):
    viewer = UserFactory(time_zone="Asia/Tokyo")
    response = _page(web_client(None, viewer), gig_listing)
    html = response.content.decode()

    today = timezone.now().astimezone(TOKYO).date()
    days = re.findall(r'data-testid="slot-day" data-date="([^"]+)"', html)
    assert days == sorted(days)
    assert {dt.date.fromisoformat(d) for d in days} <= {
        today + dt.timedelta(days=n) for n in range(14)
    }
    # London's 08:00-20:00 is 17:00-05:00 in Tokyo: one London day spans two Tokyo days.
    sections = re.findall(r'data-date="([^"]+)">(.*?)</section>', html, re.S)
    for day, body in sections:
        for start in re.findall(r'data-starts-at="([^"]+)"', body):
            assert dt.datetime.fromisoformat(start).date().isoformat() == day
    last = today + dt.timedelta(days=13)
    assert f"{last:%a} {last.day} {last:%b %Y}" in html


def test_the_next_week_comes_in_place_with_htmx(web_client, gig_listing):
    client = web_client(None)
    first = _page(client, gig_listing, tz="Europe/London").content.decode()
    link = re.search(r'hx-get="([^"]+)"[^>]*data-testid="next-week"', first).group(1)
    link = link.replace("&amp;", "&")

    panel = client.get(link, HTTP_HX_REQUEST="true")

    assert panel.status_code == 200
    html = panel.content.decode()
    assert "<html" not in html
    week_on = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/London")).date() + dt.timedelta(
        days=7
    )
    assert re.findall(r'data-date="([^"]+)"', html)[0] == week_on.isoformat()
    assert "Previous week" in html
    assert "tz=Europe%2FLondon" in html


def test_a_date_before_today_means_today(web_client, gig_listing):
    response = _page(web_client(None), gig_listing, **{"from": "2001-01-01"})
    today = timezone.now().astimezone(UTC).date()
    assert re.findall(r'data-date="([^"]+)"', response.content.decode())[0] in {
        today.isoformat(),
        (today + dt.timedelta(days=1)).isoformat(),
    }
    assert "Previous week" not in response.content.decode()


def test_a_gig_paused_since_it_was_indexed_offers_no_times(web_client, marketplace, gig_listing):
    with tenant_context(marketplace):
        Gig.objects.filter(pk=gig_listing.gig_id).update(status=Gig.Status.PAUSED)
    response = _page(web_client(None), gig_listing)
    assert response.status_code == 200
    assert 'data-testid="gig-unavailable"' in response.content.decode()
    assert _starts(response) == []


def test_a_listing_no_longer_in_the_index_is_not_found(web_client, gig_listing):
    Listing.objects.filter(pk=gig_listing.pk).delete()
    assert _page(web_client(None), gig_listing).status_code == 404
    assert web_client(None).get("/marketplace/gigs/999999/").status_code == 404


def test_an_agency_that_stopped_listing_is_not_shown_even_before_the_index_catches_up(
    acme, web_client, teacher, weekly, gig_factory, listed
):
    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    _, profile = teacher(acme)
    listing = listed(gig_factory(profile))
    assert _page(web_client(None), listing).status_code == 200
    type(acme).objects.filter(pk=acme.pk).update(marketplace_listed=False)
    assert _page(web_client(None), listing).status_code == 404


def test_each_gig_shows_its_own_tenants_tutor_and_times(
    acme, marketplace, web_client, teacher, weekly, gig_factory, listed, gig_listing
):
    """Gig ids repeat across tenants: acme's gig 1 is not the marketplace's gig 1."""
    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    _, profile = teacher(acme, first_name="Ada", last_name="Agency")
    wednesday = 2
    weekly(profile, wednesday, "09:00", "10:00")
    acme_listing = listed(gig_factory(profile, title="Acme algebra"))
    assert acme_listing.gig_id == gig_listing.gig_id

    html = _page(web_client(None), acme_listing, tz="Europe/London").content.decode()

    assert "Acme algebra" in html
    assert "Ada Agency" in html
    assert "Fay Freeman" not in html
    starts = [dt.datetime.fromisoformat(s) for s in re.findall(r'data-starts-at="([^"]+)"', html)]
    assert starts
    assert {(s.weekday(), s.hour, s.minute) for s in starts} == {(wednesday, 9, 0)}


def test_the_page_costs_a_fixed_number_of_queries(
    web_client, gig_listing, django_assert_max_num_queries
):
    client = web_client(None)
    _page(client, gig_listing)
    with django_assert_max_num_queries(20):
        response = _page(client, gig_listing, **{"from": london(20, 0).date().isoformat()})
    assert response.status_code == 200
