"""Microsoft Outlook: Microsoft identity platform (v2.0 endpoints) and Microsoft Graph v1.0.

- Authorization: ``login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize`` with PKCE
  (S256) and ``/token``; scopes ``offline_access`` (a refresh token), ``Calendars.ReadWrite``
  and ``User.Read`` (which account it is). Refresh tokens rotate: each refresh may return a
  new one, which replaces the old. The identity platform documents no endpoint revoking one
  app's grant, so disconnecting forgets the tokens (the user can remove the app from their
  account's "apps" page).
- Events: ``POST /me/events`` with a ``transactionId`` derived from the session and
  connection (Graph drops a retried duplicate), ``PATCH`` and ``DELETE /me/events/{id}``.
- Busy times: ``GET /me/calendarView`` (``getSchedule`` is not available to personal
  Microsoft accounts), all pages, times in UTC (``Prefer: outlook.timezone``); events shown
  as free or working elsewhere, cancelled ones and the platform's own are skipped.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from urllib.parse import quote, urlencode

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

__all__ = ["MicrosoftCalendar"]

SCOPES = ("offline_access", "Calendars.ReadWrite", "User.Read")
GRAPH_RESOURCE = "https://graph.microsoft.com/"
FREE = frozenset({"free", "workingelsewhere"})
MAX_PAGES = 50
_TRANSACTION_NAMESPACE = uuid.UUID("1b671a64-40d5-491e-99b0-da01ff1f3341")

# Graph accepts Windows zone names and these IANA names (its dateTimeTimeZone resource);
# a session in any other zone is sent in UTC, which Outlook shows in the user's own zone.
GRAPH_IANA_ZONES = frozenset(
    """
    Etc/GMT+12 Etc/GMT+11 Pacific/Honolulu America/Anchorage America/Santa_Isabel
    America/Los_Angeles America/Phoenix America/Chihuahua America/Denver America/Guatemala
    America/Chicago America/Mexico_City America/Regina America/Bogota America/New_York
    America/Indiana/Indianapolis America/Caracas America/Asuncion America/Halifax
    America/Cuiaba America/La_Paz America/Santiago America/St_Johns America/Sao_Paulo
    America/Argentina/Buenos_Aires America/Cayenne America/Godthab America/Montevideo
    America/Bahia Etc/GMT+2 Atlantic/Azores Atlantic/Cape_Verde Africa/Casablanca Etc/GMT
    Europe/London Atlantic/Reykjavik Europe/Berlin Europe/Budapest Europe/Paris Europe/Warsaw
    Africa/Lagos Africa/Windhoek Europe/Bucharest Asia/Beirut Africa/Cairo Asia/Damascus
    Africa/Johannesburg Europe/Kyiv Europe/Kiev Europe/Istanbul Asia/Jerusalem Asia/Amman
    Asia/Baghdad Europe/Kaliningrad Asia/Riyadh Africa/Nairobi Asia/Tehran Asia/Dubai
    Asia/Baku Europe/Moscow Indian/Mauritius Asia/Tbilisi Asia/Yerevan Asia/Kabul
    Asia/Karachi Asia/Tashkent Asia/Kolkata Asia/Colombo Asia/Kathmandu Asia/Almaty
    Asia/Dhaka Asia/Yekaterinburg Asia/Yangon Asia/Rangoon Asia/Bangkok Asia/Novosibirsk
    Asia/Shanghai Asia/Krasnoyarsk Asia/Singapore Australia/Perth Asia/Taipei
    Asia/Ulaanbaatar Asia/Irkutsk Asia/Tokyo Asia/Seoul Australia/Adelaide Australia/Darwin
    Australia/Brisbane Australia/Sydney Pacific/Port_Moresby Australia/Hobart Asia/Yakutsk
    Pacific/Guadalcanal Asia/Vladivostok Pacific/Auckland Etc/GMT-12 Pacific/Fiji
    Asia/Magadan Pacific/Tongatapu Pacific/Apia Pacific/Kiritimati UTC
    """.split()  # noqa: SIM905 (the list as documented, one zone per word)
)


def transaction_id_for(key: str) -> str:
    return str(uuid.uuid5(_TRANSACTION_NAMESPACE, key))


def _graph_time(instant: dt.datetime, zone_name: str) -> dict:
    """A dateTimeTimeZone: wall-clock time in a zone Graph knows (else UTC)."""
    if zone_name not in GRAPH_IANA_ZONES:
        zone_name = "UTC"
    local = instant.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)
    return {"dateTime": local.isoformat(timespec="seconds"), "timeZone": zone_name}


def _parse_graph_time(value: dict) -> dt.datetime:
    text = str(value["dateTime"])
    if "." in text:  # Graph sends seven fractional digits
        whole, fraction = text.split(".", 1)
        text = f"{whole}.{fraction[:6]}"
    instant = dt.datetime.fromisoformat(text)
    if instant.tzinfo is None:
        zone_name = value.get("timeZone") or "UTC"
        instant = instant.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))
    return instant.astimezone(dt.UTC)


def _iso_utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


class MicrosoftCalendar(CalendarAdapter):
    provider = "microsoft"
    required_scopes = frozenset({"Calendars.ReadWrite"})

    def client_id(self) -> str:
        return settings.MICROSOFT_OAUTH_CLIENT_ID

    def client_secret(self) -> str:
        return settings.MICROSOFT_OAUTH_CLIENT_SECRET

    @staticmethod
    def scope_name(scope: str) -> str:
        scope = scope.strip()
        if scope.lower().startswith(GRAPH_RESOURCE):
            scope = scope[len(GRAPH_RESOURCE) :]
        return scope.lower()

    @staticmethod
    def _endpoint(template: str) -> str:
        return template.format(tenant=quote(settings.MICROSOFT_OAUTH_TENANT, safe=""))

    # OAuth ---------------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id(),
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "response_mode": "query",
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
                "prompt": "select_account",
            }
        )
        return f"{self._endpoint(settings.MICROSOFT_OAUTH_AUTHORIZE_URL)}?{query}"

    def _token_request(self, data: dict, *, exchanging: bool) -> dict:
        response = self.send(
            "POST",
            self._endpoint(settings.MICROSOFT_OAUTH_TOKEN_URL),
            data={
                "client_id": self.client_id(),
                "client_secret": self.client_secret(),
                "scope": " ".join(SCOPES),
                **data,
            },
        )
        return self.raise_for_token_error(response, exchanging=exchanging)

    @staticmethod
    def _grant(body: dict, account_email: str = "") -> TokenGrant:
        return TokenGrant(
            access_token=body["access_token"],
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=expires_at(body.get("expires_in")),
            scope=str(body.get("scope") or ""),
            account_email=account_email,
        )

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
        return self._grant(body, self._email_of(body["access_token"]))

    def _email_of(self, access_token: str) -> str:
        response = self.send(
            "GET",
            f"{settings.MICROSOFT_GRAPH_API_URL}/me",
            access_token=access_token,
            params={"$select": "mail,userPrincipalName"},
        )
        self.raise_for_status(response, ok=(200,))
        me = json_of(response)
        return str(me.get("mail") or me.get("userPrincipalName") or "")[:254]

    def token_refresh(self, *, refresh_token: str) -> TokenGrant:
        body = self._token_request(
            {"refresh_token": refresh_token, "grant_type": "refresh_token"}, exchanging=False
        )
        return self._grant(body)

    # Events --------------------------------------------------------------------------------

    def _collection(self, calendar_id: str, name: str) -> str:
        base = settings.MICROSOFT_GRAPH_API_URL
        if calendar_id in ("", "primary"):
            return f"{base}/me/{name}"
        return f"{base}/me/calendars/{quote(calendar_id, safe='')}/{name}"

    def _event_url(self, event_id: str) -> str:
        return f"{settings.MICROSOFT_GRAPH_API_URL}/me/events/{quote(event_id, safe='')}"

    @staticmethod
    def _body(event: EventDetails) -> dict:
        return {
            "subject": event.title,
            "body": {"contentType": "text", "content": event.description},
            "start": _graph_time(event.starts_at, event.time_zone),
            "end": _graph_time(event.ends_at, event.time_zone),
            "showAs": "busy",
            "isReminderOn": True,
        }

    def _create(self, access_token: str, calendar_id: str, body: dict, transaction_id: str) -> str:
        response = self.send(
            "POST",
            self._collection(calendar_id, "events"),
            access_token=access_token,
            json={**body, "transactionId": transaction_id},
        )
        self.raise_for_status(response, ok=(200, 201))
        event_id = json_of(response).get("id")
        if not event_id:
            raise CalendarError("Outlook created the event but sent back no id.")
        return str(event_id)

    def event_create(self, *, access_token: str, calendar_id: str, event: EventDetails) -> str:
        return self._create(
            access_token, calendar_id, self._body(event), transaction_id_for(event.key)
        )

    def event_update(
        self, *, access_token: str, calendar_id: str, event_id: str, event: EventDetails
    ) -> str:
        body = self._body(event)
        response = self.send(
            "PATCH", self._event_url(event_id), access_token=access_token, json=body
        )
        if response.status_code == 404:
            # The user deleted it: add it again (a fresh transaction id, or Graph would take
            # it for a retry of the first create).
            return self._create(access_token, calendar_id, body, str(uuid.uuid4()))
        self.raise_for_status(response, ok=(200,))
        return event_id

    def event_delete(self, *, access_token: str, calendar_id: str, event_id: str) -> None:
        response = self.send("DELETE", self._event_url(event_id), access_token=access_token)
        if response.status_code in (404, 410):
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
        url = self._collection(calendar_id, "calendarView")
        params: dict | None = {
            "startDateTime": _iso_utc(start),
            "endDateTime": _iso_utc(end),
            "$select": "id,showAs,isCancelled,start,end",
            "$top": "250",
        }
        periods: list[BusyPeriod] = []
        for _page in range(MAX_PAGES):
            response = self.send(
                "GET",
                url,
                access_token=access_token,
                params=params,
                headers={"Prefer": 'outlook.timezone="UTC"'},
            )
            self.raise_for_status(response, ok=(200,))
            body = json_of(response)
            try:
                for item in body.get("value") or []:
                    if item.get("isCancelled") or item.get("id") in ignore_event_ids:
                        continue
                    if str(item.get("showAs") or "busy").lower() in FREE:
                        continue
                    periods.append(
                        (_parse_graph_time(item["start"]), _parse_graph_time(item["end"]))
                    )
            except (KeyError, TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError) as error:
                raise CalendarError("Outlook answered with events we cannot read.") from error
            next_link = body.get("@odata.nextLink")
            if not next_link:
                return periods
            # The token goes only to Graph itself, whatever a response might say.
            if not str(next_link).startswith(f"{settings.MICROSOFT_GRAPH_API_URL}/"):
                raise CalendarError("Outlook pointed the next page at another address.")
            url, params = str(next_link), None
        raise CalendarError("Outlook returned more pages of events than expected.")
