"""The gig pages: list, post, edit with packages, preview, publish, pause, delete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from marketplace.models import Gig
from tests.marketplace.gigs.conftest import (
    audits,
    gig_count,
    gig_in,
    packages_of,
    subject_id,
)

pytestmark = pytest.mark.django_db

LIST = "/marketplace/gigs/"
NEW = "/marketplace/gigs/new/"
PREVIEW = "/marketplace/gigs/preview/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(gig, action: str = "") -> str:
    return f"{LIST}{gig.pk}/{action + '/' if action else ''}"


def form_data(tenant, **fields) -> dict:
    """The gig form as a browser sends it: prices in major units, four package rows."""
    data = {
        "title": "Maths that clicks",
        "subject_id": subject_id(tenant),
        "level": "secondary",
        "difficulty": "",
        "languages": "en, FR",
        "description": "Fractions to quadratics, at your pace.",
        "price": "32.50",
        "currency": "GBP",
        "duration_minutes": "60",
        "packages-TOTAL_FORMS": "4",
        "packages-INITIAL_FORMS": "0",
        "packages-MIN_NUM_FORMS": "0",
        "packages-MAX_NUM_FORMS": "4",
    }
    for row in range(4):
        data[f"packages-{row}-sessions"] = ""
        data[f"packages-{row}-price"] = ""
    data.update(fields)
    return data


# The list ----------------------------------------------------------------------------------


def test_a_tutor_sees_their_gigs_and_can_post_one(
    web_client, listed, theo, theo_profile, teacher, gig_factory
):
    _, other = teacher(listed, email="other@acme.test", first_name="Olga")
    mine = gig_factory(theo_profile, title="Theo's algebra")
    gig_factory(other, title="Olga's geometry")
    response = web_client(listed, theo.user).get(LIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your gigs" in text
    assert "Theo&#x27;s algebra" in text
    assert "Olga" not in text
    assert f'href="{page(mine)}"' in text
    assert f'href="{NEW}"' in text
    assert "GBP 30.00" in text


def test_a_tutor_of_an_unlisted_agency_is_told_why_they_cannot_post(web_client, acme, teacher):
    tutor, _ = teacher(acme)
    browser = web_client(acme, tutor.user)
    text = browser.get(LIST).content.decode()
    assert 'data-testid="not-listed"' in text
    assert f'href="{NEW}"' not in text
    assert 'data-testid="not-listed"' in browser.get(NEW).content.decode()
    response = browser.post(NEW, form_data(acme))
    assert response.status_code == 409
    assert "does not list its tutors on the marketplace" in response.content.decode()
    assert gig_count(acme) == 0


@pytest.mark.parametrize("role", ["student", "parent", "staff"])
def test_students_parents_and_staff_are_refused(web_client, listed, draft, member, role):
    browser = web_client(listed, member(listed, role).user)
    assert browser.get(LIST).status_code == 403
    assert browser.get(NEW).status_code == 403
    assert browser.get(page(draft)).status_code == 403
    assert browser.post(page(draft, "delete")).status_code == 403
    assert browser.post(page(draft, "publish")).status_code == 403
    assert gig_in(listed, draft.pk) is not None


def test_managers_see_every_tutors_gigs_filter_them_and_pause_one(
    web_client, listed, theo_profile, teacher, gig_factory, member
):
    _, other = teacher(listed, email="other@acme.test", first_name="Olga")
    theirs = gig_factory(other, title="Olga's geometry")
    gig = gig_factory(theo_profile, title="Theo's algebra")
    browser = web_client(listed, member(listed, "admin").user)
    text = browser.get(LIST).content.decode()
    assert "Your tutors' gigs" in text
    assert "Olga&#x27;s geometry" in text
    assert "Theo&#x27;s algebra" in text
    assert 'data-testid="tutor-filter"' in text
    assert f'href="{page(gig)}"' not in text  # read-only: no edit link
    assert f'action="{page(gig, "delete")}"' not in text
    text = browser.get(LIST, {"tutor": theo_profile.pk}).content.decode()
    assert "Theo&#x27;s algebra" in text
    assert "Olga" not in text.split("<tbody>")[1]
    assert browser.get(page(gig)).status_code == 403
    assert browser.post(page(gig, "delete")).status_code == 403
    response = browser.post(page(gig, "pause"), **HTMX)
    assert response.status_code == 200
    assert f'data-testid="gig-status-{gig.pk}">Paused' in response.content.decode()
    assert gig_in(listed, gig.pk).status == "paused"
    assert gig_in(listed, theirs.pk).status == "published"


def test_the_list_page_costs_the_same_queries_for_many_gigs(
    web_client, listed, member, teacher, gig_factory, django_assert_max_num_queries
):
    browser = web_client(listed, member(listed, "owner").user)
    for number in range(6):
        _, profile = teacher(listed, email=f"t{number}@acme.test")
        made = gig_factory(profile)
        with tenant_context(listed):
            made.packages.create(sessions=4, price_minor=11000)
    # Session, host, membership, nav, then the tutors, count, gigs and packages.
    with django_assert_max_num_queries(30):
        assert browser.get(LIST).status_code == 200
    with CaptureQueriesContext(connection) as many:
        browser.get(LIST)
    _, profile = teacher(listed, email="late@acme.test")
    gig_factory(profile)
    with CaptureQueriesContext(connection) as more:
        browser.get(LIST)
    assert len(more) == len(many)


# Posting and editing -----------------------------------------------------------------------


def test_a_tutor_posts_a_gig_with_packages_in_major_units(web_client, listed, theo):
    browser = web_client(listed, theo.user)
    form = browser.get(NEW).content.decode()
    assert 'name="packages-3-sessions"' in form
    assert 'value="40.00"' in form  # their hourly rate as a start
    response = browser.post(
        NEW,
        form_data(
            listed,
            **{"packages-1-sessions": "4", "packages-1-price": "120", "difficulty": "advanced"},
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(listed):
        gig = Gig.objects.get()
    assert response["Location"] == page(gig)
    assert (gig.price_minor, gig.currency, gig.languages) == (3250, "GBP", ["en", "fr"])
    assert (gig.status, gig.difficulty) == ("draft", "advanced")
    assert packages_of(listed, gig) == [(4, 12000)]
    assert len(audits("marketplace.gig.created", gig)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "32.505"}, "Use at most 2 decimals for GBP."),
        ({"languages": "en, klingon"}, "is not an ISO 639-1 language code"),
        ({"title": ""}, "This field is required."),
        ({"packages-0-sessions": "4"}, "Enter the package&#x27;s total price."),
        ({"packages-0-sessions": "1", "packages-0-price": "20"}, "greater than or equal to 2"),
        (
            {"packages-0-sessions": "4", "packages-0-price": "140"},
            "Package 1: 4 sessions may cost at most what 4 single sessions do (GBP 130.00).",
        ),
        ({"level": "university"}, "You do not teach Mathematics at the university level"),
    ],
)
def test_bad_input_is_shown_on_the_form(web_client, listed, theo, fields, message):
    response = web_client(listed, theo.user).post(NEW, form_data(listed, **fields))
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert 'value="Maths that clicks"' in text or fields.get("title") == ""
    assert gig_count(listed) == 0


def test_a_tutor_without_subjects_is_sent_to_their_profile(web_client, listed, member):
    tutor = member(listed, "tutor")
    text = web_client(listed, tutor.user).get(NEW).content.decode()
    assert 'data-testid="no-subjects"' in text


def test_a_tutor_edits_their_gig_and_its_packages(
    web_client, listed, theo, theo_profile, gig_factory
):
    gig = gig_factory(theo_profile)
    with tenant_context(listed):
        gig.packages.create(sessions=4, price_minor=11000)
    browser = web_client(listed, theo.user)
    text = browser.get(page(gig)).content.decode()
    assert 'value="110.00"' in text
    assert 'data-testid="gig-preview"' in text
    data = form_data(
        listed,
        **{
            "packages-INITIAL_FORMS": "1",
            "packages-0-sessions": "",
            "packages-0-price": "",
            "packages-2-sessions": "10",
            "packages-2-price": "300",
        },
    )
    response = browser.post(page(gig), data)
    assert response.status_code == 302
    assert packages_of(listed, gig) == [(10, 30000)]
    fresh = gig_in(listed, gig.pk)
    assert (fresh.title, fresh.price_minor) == ("Maths that clicks", 3250)
    assert fresh.status == "published"


def test_another_tutors_gig_is_not_found(web_client, listed, draft, teacher):
    other, _ = teacher(listed, email="other@acme.test")
    browser = web_client(listed, other.user)
    assert browser.get(page(draft)).status_code == 404
    assert browser.post(page(draft), form_data(listed)).status_code == 404
    for action in ("publish", "pause", "delete"):
        assert browser.post(page(draft, action)).status_code == 404
    fresh = gig_in(listed, draft.pk)
    assert (fresh.title, fresh.status) == (draft.title, "draft")


def test_another_tenants_people_find_nothing(web_client, listed, globex, draft, member):
    owner = web_client(globex, member(globex, "owner").user)
    assert owner.post(page(draft, "pause")).status_code == 404
    tutor = web_client(globex, member(globex, "tutor").user)
    assert tutor.get(page(draft)).status_code == 404
    assert tutor.post(page(draft, "delete")).status_code == 404
    assert tutor.post(page(draft, "publish")).status_code == 404
    assert gig_in(listed, draft.pk) is not None


def test_the_preview_follows_the_form(web_client, listed, theo):
    response = web_client(listed, theo.user).post(
        PREVIEW,
        form_data(listed, **{"packages-0-sessions": "4", "packages-0-price": "100"}),
        **HTMX,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Maths that clicks" in text
    assert "with Theo Turner" in text
    assert "Mathematics · Secondary" in text
    assert "Taught in English, French" in text
    assert "GBP 32.50" in text
    assert "4 weekly sessions for GBP 100.00 (GBP 25.00 each, save GBP 30.00)" in text
    assert gig_count(listed) == 0


def test_the_preview_of_a_half_typed_form_shows_what_it_can(web_client, listed, theo):
    response = web_client(listed, theo.user).post(
        PREVIEW, {"title": "", "price": "abc", "languages": "zz"}, **HTMX
    )
    assert response.status_code == 200
    assert "Your gig&#x27;s title" in response.content.decode()


# Publish, pause, delete --------------------------------------------------------------------


def test_publishing_without_weekly_hours_points_to_the_availability_page(
    web_client, listed, theo, draft
):
    browser = web_client(listed, theo.user)
    response = browser.post(page(draft, "publish"), {"back": "edit"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Add your weekly availability first." in text
    assert 'href="/scheduling/availability/"' in text
    response = browser.post(page(draft, "publish"), **HTMX)
    assert response.status_code == 400
    assert "Add your weekly availability first." in response.content.decode()
    assert response.content.decode().startswith("<tr")
    assert gig_in(listed, draft.pk).status == "draft"


def test_a_tutor_publishes_pauses_and_resumes_from_the_list(
    web_client, listed, theo, theo_profile, draft, weekly
):
    weekly(theo_profile, 4, "16:00", "19:00")
    browser = web_client(listed, theo.user)
    response = browser.post(page(draft, "publish"), **HTMX)
    assert response.status_code == 200
    assert f'data-testid="gig-status-{draft.pk}">Published' in response.content.decode()
    response = browser.post(page(draft, "pause"))
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert gig_in(listed, draft.pk).status == "paused"
    response = browser.post(page(draft, "publish"), {"back": "edit"})
    assert response["Location"] == page(draft)
    assert gig_in(listed, draft.pk).status == "published"


def test_a_draft_cannot_be_paused_from_the_page(web_client, listed, theo, draft):
    response = web_client(listed, theo.user).post(page(draft, "pause"))
    assert response.status_code == 409
    assert "Only a published gig can be paused." in response.content.decode()


def test_a_tutor_deletes_a_draft_but_not_a_booked_gig(
    web_client, listed, theo, theo_profile, draft, gig_factory, gig_booked
):
    booked_gig = gig_factory(theo_profile, title="Booked already")
    gig_booked(booked_gig, listed)
    browser = web_client(listed, theo.user)
    text = browser.get(LIST).content.decode()
    assert f'action="{page(draft, "delete")}"' in text
    assert f'action="{page(booked_gig, "delete")}"' not in text
    response = browser.post(page(draft, "delete"), **HTMX)
    assert (response.status_code, response.content) == (200, b"")
    assert gig_in(listed, draft.pk) is None
    response = browser.post(page(booked_gig, "delete"), **HTMX)
    assert response.status_code == 409
    assert "pause it instead" in response.content.decode()
    response = browser.post(page(booked_gig, "delete"))
    assert response.status_code == 409
    assert gig_in(listed, booked_gig.pk) is not None


def test_the_publication_time_is_shown_in_the_viewers_zone(
    web_client, listed, theo, theo_profile, gig_factory
):
    summer_noon_utc = dt.datetime(2027, 7, 1, 12, 0, tzinfo=dt.UTC)
    gig = gig_factory(theo_profile, published_at=summer_noon_utc)
    text = web_client(listed, theo.user).get(page(gig)).content.decode()
    assert "first published 1 Jul 2027, 13:00" in text  # Europe/London is on BST
