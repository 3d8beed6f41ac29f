"""Booking a gig from the marketplace (``gig_book``): who becomes what where, at which
price, and that a refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from billing.models import Payment
from config.errors import ApplicationError
from crm.minors import consent_in_force, consent_statement
from crm.models import ParentalConsent, ParentLink, StudentProfile
from marketplace.models import Gig, GigBooking, GigPackage
from marketplace.services.booking import ADULTS_ONLY
from scheduling.models import Session
from tests.factories import MembershipFactory, UserFactory
from tests.listings.pages.conftest import LONDON, london
from tests.scheduling.conftest import dob_for, in_tenant_of

pytestmark = pytest.mark.django_db

KIT = {"for": "child", "first_name": "Kit", "last_name": "Client", "consent": True}


def _kit(age: int = 10, **fields) -> dict:
    return {**KIT, "date_of_birth": dob_for(age).isoformat(), **fields}


def _fields(error) -> set[str]:
    return set(error.value.message_dict)


def _nothing_written_for(user, tenant) -> None:
    assert not Membership.objects.filter(user=user).exists()
    with tenant_context(tenant):
        assert not StudentProfile.objects.filter(user=user).exists()
        assert not ParentLink.objects.filter(parent=user).exists()
        assert not ParentalConsent.objects.exists()
        assert not Session.objects.filter(requested_by=user).exists()
        assert not GigBooking.objects.filter(booked_by=user).exists()
    assert not AuditEntry.objects.filter(actor=user).exists()


# Adults booking for themselves -------------------------------------------------------------


def test_an_adult_becomes_a_student_and_requests_the_session_at_the_gigs_price(
    book, customer, marketplace, freelancer_profile, gig_listing
):
    result = book()

    membership = Membership.objects.get(user=customer)
    assert (membership.tenant, membership.role, membership.is_active) == (
        marketplace,
        "student",
        True,
    )
    with tenant_context(marketplace):
        session = Session.objects.select_related("student").get()
        assert session.status == Session.Status.REQUESTED
        # The gig's 30.00, not the tutor's hourly rate of 40.00.
        assert (session.price_minor, session.currency) == (3000, "GBP")
        assert session.tutor_id == freelancer_profile.pk
        assert session.starts_at == london(2, 10)
        assert session.ends_at - session.starts_at == dt.timedelta(hours=1)
        assert session.requested_by == customer
        assert session.student.user == customer
        assert session.student.email == customer.email
        assert session.student.date_of_birth == dt.date(1990, 5, 1)
        booking = GigBooking.objects.get()
        assert (booking.session_id, booking.gig_id, booking.package, booking.booked_by) == (
            session.pk,
            gig_listing.gig_id,
            None,
            customer,
        )
    assert result.tenant == marketplace
    assert result.membership == membership
    assert [s.pk for s in result.sessions] == [session.pk]
    assert result.path == f"/scheduling/sessions/{session.pk}/"
    assert result.url == marketplace.absolute_url(result.path)
    actions = set(AuditEntry.objects.filter(actor=customer).values_list("action", flat=True))
    assert {"membership.created", "crm.student.created", "marketplace.booking.created"} <= actions


def test_a_second_booking_reuses_the_membership_and_the_student_record(book, customer, marketplace):
    book()
    book(starts_at=london(3, 14), student={"for": "me"})  # no date of birth needed now

    assert Membership.objects.filter(user=customer).count() == 1
    with tenant_context(marketplace):
        assert StudentProfile.objects.count() == 1
        assert Session.objects.filter(student__user=customer).count() == 2
        assert GigBooking.objects.count() == 2


def test_an_adult_without_a_student_record_there_must_give_their_date_of_birth(book, customer):
    with pytest.raises(ValidationError) as error:
        book(student={"for": "me"})
    assert _fields(error) == {"student.date_of_birth"}


def test_someone_under_18_cannot_book_for_themself(book, customer, marketplace):
    with pytest.raises(ValidationError) as error:
        book(student={"for": "me", "date_of_birth": dob_for(17).isoformat()})
    assert error.value.message_dict["student.date_of_birth"] == [ADULTS_ONLY]
    assert "a parent or guardian books for anyone younger" in ADULTS_ONLY
    _nothing_written_for(customer, marketplace)


def test_a_student_the_agency_recorded_at_their_address_is_linked_not_duplicated(
    acme, owner, book, customer, listed, teacher, weekly, gig_factory
):
    from crm import services as crm

    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    _, profile = teacher(acme)
    for weekday in range(7):
        weekly(profile, weekday, "08:00", "20:00")
    listing = listed(gig_factory(profile))
    with tenant_context(acme):
        recorded = crm.student_create(
            actor=owner, first_name="Cara", email=customer.email, date_of_birth=dob_for(30)
        )

    book(listing=listing, student={"for": "me"})

    with tenant_context(acme):
        recorded.refresh_from_db()
        assert recorded.user == customer
        assert StudentProfile.objects.count() == 1
        assert Session.objects.get().student_id == recorded.pk


# Children ----------------------------------------------------------------------------------


def test_a_parent_books_for_a_child_under_13_giving_consent_online(book, customer, marketplace):
    result = book(student=_kit(10))

    assert Membership.objects.get(user=customer).role == "parent"
    with tenant_context(marketplace):
        child = StudentProfile.objects.get()
        assert (child.first_name, child.last_name, child.user) == ("Kit", "Client", None)
        link = child.parent_links.get()
        assert link.parent == customer
        assert link.email == customer.email
        consent = consent_in_force(child)
        assert consent.parent == customer
        assert consent.method == ParentalConsent.Method.ONLINE
        assert consent.statement == consent_statement(child, tenant_name=marketplace.name)
        session = Session.objects.get()
        assert session.student_id == child.pk
        assert session.requested_by == customer
    assert result.membership.role == "parent"


def test_a_child_under_13_without_consent_is_refused_and_nothing_is_written(
    book, customer, marketplace
):
    with pytest.raises(ValidationError) as error:
        book(student=_kit(10, consent=False))
    assert _fields(error) == {"student.consent"}
    _nothing_written_for(customer, marketplace)


def test_a_teenager_needs_no_consent(book, customer, marketplace):
    book(student=_kit(15, consent=False))
    with tenant_context(marketplace):
        child = StudentProfile.objects.get()
        assert consent_in_force(child) is None
        assert Session.objects.get().student_id == child.pk


def test_the_same_child_booked_again_is_the_same_student_with_the_same_consent(
    book, customer, marketplace
):
    book(student=_kit(10))
    book(starts_at=london(4, 9), student=_kit(10, consent=False, first_name="kit"))
    with tenant_context(marketplace):
        assert StudentProfile.objects.count() == 1
        assert ParentalConsent.objects.count() == 1
        assert Session.objects.count() == 2


def test_a_child_must_be_under_18(book, customer):
    with pytest.raises(ValidationError) as error:
        book(student=_kit(19))
    assert _fields(error) == {"student.date_of_birth"}


# Who may book ------------------------------------------------------------------------------


def test_the_tutor_of_that_tenant_is_told_to_use_another_account(book, freelancer, marketplace):
    with pytest.raises(ApplicationError) as error:
        book(user=freelancer.user)
    assert (error.value.status, error.value.code) == (409, "role_conflict")
    assert error.value.message == "You are a tutor here; book with another account."
    with tenant_context(marketplace):
        assert not Session.objects.exists()


def test_a_parent_there_cannot_book_for_themself_nor_a_student_for_a_child(
    book, customer, marketplace
):
    book(student=_kit(10))
    with pytest.raises(ApplicationError) as error:
        book(starts_at=london(3, 10), student={"for": "me", "date_of_birth": "1990-05-01"})
    assert error.value.code == "role_conflict"
    assert "You are a parent here" in error.value.message


def test_someone_whose_access_was_ended_cannot_book_there(book, customer, marketplace):
    MembershipFactory(tenant=marketplace, user=customer, role="student", is_active=False)
    with pytest.raises(ApplicationError) as error:
        book()
    assert (error.value.status, error.value.code) == (403, "membership_inactive")
    membership = Membership.objects.get(user=customer)
    assert not membership.is_active
    with tenant_context(marketplace):
        assert not Session.objects.exists()


def test_an_anonymous_user_cannot_book(book):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        book(user=AnonymousUser())


# The index may lag -------------------------------------------------------------------------


def test_a_gig_paused_after_it_was_indexed_cannot_be_booked(
    book, customer, marketplace, gig_listing
):
    with tenant_context(marketplace):
        Gig.objects.filter(pk=gig_listing.gig_id).update(status=Gig.Status.PAUSED)
    with pytest.raises(ApplicationError) as error:
        book()
    assert (error.value.status, error.value.code) == (409, "gig_unavailable")
    _nothing_written_for(customer, marketplace)


def test_an_agency_that_stopped_listing_after_indexing_takes_no_bookings(
    acme, book, customer, listed, teacher, weekly, gig_factory
):
    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    _, profile = teacher(acme)
    weekly(profile, london(2, 10).weekday(), "08:00", "20:00")
    listing = listed(gig_factory(profile))
    type(acme).objects.filter(pk=acme.pk).update(marketplace_listed=False)

    with pytest.raises(ApplicationError) as error:
        book(listing=listing)
    assert error.value.code == "gig_unavailable"
    _nothing_written_for(customer, acme)


def test_a_gig_whose_tutor_left_cannot_be_booked(book, customer, freelancer, marketplace):
    Membership.objects.filter(pk=freelancer.pk).update(is_active=False)
    with pytest.raises(ApplicationError) as error:
        book()
    assert error.value.code == "gig_unavailable"
    _nothing_written_for(customer, marketplace)


# Slots -------------------------------------------------------------------------------------


def test_a_slot_taken_meanwhile_is_a_field_error_and_nothing_is_written(
    book, customer, marketplace
):
    someone = UserFactory(email="other@example.test")
    book(user=someone)
    with pytest.raises(ValidationError) as error:
        book(student=_kit(10))
    assert "starts_at" in _fields(error)
    _nothing_written_for(customer, marketplace)
    with tenant_context(marketplace):
        assert StudentProfile.objects.count() == 1  # the other person's


def test_a_time_outside_the_tutors_availability_is_refused(book, customer, marketplace):
    with pytest.raises(ValidationError) as error:
        book(starts_at=london(2, 22))
    assert _fields(error) == {"starts_at"}
    _nothing_written_for(customer, marketplace)


# Packages ----------------------------------------------------------------------------------


def test_a_package_books_weekly_sessions_at_the_per_session_price(
    book, customer, marketplace, freelancer_profile, gig_factory, listed
):
    gig = gig_factory(freelancer_profile)
    with in_tenant_of(freelancer_profile):
        package = GigPackage.objects.create(gig=gig, sessions=4, price_minor=10002)
    listing = listed(gig)

    result = book(listing=listing, package_sessions=4)

    with tenant_context(marketplace):
        sessions = list(Session.objects.order_by("starts_at"))
        bookings = GigBooking.objects.filter(package=package)
        assert bookings.count() == 4
        assert {b.session_id for b in bookings} == {s.pk for s in sessions}
    # 10002 / 4 = 2500.5, rounded half up.
    assert {(s.price_minor, s.currency) for s in sessions} == {(2501, "GBP")}
    assert [s.starts_at.astimezone(LONDON) for s in sessions] == [
        london(2, 10) + dt.timedelta(weeks=n) for n in range(4)
    ]
    assert {s.series_id for s in sessions} != {None}
    assert [s.pk for s in result.sessions] == [s.pk for s in sessions]


def test_a_package_the_gig_does_not_offer_is_a_field_error(book, customer, marketplace):
    with pytest.raises(ValidationError) as error:
        book(package_sessions=5)
    assert error.value.message_dict == {
        "package_sessions": ["This gig has no packages: book a single session."]
    }
    _nothing_written_for(customer, marketplace)


# Agencies ----------------------------------------------------------------------------------


def test_an_agency_listed_gig_is_booked_in_the_agency_not_the_marketplace(
    acme, marketplace, book, customer, listed, teacher, weekly, gig_factory
):
    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    _, profile = teacher(acme)
    weekly(profile, london(2, 10).weekday(), "08:00", "20:00")
    listing = listed(gig_factory(profile, price_minor=4500))

    result = book(listing=listing)

    assert result.tenant == acme
    assert Membership.objects.get(user=customer).tenant == acme
    with tenant_context(acme):
        session = Session.objects.get()
        assert (session.tutor_id, session.price_minor) == (profile.pk, 4500)
        assert GigBooking.objects.count() == 1
    with tenant_context(marketplace):
        assert not Session.objects.exists()
        assert not StudentProfile.objects.exists()
    assert result.url.startswith(acme.absolute_url("/scheduling/sessions/"))


# Afterwards --------------------------------------------------------------------------------


def test_the_tutor_accepts_through_the_tenant_api_and_payment_opens_at_the_gig_price(
    book, customer, freelancer, marketplace, api_client, django_capture_on_commit_callbacks
):
    session = book().session

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(marketplace, freelancer.user).post(
            f"/api/v1/scheduling/sessions/{session.pk}/accept/"
        )

    assert response.status_code == 200, response.json()
    with tenant_context(marketplace):
        payment = Payment.objects.get(session_id=session.pk)
        assert (payment.amount_minor, payment.currency) == (3000, "GBP")
        assert payment.status == Payment.Status.AWAITING
        assert Session.objects.get(pk=session.pk).status == Session.Status.CONFIRMED


# Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": dt.datetime(2031, 1, 1, 10)}, "starts_at"),  # noqa: DTZ001 (naive)
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"package_sessions": "4"}, "package_sessions"),
        ({"message": 12}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"student": "me"}, "student.for"),
        ({"student": {"for": "friend"}}, "student.for"),
        ({"student": {"for": "me", "date_of_birth": "1 May 1990"}}, "student.date_of_birth"),
        ({"student": _kit(10, first_name="")}, "student.first_name"),
        ({"student": _kit(10, date_of_birth=None)}, "student.date_of_birth"),
        ({"student": _kit(10, consent="yes")}, "student.consent"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(
    book, customer, marketplace, changes, field
):
    with pytest.raises(ValidationError) as error:
        book(**changes)
    assert field in _fields(error)
    _nothing_written_for(customer, marketplace)


def test_a_time_in_the_past_is_refused(book, customer, marketplace):
    with pytest.raises(ValidationError) as error:
        book(starts_at=london(-1, 10))
    assert _fields(error) == {"starts_at"}
    _nothing_written_for(customer, marketplace)
