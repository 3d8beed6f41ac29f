"""Google Calendar: OAuth 2.0 for web server applications and Calendar API v3.

- Authorization: ``accounts.google.com/o/oauth2/v2/auth`` with ``access_type=offline`` and
  ``prompt=consent`` (so a refresh token is issued every time) and PKCE (S256); tokens
  from ``oauth2.googleapis.com/token``; revocation at ``oauth2.googleapis.com/revoke``.
- Scopes: ``calendar.events`` (write the sessions), ``calendar.freebusy`` (read when the
  user is busy, without reading their events), ``openid email`` (which account it is).
- Events: ``events.insert`` with a client-chosen id (base32hex, derived from the session
  and connection), so a retried insert answers 409 and is turned into a patch rather than a
  duplicate; ``events.patch``; ``events.delete``. Busy times: ``freebusy.query``.
"""

from __future__ import annotations

import base64
import datetime as dt
import zoneinfo
from urllib.parse import quote, urlencode

import jwt
import requests
from django.conf import settings

from scheduling.calendars.base import (
    BusyPeriod,
    CalendarAdapter,
    CalendarError,
    EventDetails,
    TokenGrant,
    expires_at,
    json_of,
)

__all__ = ["GoogleCalendar"]

SCOPE_EVENTS = "https://www.googleapis.com/auth/calendar.events"
SCOPE_FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
SCOPES = ("openid", "email", SCOPE_EVENTS, SCOPE_FREEBUSY)
# 403 reasons Google uses for quota and rate limits (its "Handle API errors" guide).
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)
GONE = (404, 410)


def event_id_for(key: str) -> str:
    """An event id Google accepts (base32hex: a-v and 0-9, 5 to 1024 characters)."""
    encoded = base64.b32hexencode(key.encode()).decode("ascii").rstrip("=").lower()
    return f"edu{encoded}"


def _rfc3339(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)


