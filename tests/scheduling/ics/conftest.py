"""Feeds: issuing one through the API, fetching it like a calendar app, parsing it."""

from __future__ import annotations

import pytest
from icalendar import Calendar


def feed_path(url: str) -> str:
    """The path of an absolute feed URL (the test clients take paths)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def book(booked, tutor_profile, student_profile):
    """``book(start, **fields)`` → a session of Theo (``tutor``) with Sam (``student``)."""

    def make(starts_at, **fields):
        return booked(tutor_profile, student_profile, starts_at, **fields)

    return make


@pytest.fixture
def feed_of(api_client):
    """``feed_of(tenant, user)`` → the secret URL of a freshly issued feed."""

    def make(tenant, user) -> str:
        response = api_client(tenant, user).post("/api/v1/scheduling/calendar-feed/")
        assert response.status_code == 201, response.content
        return response.json()["url"]

    return make


@pytest.fixture
def fetch(web_client):
    """``fetch(tenant, url)`` → the response of a calendar app (no cookie) for the feed."""

    def get(tenant, url: str):
        return web_client(tenant).get(feed_path(url))

    return get


def parse(response) -> Calendar:
    assert response.status_code == 200, response.content
    return Calendar.from_ical(response.content)


def events(response) -> dict[str, object]:
    """The feed's VEVENTs by UID."""
    return {str(event["UID"]): event for event in parse(response).walk("VEVENT")}
