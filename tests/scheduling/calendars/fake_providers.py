"""Google's and Microsoft's documented OAuth and calendar endpoints, served locally.

A small threaded HTTP server answers as the providers document: the authorization page
(which "consents" at once and redirects back with a code), the token endpoints
(authorization code with PKCE, refresh, revocation), Calendar API v3 events and freeBusy,
and Microsoft Graph ``/me``, ``/me/events`` and ``/me/calendarView``. It keeps what it was
sent, checks each request's shape (anything off is recorded in ``problems`` and answered
with a 400, and the test fixture fails the test), and can be told to fail a request once
(``fail``), to let access tokens expire, or to revoke a user's grant.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import zoneinfo
from typing import Any
from urllib.parse import urlencode

import jwt
from django.conf import settings

from tests.fake_http import FakeService, Recorded, Reply

GOOGLE_SCOPES = {
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
}
GRAPH = "https://graph.microsoft.com/"
BASE32HEX_ID = re.compile(r"^[a-v0-9]{5,1024}$")


def _rfc3339(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class FakeProviders(FakeService):
    def endpoints(self) -> dict[str, str]:
        """Settings that point the adapters here."""
        microsoft = f"{self.url}/microsoft/{{tenant}}/oauth2/v2.0"
        return {
            "GOOGLE_OAUTH_AUTHORIZE_URL": f"{self.url}/google/o/oauth2/v2/auth",
            "GOOGLE_OAUTH_TOKEN_URL": f"{self.url}/google/token",
            "GOOGLE_OAUTH_REVOKE_URL": f"{self.url}/google/revoke",
            "GOOGLE_CALENDAR_API_URL": f"{self.url}/google/calendar/v3",
            "MICROSOFT_OAUTH_AUTHORIZE_URL": f"{microsoft}/authorize",
            "MICROSOFT_OAUTH_TOKEN_URL": f"{microsoft}/token",
            "MICROSOFT_GRAPH_API_URL": f"{self.url}/graph/v1.0",
        }

    def reset(self) -> None:
        super().reset()
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.events: dict[str, dict[str, dict]] = {"google": {}, "microsoft": {}}
        self.deleted: dict[str, dict[str, dict]] = {"google": {}, "microsoft": {}}
        self.transactions: dict[str, str] = {}
        self.busy: dict[str, list[dict]] = {"google": [], "microsoft": []}
        self.consent = "allow"
        self.account_email = "person@example.test"
        self.granted_google_scopes = " ".join(["openid", "email", *sorted(GOOGLE_SCOPES)])
        self.page_size = 2

    # What tests set up -----------------------------------------------------------------------

    def tokens_issue(self, provider: str, email: str) -> tuple[str, str]:
        """An access and a refresh token as if ``email`` had consented already."""
        with self.lock:
            return self._issue(provider, email)

    def access_tokens_expire(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token["valid"] = False

    def grant_revoke(self, email: str) -> None:
        """The user removed the app's access at the provider."""
        with self.lock:
            for store in (self.access_tokens, self.refresh_tokens):
                for token in store.values():
                    if token["email"] == email:
                        token["valid"] = False

    def add_busy(self, provider: str, start: dt.datetime, end: dt.datetime, **extra) -> None:
        self.busy[provider].append({"start": start, "end": end, **extra})

    # Request handling ------------------------------------------------------------------------

    def _issue(self, provider: str, email: str) -> tuple[str, str]:
        access, refresh = f"at-{secrets.token_hex(8)}", f"rt-{secrets.token_hex(8)}"
        self.access_tokens[access] = {"provider": provider, "email": email, "valid": True}
        self.refresh_tokens[refresh] = {"provider": provider, "email": email, "valid": True}
        return access, refresh

    def _routes(self):
        google, graph = "/google/calendar/v3", "/graph/v1.0"
        return [
            (r"/google/o/oauth2/v2/auth", "GET", self.google_authorize),
            (r"/google/token", "POST", self.google_token),
            (r"/google/revoke", "POST", self.google_revoke),
            (rf"{google}/calendars/(?P<calendar>[^/]+)/events", "POST", self.google_insert),
            (
                rf"{google}/calendars/(?P<calendar>[^/]+)/events/(?P<event>[^/]+)",
                "PATCH",
                self.google_patch,
            ),
            (
                rf"{google}/calendars/(?P<calendar>[^/]+)/events/(?P<event>[^/]+)",
                "DELETE",
                self.google_delete,
            ),
            (rf"{google}/freeBusy", "POST", self.google_freebusy),
            (r"/microsoft/(?P<tenant>[^/]+)/oauth2/v2.0/authorize", "GET", self.ms_authorize),
            (r"/microsoft/(?P<tenant>[^/]+)/oauth2/v2.0/token", "POST", self.ms_token),
            (rf"{graph}/me", "GET", self.graph_me),
            (rf"{graph}/me/events", "POST", self.graph_create),
            (rf"{graph}/me/events/(?P<event>[^/]+)", "PATCH", self.graph_patch),
            (rf"{graph}/me/events/(?P<event>[^/]+)", "DELETE", self.graph_delete),
            (rf"{graph}/me/calendarView", "GET", self.graph_calendar_view),
        ]

    def problem_body(self, message: str, status: int) -> dict:
        return {"error": {"code": status, "message": message}}

    def _bearer(self, recorded: Recorded, provider: str) -> dict | None:
        header = recorded.headers.get("authorization", "")
        token = self.access_tokens.get(header.removeprefix("Bearer "))
        if not header.startswith("Bearer ") or token is None or not token["valid"]:
            return None
        if token["provider"] != provider:
            self.problems.append(f"a {token['provider']} token was sent to {provider}")
            return None
        return token

    # Google ----------------------------------------------------------------------------------

    def _authorize(self, recorded: Recorded, provider: str, expected: dict[str, str]) -> Reply:
        query = recorded.query
        for name, value in expected.items():
            if query.get(name) != value:
                return self._problem(f"{provider} authorize: {name}={query.get(name)!r}")
        for name in ("redirect_uri", "state", "code_challenge"):
            if not query.get(name):
                return self._problem(f"{provider} authorize: no {name}")
        scopes = set(query.get("scope", "").split())
        needed = (
            GOOGLE_SCOPES if provider == "google" else {"offline_access", "Calendars.ReadWrite"}
        )
        if not needed <= scopes:
            return self._problem(f"{provider} authorize: scopes {scopes}")
        answer = {"state": query["state"]}
        if self.consent == "deny":
            answer["error"] = "access_denied"
        else:
            code = f"code-{secrets.token_hex(8)}"
            self.codes[code] = {
                "provider": provider,
                "redirect_uri": query["redirect_uri"],
                "challenge": query["code_challenge"],
                "email": self.account_email,
            }
            answer["code"] = code
        location = f"{query['redirect_uri']}?{urlencode(answer)}"
        return Reply(302, None, {"Location": location})

    def google_authorize(self, recorded: Recorded) -> Reply:
        return self._authorize(
            recorded,
            "google",
            {
                "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
                "response_type": "code",
                "access_type": "offline",
                "prompt": "consent",
                "code_challenge_method": "S256",
            },
        )

    def _code_grant(self, form: dict, provider: str) -> dict | Reply:
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["provider"] != provider:
            return Reply(400, {"error": "invalid_grant", "error_description": "Bad code"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._problem(f"{provider} token: redirect_uri differs from the authorization")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if digest.rstrip(b"=").decode() != grant["challenge"]:
            return Reply(400, {"error": "invalid_grant", "error_description": "PKCE mismatch"})
        return grant

    def _client_ok(self, form: dict, provider: str) -> bool:
        if provider == "google":
            expected = (settings.GOOGLE_OAUTH_CLIENT_ID, settings.GOOGLE_OAUTH_CLIENT_SECRET)
        else:
            expected = (settings.MICROSOFT_OAUTH_CLIENT_ID, settings.MICROSOFT_OAUTH_CLIENT_SECRET)
        return (form.get("client_id"), form.get("client_secret")) == expected

    def google_token(self, recorded: Recorded) -> Reply:
        form = recorded.form
        if not self._client_ok(form, "google"):
            return Reply(401, {"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            grant = self._code_grant(form, "google")
            if isinstance(grant, Reply):
                return grant
            access, refresh = self._issue("google", grant["email"])
            id_token = jwt.encode({"email": grant["email"], "sub": "1"}, "k" * 32)
            return Reply(
                200,
                {
                    "access_token": access,
                    "expires_in": 3599,
                    "refresh_token": refresh,
                    "scope": self.granted_google_scopes,
                    "token_type": "Bearer",
                    "id_token": id_token,
                },
            )
        if form.get("grant_type") == "refresh_token":
            known = self.refresh_tokens.get(form.get("refresh_token", ""))
            if known is None or not known["valid"]:
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                )
            access, _ = self._issue("google", known["email"])
            return Reply(
                200,
                {
                    "access_token": access,
                    "expires_in": 3599,
                    "token_type": "Bearer",
                    "scope": self.granted_google_scopes,
                },
            )
        return self._problem(f"google token: grant_type {form.get('grant_type')!r}")

    def google_revoke(self, recorded: Recorded) -> Reply:
        token = recorded.form.get("token", "")
        known = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if known is None:
            return Reply(400, {"error": "invalid_token"})
        self.grant_revoke(known["email"])  # revoking either token ends the whole grant
        return Reply(200, {})

    def _google_event(self, body: Any) -> str | None:
        """What is wrong with an event resource, if anything."""
        if not isinstance(body, dict) or not isinstance(body.get("summary"), str):
            return "no summary"
        for end in ("start", "end"):
            value = body.get(end) or {}
            if _rfc3339(value.get("dateTime")) is None:
                return f"{end}.dateTime is not RFC 3339 with an offset"
            try:
                zoneinfo.ZoneInfo(value.get("timeZone", ""))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                return f"{end}.timeZone is not an IANA zone"
        if _rfc3339(body["end"]["dateTime"]) <= _rfc3339(body["start"]["dateTime"]):
            return "the event ends before it starts"
        return None

    def _google_unauthorized(self) -> Reply:
        return Reply(
            401,
            {
                "error": {
                    "code": 401,
                    "message": "Request had invalid authentication credentials.",
                    "status": "UNAUTHENTICATED",
                }
            },
        )

    def google_insert(self, recorded: Recorded, calendar: str) -> Reply:
        if self._bearer(recorded, "google") is None:
            return self._google_unauthorized()
        problem = self._google_event(recorded.json)
        if problem:
            return self._problem(f"google insert: {problem}")
        body = dict(recorded.json)
        event_id = body.get("id") or f"srv{next(self.ids):05d}"
        if not BASE32HEX_ID.match(event_id):
            return self._problem(f"google insert: id {event_id!r} is not base32hex")
        if event_id in self.events["google"] or event_id in self.deleted["google"]:
            return Reply(
                409,
                {
                    "error": {
                        "code": 409,
                        "message": "The requested identifier already exists.",
                        "errors": [{"domain": "global", "reason": "duplicate"}],
                    }
                },
            )
        event = {**body, "id": event_id, "status": "confirmed", "kind": "calendar#event"}
        self.events["google"][event_id] = event
        return Reply(200, event)

    def google_patch(self, recorded: Recorded, calendar: str, event: str) -> Reply:
        if self._bearer(recorded, "google") is None:
            return self._google_unauthorized()
        events = self.events["google"]
        if event not in events and event in self.deleted["google"]:
            if (recorded.json or {}).get("status") != "confirmed":
                return Reply(410, {"error": {"code": 410, "message": "Resource has been deleted"}})
            events[event] = self.deleted["google"].pop(event)
        if event not in events:
            return Reply(404, {"error": {"code": 404, "message": "Not Found"}})
        events[event] = {**events[event], **recorded.json}
        problem = self._google_event(events[event])
        if problem:
            return self._problem(f"google patch: {problem}")
        return Reply(200, events[event])

    def google_delete(self, recorded: Recorded, calendar: str, event: str) -> Reply:
        if self._bearer(recorded, "google") is None:
            return self._google_unauthorized()
        if event in self.deleted["google"]:
            return Reply(410, {"error": {"code": 410, "message": "Resource has been deleted"}})
        if event not in self.events["google"]:
            return Reply(404, {"error": {"code": 404, "message": "Not Found"}})
        self.deleted["google"][event] = self.events["google"].pop(event)
        return Reply(204)

    def google_freebusy(self, recorded: Recorded) -> Reply:
        if self._bearer(recorded, "google") is None:
            return self._google_unauthorized()
        body = recorded.json or {}
        low, high = _rfc3339(body.get("timeMin")), _rfc3339(body.get("timeMax"))
        items = body.get("items") or []
        if low is None or high is None or not items:
            return self._problem("google freeBusy: timeMin, timeMax and items are required")
        periods = [(b["start"], b["end"]) for b in self.busy["google"]]
        periods += [
            (_rfc3339(e["start"]["dateTime"]), _rfc3339(e["end"]["dateTime"]))
            for e in self.events["google"].values()
        ]
        busy = [
            {
                "start": s.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                "end": e.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            }
            for s, e in sorted(periods)
            if s < high and e > low
        ]
        calendars = {item["id"]: {"busy": busy} for item in items}
        return Reply(
            200,
            {
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": calendars,
            },
        )

    # Microsoft -------------------------------------------------------------------------------

    def ms_authorize(self, recorded: Recorded, tenant: str) -> Reply:
        return self._authorize(
            recorded,
            "microsoft",
            {
                "client_id": settings.MICROSOFT_OAUTH_CLIENT_ID,
                "response_type": "code",
                "response_mode": "query",
                "code_challenge_method": "S256",
            },
        )

    def ms_token(self, recorded: Recorded, tenant: str) -> Reply:
        form = recorded.form
        if not self._client_ok(form, "microsoft"):
            return Reply(401, {"error": "invalid_client"})
        if "Calendars.ReadWrite" not in form.get("scope", "").split():
            return self._problem("microsoft token: no scope")
        scope = f"{GRAPH}Calendars.ReadWrite {GRAPH}User.Read"
        if form.get("grant_type") == "authorization_code":
            grant = self._code_grant(form, "microsoft")
            if isinstance(grant, Reply):
                return grant
            email = grant["email"]
        elif form.get("grant_type") == "refresh_token":
            known = self.refresh_tokens.get(form.get("refresh_token", ""))
            if known is None or not known["valid"]:
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "AADSTS70000: The grant has expired or was revoked.",
                    },
                )
            email = known["email"]
        else:
            return self._problem(f"microsoft token: grant_type {form.get('grant_type')!r}")
        access, refresh = self._issue("microsoft", email)
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "scope": scope,
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": access,
                "refresh_token": refresh,
            },
        )

    def _graph_unauthorized(self) -> Reply:
        return Reply(
            401,
            {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token has expired or is not yet valid.",
                }
            },
        )

    def graph_me(self, recorded: Recorded) -> Reply:
        token = self._bearer(recorded, "microsoft")
        if token is None:
            return self._graph_unauthorized()
        return Reply(200, {"id": "42", "mail": None, "userPrincipalName": token["email"]})

    def _graph_event(self, body: Any) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("subject"), str):
            return "no subject"
        if (body.get("body") or {}).get("contentType") not in ("text", "html"):
            return "body.contentType must be text or html"
        times = []
        for end in ("start", "end"):
            value = body.get(end) or {}
            try:
                local = dt.datetime.fromisoformat(str(value.get("dateTime")))
                zone = zoneinfo.ZoneInfo(value.get("timeZone", ""))
            except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                return f"{end} is not a dateTimeTimeZone"
            if local.tzinfo is not None:
                return f"{end}.dateTime carries an offset (Graph wants wall-clock time)"
            times.append(local.replace(tzinfo=zone))
        if times[1] <= times[0]:
            return "the event ends before it starts"
        return None

    def graph_create(self, recorded: Recorded) -> Reply:
        if self._bearer(recorded, "microsoft") is None:
            return self._graph_unauthorized()
        problem = self._graph_event(recorded.json)
        if problem:
            return self._problem(f"graph create: {problem}")
        transaction = recorded.json.get("transactionId")
        if transaction in self.transactions:
            existing = self.transactions[transaction]
            return Reply(201, self.events["microsoft"].get(existing, {"id": existing}))
        event_id = f"AAMk{next(self.ids)}"
        event = {**recorded.json, "id": event_id}
        self.events["microsoft"][event_id] = event
        if transaction:
            self.transactions[transaction] = event_id
        return Reply(201, event)

    def graph_patch(self, recorded: Recorded, event: str) -> Reply:
        if self._bearer(recorded, "microsoft") is None:
            return self._graph_unauthorized()
        if event not in self.events["microsoft"]:
            return Reply(
                404,
                {
                    "error": {
                        "code": "ErrorItemNotFound",
                        "message": "The specified object was not found in the store.",
                    }
                },
            )
        merged = {**self.events["microsoft"][event], **recorded.json}
        problem = self._graph_event(merged)
        if problem:
            return self._problem(f"graph patch: {problem}")
        self.events["microsoft"][event] = merged
        return Reply(200, merged)

    def graph_delete(self, recorded: Recorded, event: str) -> Reply:
        if self._bearer(recorded, "microsoft") is None:
            return self._graph_unauthorized()
        if event not in self.events["microsoft"]:
            return Reply(
                404,
                {
                    "error": {
                        "code": "ErrorItemNotFound",
                        "message": "The specified object was not found in the store.",
                    }
                },
            )
        self.deleted["microsoft"][event] = self.events["microsoft"].pop(event)
        return Reply(204)

    def graph_calendar_view(self, recorded: Recorded) -> Reply:
        if self._bearer(recorded, "microsoft") is None:
            return self._graph_unauthorized()
        query = recorded.query
        low, high = _rfc3339(query.get("startDateTime")), _rfc3339(query.get("endDateTime"))
        if low is None or high is None:
            return self._problem("graph calendarView: startDateTime and endDateTime are required")
        items = [
            {
                "id": b.get("id") or f"busy{i}",
                "showAs": b.get("showAs", "busy"),
                "isCancelled": b.get("isCancelled", False),
                "start": {
                    "dateTime": b["start"].astimezone(dt.UTC).replace(tzinfo=None).isoformat()
                    + ".0000000",
                    "timeZone": "UTC",
                },
                "end": {
                    "dateTime": b["end"].astimezone(dt.UTC).replace(tzinfo=None).isoformat()
                    + ".0000000",
                    "timeZone": "UTC",
                },
                "_start": b["start"],
                "_end": b["end"],
            }
            for i, b in enumerate(self.busy["microsoft"])
        ]
        for event_id, event in self.events["microsoft"].items():
            start = dt.datetime.fromisoformat(event["start"]["dateTime"]).replace(
                tzinfo=zoneinfo.ZoneInfo(event["start"]["timeZone"])
            )
            end = dt.datetime.fromisoformat(event["end"]["dateTime"]).replace(
                tzinfo=zoneinfo.ZoneInfo(event["end"]["timeZone"])
            )
            items.append(
                {
                    "id": event_id,
                    "showAs": "busy",
                    "isCancelled": False,
                    "start": {
                        "dateTime": start.astimezone(dt.UTC).replace(tzinfo=None).isoformat(),
                        "timeZone": "UTC",
                    },
                    "end": {
                        "dateTime": end.astimezone(dt.UTC).replace(tzinfo=None).isoformat(),
                        "timeZone": "UTC",
                    },
                    "_start": start,
                    "_end": end,
                }
            )
        items = [i for i in items if i["_start"] < high and i["_end"] > low]
        items.sort(key=lambda i: i["_start"])
        for item in items:
            del item["_start"], item["_end"]
        skip = int(query.get("$skip", "0"))
        page = items[skip : skip + self.page_size]
        body: dict[str, Any] = {"value": page}
        if skip + self.page_size < len(items):
            following = {
                "startDateTime": query["startDateTime"],
                "endDateTime": query["endDateTime"],
                "$skip": skip + self.page_size,
            }
            body["@odata.nextLink"] = (
                f"{self.url}/graph/v1.0/me/calendarView?{urlencode(following)}"
            )
        return Reply(200, body)