class GoogleCalendar(CalendarAdapter):
    provider = "google"
    required_scopes = frozenset({SCOPE_EVENTS, SCOPE_FREEBUSY})

    def client_id(self) -> str:
        return settings.GOOGLE_OAUTH_CLIENT_ID

    def client_secret(self) -> str:
        return settings.GOOGLE_OAUTH_CLIENT_SECRET

    # OAuth ---------------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id(),
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": " ".join(SCOPES),
                "access_type": "offline",
                "prompt": "consent",
                "include_granted_scopes": "true",
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{settings.GOOGLE_OAUTH_AUTHORIZE_URL}?{query}"

    def _token_request(self, data: dict, *, exchanging: bool) -> dict:
        response = self.send(
            "POST",
            settings.GOOGLE_OAUTH_TOKEN_URL,
            data={"client_id": self.client_id(), "client_secret": self.client_secret(), **data},
        )
        return self.raise_for_token_error(response, exchanging=exchanging)

    def code_exchange(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenGrant:
        body = self._token_request(
            {
                "code": code,
                "code_verifier": code_verifier,
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
            },
            exchanging=True,
        )
        return TokenGrant(
            access_token=body["access_token"],
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=expires_at(body.get("expires_in")),
            scope=str(body.get("scope") or ""),
            account_email=self._email_of(body.get("id_token")),
        )

    @staticmethod
    def _email_of(id_token) -> str:
        """The account's address from the ID token. It came straight from Google's token
        endpoint over TLS, so its signature need not be checked (Google's OpenID guide).
        """
        if not id_token:
            return ""
        try:
            claims = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return ""
        return str(claims.get("email") or "")[:254]

    def token_refresh(self, *, refresh_token: str) -> TokenGrant:
        body = self._token_request(
            {"refresh_token": refresh_token, "grant_type": "refresh_token"}, exchanging=False
        )
        return TokenGrant(
            access_token=body["access_token"],
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=expires_at(body.get("expires_in")),
            scope=str(body.get("scope") or ""),
        )

    def token_revoke(self, *, token: str) -> bool:
        response = self.send("POST", settings.GOOGLE_OAUTH_REVOKE_URL, data={"token": token})
        return response.status_code == 200

    # Events --------------------------------------------------------------------------------

    def _events_url(self, calendar_id: str, event_id: str = "") -> str:
        url = f"{settings.GOOGLE_CALENDAR_API_URL}/calendars/{quote(calendar_id, safe='')}/events"
        return f"{url}/{quote(event_id, safe='')}" if event_id else url

    @staticmethod
    def _body(event: EventDetails) -> dict:
        zone = zoneinfo.ZoneInfo(event.time_zone)
        return {
            "summary": event.title,
            "description": event.description,
            "start": {
                "dateTime": event.starts_at.astimezone(zone).isoformat(),
                "timeZone": event.time_zone,
            },
            "end": {
                "dateTime": event.ends_at.astimezone(zone).isoformat(),
                "timeZone": event.time_zone,
            },
            "status": "confirmed",
            "transparency": "opaque",
            "source": {"title": "EduConnect", "url": event.url},
            "extendedProperties": {"private": {"educonnectKey": event.key}},
        }

    def event_create(self, *, access_token: str, calendar_id: str, event: EventDetails) -> str:
        event_id = event_id_for(event.key)
        response = self.send(
            "POST",
            self._events_url(calendar_id),
            access_token=access_token,
            json={"id": event_id, **self._body(event)},
        )
        if response.status_code == 409:
            # The id exists: an earlier attempt got through, or the event was deleted and
            # lingers as cancelled. Patching it (status confirmed) restores either.
            return self.event_update(
                access_token=access_token, calendar_id=calendar_id, event_id=event_id, event=event
            )
        self.raise_for_status(response, ok=(200, 201))
        return str(json_of(response).get("id") or event_id)

    def event_update(
        self, *, access_token: str, calendar_id: str, event_id: str, event: EventDetails
    ) -> str:
        response = self.send(
            "PATCH",
            self._events_url(calendar_id, event_id),
            access_token=access_token,
            json=self._body(event),
        )
        if response.status_code in GONE:
            # Deleted for good: add it again under an id Google chooses.
            response = self.send(
                "POST",
                self._events_url(calendar_id),
                access_token=access_token,
                json=self._body(event),
            )
            self.raise_for_status(response, ok=(200, 201))
            return str(json_of(response)["id"])
        self.raise_for_status(response, ok=(200,))
        return event_id

    def event_delete(self, *, access_token: str, calendar_id: str, event_id: str) -> None:
        response = self.send(
            "DELETE", self._events_url(calendar_id, event_id), access_token=access_token
        )
        if response.status_code in GONE:
            return
        self.raise_for_status(response, ok=(200, 204))

    # Busy times ----------------------------------------------------------------------------

    def busy_times(
        self,
        *,
        access_token: str,
        calendar_id: str,
        start: dt.datetime,
        end: dt.datetime,
        ignore_event_ids: frozenset[str] = frozenset(),
    ) -> list[BusyPeriod]:
        # freebusy does not say which event made a period busy; the caller subtracts the
        # times of the events it pushed itself.
        response = self.send(
            "POST",
            f"{settings.GOOGLE_CALENDAR_API_URL}/freeBusy",
            access_token=access_token,
            json={
                "timeMin": _rfc3339(start),
                "timeMax": _rfc3339(end),
                "timeZone": "UTC",
                "items": [{"id": calendar_id}],
            },
        )
        self.raise_for_status(response, ok=(200,))
        calendars = json_of(response).get("calendars") or {}
        calendar = calendars.get(calendar_id)
        if calendar is None and len(calendars) == 1:
            calendar = next(iter(calendars.values()))
        if not isinstance(calendar, dict):
            raise CalendarError("Google Calendar did not answer for the calendar asked about.")
        if calendar.get("errors"):
            reasons = ", ".join(str(e.get("reason")) for e in calendar["errors"])
            raise CalendarError(f"Google Calendar could not read the busy times: {reasons}.")
        try:
            busy = calendar.get("busy") or []
            return [(_parse(item["start"]), _parse(item["end"])) for item in busy]
        except (KeyError, TypeError, ValueError) as error:
            raise CalendarError(
                "Google Calendar answered with busy times we cannot read."
            ) from error

    # Errors --------------------------------------------------------------------------------

    def is_rate_limit(self, response: requests.Response) -> bool:
        if response.status_code != 403:
            return False
        error = json_of(response).get("error")
        if not isinstance(error, dict):
            return False
        reasons = {str(item.get("reason")) for item in error.get("errors") or []}
        return bool(reasons & RATE_LIMIT_REASONS)
