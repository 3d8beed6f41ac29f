"""The listing index follows the tenants: gigs, tutors, reviews and free time."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.forms.models import model_to_dict
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import Subject, TutorProfile
from listings import indexing
from listings.models import FreeWindow, ListedReview, Listing, TutorListing
from marketplace.models import Gig, GigPackage
from scheduling.models import Session
from scheduling.signals import session_changed_on_commit
from tests.scheduling.conftest import in_tenant_of

pytestmark = pytest.mark.django_db


def _refresh(profile: TutorProfile):
    tenant = Membership.objects.get(user=profile.user).tenant
    return indexing.tutor_refresh(tenant=tenant, profile_id=profile.pk)


def _snapshot() -> dict:
    """Every indexed row, without the refresh time (and the tsvector, recomputed)."""
    skip = {"id", "indexed_at", "tutor", "search"}

    def rows(model, *key):
        return sorted(
            (
                tuple(getattr(obj, name) for name in key),
                {k: v for k, v in model_to_dict(obj).items() if k not in skip},
            )
            for obj in model.objects.all()
        )

    return {
        "tutors": rows(TutorListing, "tenant_id", "profile_id"),
        "listings": rows(Listing, "tenant_id", "gig_id"),
        "windows": rows(FreeWindow, "starts_at"),
        "reviews": rows(ListedReview, "tenant_id", "review_id"),
    }


def test_publishing_a_gig_lists_it_after_the_commit(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        gig = gig_factory(freelancer_profile, title="GCSE maths, step by step")
        with in_tenant_of(freelancer_profile):
            GigPackage.objects.create(gig=gig, sessions=5, price_minor=14000)

    listing = Listing.objects.select_related("tutor").get(gig_id=gig.pk)
    assert listing.title == "GCSE maths, step by step"
    assert (listing.price_minor, listing.currency, listing.duration_minutes) == (3000, "GBP", 60)
    assert (listing.subject_slug, listing.subject_name, listing.level) == (
        "mathematics",
        "Mathematics",
        "secondary",
    )
    assert listing.packages == [{"sessions": 5, "price_minor": 14000}]
    assert listing.tutor_name == "Fay Freeman"
    assert listing.next_free_at is not None
    tutor = listing.tutor
    assert tutor.display_name == "Fay Freeman"
    assert tutor.subjects == [{"name": "Mathematics", "slug": "mathematics", "level": "secondary"}]
    assert tutor.next_free_at == listing.next_free_at
    assert tutor.windows.exists()
    assert tutor.rating_count == 0
    assert tutor.rating_average is None
    # No reviews yet: the prior alone.
    assert listing.quality == pytest.approx(4.0)


def test_a_draft_gig_is_not_listed(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(freelancer_profile, status=Gig.Status.DRAFT)
    assert not TutorListing.objects.exists()


def test_editing_a_gig_updates_its_listing_in_place(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        gig = gig_factory(freelancer_profile)
    before = Listing.objects.get(gig_id=gig.pk)

    with django_capture_on_commit_callbacks(execute=True), in_tenant_of(freelancer_profile):
        gig.title = "A-level mechanics"
        gig.price_minor = 4500
        gig.save()

    after = Listing.objects.get(gig_id=gig.pk)
    assert after.pk == before.pk  # links to the gig page keep working
    assert (after.title, after.price_minor) == ("A-level mechanics", 4500)
    assert Listing.objects.filter(search="mechanics").get() == after


def test_pausing_the_last_gig_drops_the_tutor(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        first = gig_factory(freelancer_profile)
        second = gig_factory(freelancer_profile, title="Statistics for beginners")
    assert Listing.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True), in_tenant_of(freelancer_profile):
        first.status = Gig.Status.PAUSED
        first.save()
    assert list(Listing.objects.values_list("gig_id", flat=True)) == [second.pk]

    with django_capture_on_commit_callbacks(execute=True), in_tenant_of(freelancer_profile):
        second.status = Gig.Status.PAUSED
        second.save()
    assert not TutorListing.objects.exists()
    assert not Listing.objects.exists()
    assert not FreeWindow.objects.exists()


def test_many_changes_in_one_transaction_queue_one_refresh(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    with (
        mock.patch("listings.tasks.tutor_refresh_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        gig = gig_factory(freelancer_profile)
        with in_tenant_of(freelancer_profile):
            for sessions in (2, 4, 8):
                GigPackage.objects.create(gig=gig, sessions=sessions, price_minor=1000)
            gig.title = "Changed twice"
            gig.save()
    delay.assert_called_once_with(freelancer_profile.pk)


def test_a_rolled_back_change_does_not_stop_the_next_refresh(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    from django.db import transaction

    def publish_then_fail() -> None:
        with transaction.atomic():
            gig_factory(freelancer_profile, title="Never happened")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        publish_then_fail()
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(freelancer_profile, title="This one did")
    assert list(Listing.objects.values_list("title", flat=True)) == ["This one did"]


def test_an_agency_is_listed_only_while_it_opts_in(
    django_capture_on_commit_callbacks, acme, teacher, weekly, gig_factory
):
    _, profile = teacher(acme)
    weekly(profile, 0, "09:00", "17:00")
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(profile)
    assert not TutorListing.objects.exists()  # acme has not opted in

    with django_capture_on_commit_callbacks(execute=True):
        acme.marketplace_listed = True
        acme.save()
    assert TutorListing.objects.filter(tenant=acme, profile_id=profile.pk).exists()
    assert Listing.objects.filter(tenant=acme).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        acme.marketplace_listed = False
        acme.save()
    assert not TutorListing.objects.filter(tenant=acme).exists()
    assert not Listing.objects.exists()


def test_an_inactive_tenant_is_dropped(
    django_capture_on_commit_callbacks, marketplace, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(freelancer_profile)
    with django_capture_on_commit_callbacks(execute=True):
        marketplace.is_active = False
        marketplace.save()
    assert not TutorListing.objects.exists()


def test_a_deactivated_tutor_is_dropped_and_comes_back_when_reactivated(
    django_capture_on_commit_callbacks, freelancer, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(freelancer_profile)
    with django_capture_on_commit_callbacks(execute=True):
        freelancer.is_active = False
        freelancer.save()
    assert not TutorListing.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        freelancer.is_active = True
        freelancer.save()
    assert TutorListing.objects.count() == 1


def test_a_renamed_tutor_is_renamed_everywhere(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(freelancer_profile)
    user = freelancer_profile.user
    with django_capture_on_commit_callbacks(execute=True):
        user.last_name = "Fairweather"
        user.save()
    assert TutorListing.objects.get().display_name == "Fay Fairweather"
    assert Listing.objects.get().tutor_name == "Fay Fairweather"


def test_a_login_does_not_refresh_anything(freelancer_profile, gig_factory):
    gig_factory(freelancer_profile)
    _refresh(freelancer_profile)
    user = freelancer_profile.user
    with mock.patch("listings.tasks.user_refresh_task.delay") as delay:
        user.save(update_fields=["last_login"])
    delay.assert_not_called()


def test_a_private_bio_stays_off_the_marketplace(freelancer_profile, gig_factory):
    gig_factory(freelancer_profile)
    with in_tenant_of(freelancer_profile):
        TutorProfile.objects.filter(pk=freelancer_profile.pk).update(
            bio="I coach for the Olympiad.", bio_visibility="private", headline="Maths coach"
        )
    tutor = _refresh(freelancer_profile)
    assert tutor.bio == ""
    assert tutor.headline == "Maths coach"

    with in_tenant_of(freelancer_profile):
        TutorProfile.objects.filter(pk=freelancer_profile.pk).update(bio_visibility="public")
    assert _refresh(freelancer_profile).bio == "I coach for the Olympiad."


def test_ratings_count_visible_reviews_only(freelancer_profile, gig_factory, review_factory):
    gig = gig_factory(freelancer_profile)
    review_factory(freelancer_profile, 5, gig=gig)
    review_factory(freelancer_profile, 4, gig=gig, author_name=("Ann", "lee"))
    hidden = review_factory(freelancer_profile, 1, gig=gig, hidden=True)

    tutor = _refresh(freelancer_profile)
    assert tutor.rating_count == 2
    assert tutor.rating_average == Decimal("4.50")
    assert tutor.rating_distribution == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    listing = Listing.objects.get()
    assert (listing.rating_count, listing.rating_average) == (2, Decimal("4.50"))
    assert listing.quality == pytest.approx((3 * 4.0 + 9) / 5)
    # Every review is kept for moderation, the hidden one marked; authors are initialled.
    listed = {r.review_id: r for r in ListedReview.objects.all()}
    assert len(listed) == 3
    assert listed[hidden.pk].hidden_at is not None
    assert listed[hidden.pk].hidden_reason == "Personal details"
    assert {r.author_name for r in listed.values()} == {"Sam R.", "Ann L."}
    assert {r.gig_title for r in listed.values()} == {gig.title}


def test_the_badge_adds_to_quality(freelancer_profile, gig_factory, review_factory):
    gig_factory(freelancer_profile)
    review_factory(freelancer_profile, 5)
    with in_tenant_of(freelancer_profile):
        TutorProfile.objects.filter(pk=freelancer_profile.pk).update(verification_status="verified")
    _refresh(freelancer_profile)
    listing = Listing.objects.get()
    assert listing.verified is True
    assert listing.quality == pytest.approx((12 + 5) / 4 + 0.3)


def test_hiding_a_review_through_save_refreshes_the_rating(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory, review_factory
):
    gig_factory(freelancer_profile)
    review = review_factory(freelancer_profile, 1)
    review_factory(freelancer_profile, 5)
    _refresh(freelancer_profile)
    assert TutorListing.objects.get().rating_count == 2

    with django_capture_on_commit_callbacks(execute=True), in_tenant_of(freelancer_profile):
        review.hidden_at = review.created_at
        review.hidden_reason = "Abusive"
        review.save()
    tutor = TutorListing.objects.get()
    assert (tutor.rating_count, tutor.rating_average) == (1, Decimal("5.00"))


def test_free_windows_follow_the_tutor_zone(marketplace, teacher, weekly, gig_factory):
    _, profile = teacher(marketplace, time_zone="America/New_York", email="nyc@freelance.test")
    for weekday in range(7):
        weekly(profile, weekday, "09:00", "12:00")
    gig_factory(profile)
    tutor = _refresh(profile)

    zone = zoneinfo.ZoneInfo("America/New_York")
    windows = list(tutor.windows.order_by("starts_at"))
    assert len(windows) >= 25  # 28 days ahead, the first possibly inside the notice
    whole = [w for w in windows if w.ends_at - w.starts_at == dt.timedelta(hours=3)]
    assert len(whole) >= 25
    for window in windows:
        start, end = window.starts_at.astimezone(zone), window.ends_at.astimezone(zone)
        assert start.date() == end.date()
        assert dt.time(9) <= start.time()
        assert end.time() <= dt.time(12)
    for window in whole:
        assert window.starts_at.astimezone(zone).time() == dt.time(9)
    assert tutor.next_free_at == windows[0].starts_at


def test_a_booked_class_is_cut_out_of_the_free_windows(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory, review_factory
):
    gig_factory(freelancer_profile)
    tutor = _refresh(freelancer_profile)
    day = tutor.windows.order_by("starts_at")[3]
    starts_at = day.starts_at + dt.timedelta(hours=2)
    student = review_factory(freelancer_profile, 5).session.student

    with django_capture_on_commit_callbacks(execute=True), in_tenant_of(freelancer_profile):
        session = Session.objects.create(
            tutor=freelancer_profile,
            student=student,
            subject=Subject.objects.get(slug="mathematics"),
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
            status=Session.Status.CONFIRMED,
            currency="GBP",
            requested_by=freelancer_profile.user,
        )
        session_changed_on_commit(session, "confirmed")

    windows = FreeWindow.objects.filter(tutor=tutor)
    assert not windows.filter(starts_at__lt=session.ends_at, ends_at__gt=session.starts_at)
    assert windows.filter(ends_at=session.starts_at).exists()
    assert windows.filter(starts_at=session.ends_at).exists()


def test_refreshing_twice_changes_nothing(freelancer_profile, gig_factory, review_factory):
    gig_factory(freelancer_profile)
    gig_factory(freelancer_profile, title="Calculus")
    review_factory(freelancer_profile, 4)
    _refresh(freelancer_profile)
    first = _snapshot()
    ids = sorted(Listing.objects.values_list("pk", flat=True))
    _refresh(freelancer_profile)
    assert _snapshot() == first
    assert sorted(Listing.objects.values_list("pk", flat=True)) == ids


def test_the_rebuild_command_recreates_a_deleted_index(
    acme, freelancer_profile, teacher, gig_factory, review_factory, capsys
):
    acme.marketplace_listed = True
    acme.save()
    _, agency_tutor = teacher(acme)
    gig_factory(freelancer_profile)
    gig_factory(agency_tutor, title="Agency algebra")
    review_factory(freelancer_profile, 3)
    indexing.rebuild_all()
    before = _snapshot()
    assert len(before["tutors"]) == 2

    TutorListing.objects.all().delete()
    call_command("listings_rebuild")
    assert _snapshot() == before
    assert "2 tutor(s) listed" in capsys.readouterr().out

    TutorListing.objects.filter(tenant=acme).delete()
    call_command("listings_rebuild", tenant="acme")
    assert _snapshot() == before


def test_the_rebuild_command_refuses_an_unknown_tenant(db):
    with pytest.raises(CommandError):
        call_command("listings_rebuild", tenant="nowhere")


def test_rows_of_a_deleted_tutor_profile_go(
    django_capture_on_commit_callbacks, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    _refresh(freelancer_profile)
    with django_capture_on_commit_callbacks(execute=True), in_tenant_of(freelancer_profile):
        gig.delete()
    assert not TutorListing.objects.exists()


def test_receivers_do_nothing_in_the_public_schema(
    django_capture_on_commit_callbacks, freelancer_profile
):
    from marketplace import receivers

    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks() as callbacks:
        receivers._tutor_of("tutor_id")(sender=Gig, instance=Gig(tutor_id=freelancer_profile.pk))
        receivers.session_changed_receiver(
            sender=Session, session=Session(tutor_id=freelancer_profile.pk), change="confirmed"
        )
    assert callbacks == []


def test_receivers_do_nothing_in_an_agency_off_the_marketplace(
    django_capture_on_commit_callbacks, acme, teacher, gig_factory
):
    _, profile = teacher(acme)
    with django_capture_on_commit_callbacks() as callbacks:
        gig_factory(profile)
        with tenant_context(acme):
            TutorProfile.objects.get(pk=profile.pk).save()
    assert callbacks == []


def test_provisioning_an_agency_queues_nothing(django_capture_on_commit_callbacks, tenant_factory):
    with (
        mock.patch("listings.tasks.tenant_refresh_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        tenant_factory("initech")
    delay.assert_not_called()


def test_the_hourly_dispatch_refreshes_listed_tenants_and_drops_the_others(
    acme, freelancer_profile, teacher, gig_factory
):
    from listings.tasks import listings_refresh_dispatch

    _, agency_tutor = teacher(acme)
    gig_factory(freelancer_profile)
    gig_factory(agency_tutor)
    acme.marketplace_listed = True
    acme.save()
    indexing.rebuild_all()
    assert TutorListing.objects.count() == 2
    FreeWindow.objects.all().delete()
    type(acme).objects.filter(pk=acme.pk).update(marketplace_listed=False)  # no signal

    assert listings_refresh_dispatch() == 1  # the marketplace only
    assert list(TutorListing.objects.values_list("profile_id", flat=True)) == [
        freelancer_profile.pk
    ]
    assert FreeWindow.objects.exists()


def test_a_change_made_by_schema_name_is_indexed_too(
    django_capture_on_commit_callbacks, marketplace, freelancer_profile, gig_factory
):
    from django_tenants.utils import schema_context

    gig = gig_factory(freelancer_profile, status=Gig.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True), schema_context(marketplace.schema_name):
        Gig.objects.filter(pk=gig.pk).update(published_at=gig.created_at)
        gig.refresh_from_db()
        gig.status = Gig.Status.PUBLISHED
        gig.save()
    assert Listing.objects.filter(gig_id=gig.pk).exists()
