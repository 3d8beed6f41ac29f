"""The availability, slots and policy API: roles, tenants, bad input, viewers' zones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from scheduling.models import AvailabilityException, AvailabilityRule, TutorSchedule
from tests.access.conftest import error_code, field_errors
from tests.scheduling.availability.conftest import reads

pytestmark = pytest.mark.django_db

ME = "/api/v1/scheduling/availability/me/"
MY_EXCEPTIONS = "/api/v1/scheduling/availability/me/exceptions/"
POLICY = "/api/v1/scheduling/policy/"


def tutor_url(profile, what: str) -> str:
    return f"/api/v1/scheduling/tutors/{profile.pk}/{what}/"


def future(days: int) -> str:
    return (timezone.now().date() + dt.timedelta(days=days)).isoformat()


WEEK = {
    "rules": [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 6, "start_time": "18:00", "end_time": "24:00"},
    ]
}


# The tutor's own availability ----------------------------------------------------------------


def test_a_tutor_reads_and_replaces_their_availability(api_client, acme, tutor, tutor_profile):
    client = api_client(acme, tutor.user)
    body = client.get(ME).json()
    assert body["tutor_id"] == tutor_profile.pk
    assert (body["time_zone"], body["effective_time_zone"]) == ("", "Europe/London")
    assert body["rules"] == []
    assert body["free_cancellation_hours"] is None
    response = client.put(
        ME, {**WEEK, "buffer_minutes": 15, "free_cancellation_hours": 48}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["buffer_minutes"] == 15
    assert body["free_cancellation_hours"] == 48
    assert body["rules"] == WEEK["rules"]
    assert client.get(ME).json()["rules"] == WEEK["rules"]


def test_a_bulk_update_copies_windows_to_weekdays(api_client, acme, tutor):
    client = api_client(acme, tutor.user)
    client.put(ME, WEEK, format="json")
    response = client.put(
        ME,
        {"weekdays": [1, 2, 3, 4], "windows": [{"start_time": "09:00", "end_time": "12:00"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [rule["weekday"] for rule in response.json()["rules"]] == [0, 1, 2, 3, 4, 6]


def test_bad_availability_gets_field_errors(api_client, acme, tutor, tutor_profile):
    client = api_client(acme, tutor.user)
    overlapping = [
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
        {"weekday": 0, "start_time": "11:00", "end_time": "13:00"},
    ]
    response = client.put(
        ME,
        {"time_zone": "Nowhere/City", "slot_interval_minutes": 7, "buffer_minutes": 241},
        format="json",
    )
    assert set(field_errors(response)) == {"time_zone", "slot_interval_minutes", "buffer_minutes"}
    response = client.put(ME, {"time_zone": "Asia/Tokyo", "rules": overlapping}, format="json")
    assert "Monday: 09:00-12:00 overlaps 11:00-13:00." in field_errors(response)["rules"]
    response = client.put(ME, {"rules": [{"weekday": "Monday"}]}, format="json")
    assert "rules" in field_errors(response)
    with tenant_context(acme):
        assert not AvailabilityRule.objects.filter(tutor=tutor_profile).exists()


@pytest.mark.parametrize("role", ["owner", "staff", "student", "parent"])
def test_only_tutors_have_their_own_availability(api_client, acme, member, role):
    client = api_client(acme, member(acme, role).user)
    assert client.get(ME).status_code == 403
    assert client.put(ME, WEEK, format="json").status_code == 403
    assert client.get(MY_EXCEPTIONS).status_code == 403


def test_an_owner_of_another_tenant_is_refused_by_the_services(acme, globex, tutor_profile, member):
    from django.core.exceptions import PermissionDenied

    from scheduling.services import availability as services

    stranger = member(globex, "owner")
    with tenant_context(acme):
        with pytest.raises(PermissionDenied):
            services.tutor_schedule_update(actor=stranger, tutor=tutor_profile, buffer_minutes=5)
        with pytest.raises(PermissionDenied):
            services.scheduling_settings_update(actor=stranger, max_reschedules=9)


# Managers' view of a tutor -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_edit_any_tutors_availability(api_client, acme, member, tutor_profile, role):
    client = api_client(acme, member(acme, role).user)
    assert client.get(tutor_url(tutor_profile, "availability")).status_code == 200
    response = client.put(
        tutor_url(tutor_profile, "availability"),
        {**WEEK, "instant_booking": True, "time_zone": "America/New_York"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_time_zone"] == "America/New_York"
    with tenant_context(acme):
        assert TutorSchedule.objects.get(tutor=tutor_profile).instant_booking is True


def test_a_tutor_may_use_the_tutor_route_for_themself_only(
    api_client, acme, tutor, tutor_profile, teacher
):
    _, other = teacher(acme, email="other@acme.test")
    client = api_client(acme, tutor.user)
    assert client.get(tutor_url(tutor_profile, "availability")).status_code == 200
    response = client.put(tutor_url(other, "availability"), WEEK, format="json")
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert client.get(tutor_url(other, "exceptions")).status_code == 403


@pytest.mark.parametrize("role", ["staff", "student", "parent"])
def test_other_roles_cannot_see_or_change_a_tutors_availability(
    api_client, acme, member, tutor_profile, role
):
    client = api_client(acme, member(acme, role).user)
    assert client.get(tutor_url(tutor_profile, "availability")).status_code == 403
    assert (
        client.put(tutor_url(tutor_profile, "availability"), WEEK, format="json").status_code == 403
    )
    assert (
        client.post(
            tutor_url(tutor_profile, "exceptions"), {"start_date": future(1)}, format="json"
        ).status_code
        == 403
    )


def test_a_globex_owner_finds_no_acme_tutor(api_client, acme, globex, member, tutor_profile):
    with tenant_context(acme):
        exception = AvailabilityException.objects.create(
            tutor=tutor_profile,
            start_date=timezone.now().date(),
            end_date=timezone.now().date(),
        )
    client = api_client(globex, member(globex, "owner").user)
    for what in ("availability", "exceptions", "slots", "policy"):
        assert (
            client.get(
                tutor_url(tutor_profile, what), {"start": future(1), "end": future(2)}
            ).status_code
            == 404
        )
    assert (
        client.put(tutor_url(tutor_profile, "availability"), WEEK, format="json").status_code == 404
    )
    assert (
        client.delete(f"/api/v1/scheduling/availability/exceptions/{exception.pk}/").status_code
        == 404
    )
    with tenant_context(acme):
        assert AvailabilityException.objects.filter(pk=exception.pk).exists()
        assert not AvailabilityRule.objects.exists()


# Exceptions ----------------------------------------------------------------------------------


def test_exceptions_are_added_listed_and_removed(api_client, acme, tutor, tutor_profile, owner):
    client = api_client(acme, tutor.user)
    response = client.post(
        MY_EXCEPTIONS,
        {"start_date": future(5), "end_date": future(9), "reason": "Holiday"},
        format="json",
    )
    assert response.status_code == 201, response.content
    holiday = response.json()
    assert (holiday["kind"], holiday["start_time"], holiday["end_date"]) == (
        "unavailable",
        None,
        future(9),
    )
    response = client.post(
        MY_EXCEPTIONS,
        {"kind": "available", "start_date": future(2), "start_time": "18:00", "end_time": "24:00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["end_time"] == "24:00"
    with tenant_context(acme):
        AvailabilityException.objects.create(
            tutor=tutor_profile, start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2)
        )
    listed = client.get(MY_EXCEPTIONS).json()
    assert [item["start_date"] for item in listed["results"]] == [future(2), future(5)]
    manager = api_client(acme, owner.user)
    assert manager.get(tutor_url(tutor_profile, "exceptions")).json()["count"] == 2
    assert client.delete(f"{MY_EXCEPTIONS}{holiday['id']}/").status_code == 204
    extra = listed["results"][0]["id"]
    assert manager.delete(f"/api/v1/scheduling/availability/exceptions/{extra}/").status_code == 204
    assert client.get(MY_EXCEPTIONS).json()["count"] == 0


def test_a_tutor_cannot_remove_another_tutors_exception(api_client, acme, tutor, teacher):
    other_membership, _ = teacher(acme, email="other@acme.test")
    created = (
        api_client(acme, other_membership.user)
        .post(MY_EXCEPTIONS, {"start_date": future(1)}, format="json")
        .json()
    )
    client = api_client(acme, tutor.user)
    assert client.delete(f"{MY_EXCEPTIONS}{created['id']}/").status_code == 404
    assert (
        client.delete(f"/api/v1/scheduling/availability/exceptions/{created['id']}/").status_code
        == 404
    )
    with tenant_context(acme):
        assert AvailabilityException.objects.filter(pk=created["id"]).exists()


def test_bad_exceptions_get_field_errors(api_client, acme, tutor):
    client = api_client(acme, tutor.user)
    errors = field_errors(
        client.post(MY_EXCEPTIONS, {"kind": "sometimes", "start_date": "soon"}, format="json")
    )
    assert set(errors) == {"kind", "start_date"}
    errors = field_errors(
        client.post(
            MY_EXCEPTIONS,
            {"kind": "available", "start_date": future(1), "end_date": future(400)},
            format="json",
        )
    )
    assert set(errors) == {"end_date", "start_time"}


# The policy ----------------------------------------------------------------------------------


def test_every_member_reads_the_policy_and_managers_change_it(api_client, acme, owner, member):
    student = api_client(acme, member(acme, "student").user)
    assert student.get(POLICY).json()["free_cancellation_hours"] == 24
    assert student.patch(POLICY, {"max_reschedules": 9}, format="json").status_code == 403
    tutor = api_client(acme, member(acme, "tutor").user)
    assert tutor.patch(POLICY, {"max_reschedules": 9}, format="json").status_code == 403
    manager = api_client(acme, owner.user)
    response = manager.patch(POLICY, {"free_cancellation_hours": 48}, format="json")
    assert response.status_code == 200, response.content
    assert student.get(POLICY).json()["free_cancellation_hours"] == 48
    errors = field_errors(
        manager.patch(
            POLICY,
            {"request_expiry_hours": 400, "no_show_fee_percent": 101, "max_reschedules": "x"},
            format="json",
        )
    )
    assert set(errors) == {"request_expiry_hours", "no_show_fee_percent", "max_reschedules"}


def test_a_student_sees_the_policy_in_force_for_a_tutor(
    api_client, acme, owner, tutor_pair, student
):
    tutor, tutor_profile = tutor_pair
    api_client(acme, tutor.user).put(
        ME, {"late_cancellation_fee_percent": 25, "instant_booking": True}, format="json"
    )
    api_client(acme, owner.user).patch(POLICY, {"max_reschedules": 4}, format="json")
    body = api_client(acme, student.user).get(tutor_url(tutor_profile, "policy")).json()
    assert body["late_cancellation_fee_percent"] == 25
    assert body["no_show_fee_percent"] == 100
    assert body["max_reschedules"] == 4
    assert body["overridden"] == ["late_cancellation_fee_percent"]
    assert body["instant_booking"] is True
    assert body["time_zone"] == "Europe/London"


# Slots ---------------------------------------------------------------------------------------


@pytest.fixture
def london_mornings(acme, tutor, tutor_profile):
    """Daily 09:00-12:00 London, hourly, no notice: bookable around the 2027 spring change."""
    with tenant_context(acme):
        TutorSchedule.objects.update_or_create(
            tutor=tutor_profile,
            defaults={
                "minimum_notice_minutes": 0,
                "booking_horizon_days": 730,
                "slot_interval_minutes": 60,
            },
        )
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(
                tutor=tutor_profile, weekday=day, start_time=dt.time(9), end_time=dt.time(12)
            )
            for day in range(7)
        )
    return tutor_profile


def slots(client, profile, **query):
    response = client.get(tutor_url(profile, "slots"), query)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def frozen_now(monkeypatch):
    """Slots are computed as if it were 2027-03-01 (the dates below are then ahead)."""
    instant = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
    monkeypatch.setattr("scheduling.selectors.slots.timezone.now", lambda: instant)
    return instant


def test_slots_come_in_the_viewers_zone_the_same_instants_for_everyone(
    api_client, acme, london_mornings, student, frozen_now
):
    client = api_client(acme, student.user)
    tokyo = slots(client, london_mornings, start="2027-03-28", end="2027-03-29", tz="Asia/Tokyo")
    assert tokyo["time_zone"] == "Asia/Tokyo"
    # Tokyo's 28th-29th runs from London's 27th 15:00 GMT: Saturday's slots are before it.
    assert [s["starts_at"] for s in tokyo["slots"]] == [
        f"2027-03-{day}T{hour}:00:00+09:00" for day in ("28", "29") for hour in (17, 18, 19)
    ]
    new_york = slots(
        client, london_mornings, start="2027-03-27", end="2027-03-29", tz="America/New_York"
    )
    london = slots(
        client, london_mornings, start="2027-03-27", end="2027-03-29", tz="Europe/London"
    )
    assert [s["starts_at"] for s in london["slots"]] == [
        f"2027-03-{day}T{hour}:00:00{offset}"
        for day, offset in (("27", "+00:00"), ("28", "+01:00"), ("29", "+01:00"))
        for hour in ("09", "10", "11")
    ]
    assert [s["starts_at"] for s in new_york["slots"]] == [
        f"2027-03-{day}T{hour}:00:00-04:00"
        for day, hours in (
            ("27", ("05", "06", "07")),
            ("28", ("04", "05", "06")),
            ("29", ("04", "05", "06")),
        )
        for hour in hours
    ]
    assert london["slots"][0]["ends_at"] == "2027-03-27T10:00:00+00:00"


def test_the_viewers_account_zone_is_the_default(
    api_client, acme, member, london_mornings, frozen_now
):
    viewer = member(acme, "student", time_zone="Asia/Tokyo")
    body = slots(
        api_client(acme, viewer.user), london_mornings, start="2027-03-29", end="2027-03-29"
    )
    assert body["time_zone"] == "Asia/Tokyo"
    assert body["duration"] == 60
    assert body["slots"][0] == {
        "starts_at": "2027-03-29T17:00:00+09:00",
        "ends_at": "2027-03-29T18:00:00+09:00",
    }


def test_a_longer_duration_gives_fewer_slots(
    api_client, acme, london_mornings, student, frozen_now
):
    body = slots(
        api_client(acme, student.user),
        london_mornings,
        start="2027-03-29",
        end="2027-03-29",
        duration=120,
        tz="Europe/London",
    )
    assert [s["starts_at"][11:16] for s in body["slots"]] == ["09:00", "10:00"]


def test_bad_slot_queries_get_field_errors(api_client, acme, london_mornings, student):
    client = api_client(acme, student.user)
    url = tutor_url(london_mornings, "slots")
    errors = field_errors(client.get(url, {"start": "tomorrow", "tz": "Moon/Base", "duration": 50}))
    assert set(errors) == {"start", "end", "tz", "duration"}
    errors = field_errors(client.get(url, {"start": "2027-03-01", "end": "2027-05-02"}))
    assert set(errors) == {"end"}
    assert "62" in errors["end"][0]
    errors = field_errors(client.get(url, {"start": "2027-03-02", "end": "2027-03-01"}))
    assert set(errors) == {"end"}
    assert client.get(url, {"start": "2027-03-01", "end": "2027-05-01"}).status_code == 200


def test_slots_of_an_unknown_tutor_are_not_found(api_client, acme, student):
    client = api_client(acme, student.user)
    response = client.get(
        "/api/v1/scheduling/tutors/999999/slots/", {"start": future(1), "end": future(2)}
    )
    assert response.status_code == 404


@pytest.mark.usefixtures("frozen_now")
def test_the_slots_endpoint_reads_a_fixed_number_of_queries(
    api_client, acme, london_mornings, student_pair, booked
):
    student, student_profile = student_pair
    client = api_client(acme, student.user)
    query = {"start": "2027-03-01", "end": "2027-04-30", "tz": "UTC"}
    with reads() as few:
        client.get(tutor_url(london_mornings, "slots"), query)
    for day in range(1, 29):
        booked(london_mornings, student_profile, dt.datetime(2027, 4, day, 10, tzinfo=dt.UTC))
    with reads() as many:
        body = client.get(tutor_url(london_mornings, "slots"), query).json()
    assert len(many) == len(few)
    assert "2027-04-01T10:00:00+00:00" not in {s["starts_at"] for s in body["slots"]}
