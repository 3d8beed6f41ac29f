"""Zoom's documented OAuth and REST endpoints, served locally for the adapter's tests.

A small threaded HTTP server answers as Zoom documents: the authorization page (which
"consents" at once and redirects back with a code), the token endpoint (HTTP Basic client
authentication; ``account_credentials`` for the platform's Server-to-Server app;
``authorization_code`` with the PKCE verifier checked; ``refresh_token`` rotating the
refresh token, so a used or revoked one answers ``invalid_grant``), revocation,
``GET /users/me``, and meetings: create, list (agenda cut to 250 characters, paged by
``next_page_token``), get (a fresh ``start_url`` each time), patch and delete (204; 404
with code 3001 once gone).

It keeps every request (``requests``, ``calls``), checks each one's shape (anything off is
recorded in ``problems`` and answered 400; the fixture then fails the test), makes sure a
meeting is only touched with credentials of its own host, and can be told to fail a
request once (``fail``: a 401, a 429 with ``Retry-After``, a 500), to let access tokens
expire, to revoke a user's grant, or to create a meeting and answer too late
(``slow_next_create``, for the client's timeout) or to answer a token request slowly
(``slow_next_token``, so two workers refresh at the same time).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

from tests.fake_http import FakeService, Recorded, Reply

START_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PASSCODE = re.compile(r"^[a-zA-Z0-9@\-_*]{1,10}$")
PLATFORM_HOST_ID = "platform-host-user"
DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)


@dataclass
class ZoomUser:
    id: str
    email: str
    account_id: str
    first_name: str = "Zoe"
    last_name: str = "Zoom"


def _basic(recorded: Recorded) -> tuple[str, str] | None:
    header = recorded.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        client, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeError):
        return None
    return client, secret


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeZoom(FakeService):
    unquote_paths = True
    json_content_type = "application/json;charset=UTF-8"

    def __init__(self) -> None:
        super().__init__(first_id=85_000_000_001)

    def endpoints(self) -> dict[str, str]:
        """Settings that point the adapter here."""
        return {"ZOOM_OAUTH_URL": f"{self.url}/zoom/oauth", "ZOOM_API_URL": f"{self.url}/zoom/v2"}

    def reset(self) -> None:
        super().reset()
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.meetings: dict[str, dict] = {}
        self.deleted: dict[str, dict] = {}
        self.writes: dict[str, int] = {}
        self.slow_creates: list[float] = []
        self.slow_tokens: list[float] = []
        self.consent = "allow"
        self.daily_limit = 100
        self.page_size: int | None = None
        # The apps registered with this Zoom (what the platform's settings say at reset).
        self.s2s_client = (settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET)
        self.oauth_client = (settings.ZOOM_OAUTH_CLIENT_ID, settings.ZOOM_OAUTH_CLIENT_SECRET)
        self.account_id = settings.ZOOM_ACCOUNT_ID
        self.users: dict[str, ZoomUser] = {}
        self.platform_host = self.user_add(
            ZoomUser(PLATFORM_HOST_ID, settings.ZOOM_HOST_USER, settings.ZOOM_ACCOUNT_ID)
        )
        # Who consents on the authorization page.
        self.consenting = self.user_add(
            ZoomUser("zu-agency-owner", "zoom-owner@agency.example", "agency-account")
        )

    # What tests set up -----------------------------------------------------------------------

    def user_add(self, user: ZoomUser) -> ZoomUser:
        self.users[user.id] = user
        return user

    def fault_body(self, status: int) -> dict:
        return {"code": status, "message": f"Failure {status} as scripted."}

    def slow_next_create(self, seconds: float) -> None:
        """The next meeting create happens, but its answer comes ``seconds`` late."""
        self.slow_creates.append(seconds)

    def slow_next_token(self, seconds: float) -> None:
        """The token endpoint's next answer comes ``seconds`` late (a refresh in flight)."""
        self.slow_tokens.append(seconds)

    def tokens_issue(self, user: ZoomUser, *, expires_in: int = 3599) -> tuple[str, str]:
        """An access and a refresh token as if ``user`` had consented already."""
        with self.lock:
            return self._issue_user_tokens(user, grant=secrets.token_hex(4), expires_in=expires_in)

    def access_tokens_expire(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token["valid"] = False

    def grant_revoke(self, user: ZoomUser) -> None:
        """The user removed the app at Zoom: every token of theirs stops working."""
        with self.lock:
            for store in (self.access_tokens, self.refresh_tokens):
                for token in store.values():
                    if token.get("user_id") == user.id:
                        token["valid"] = False

    def meetings_of(self, user: ZoomUser) -> list[dict]:
        return [m for m in self.meetings.values() if m["host_id"] == user.id]

    # Request handling ------------------------------------------------------------------------

    def _routes(self):
        api = "/zoom/v2"
        return [
            (r"/zoom/oauth/authorize", "GET", self.authorize),
            (r"/zoom/oauth/token", "POST", self.token),
            (r"/zoom/oauth/revoke", "POST", self.revoke),
            (rf"{api}/users/me", "GET", self.user_me),
            (rf"{api}/users/(?P<user>[^/]+)/meetings", "POST", self.meeting_create),
            (rf"{api}/users/(?P<user>[^/]+)/meetings", "GET", self.meeting_list),
            (rf"{api}/meetings/(?P<meeting>[^/]+)", "GET", self.meeting_get),
            (rf"{api}/meetings/(?P<meeting>[^/]+)", "PATCH", self.meeting_patch),
            (rf"{api}/meetings/(?P<meeting>[^/]+)", "DELETE", self.meeting_delete),
        ]

    def problem_body(self, message: str, status: int) -> dict:
        return {"code": 300, "message": message}

    # OAuth -----------------------------------------------------------------------------------

    def _issue_user_tokens(self, user: ZoomUser, *, grant: str, expires_in: int = 3599):
        access, refresh = f"zat-{secrets.token_hex(8)}", f"zrt-{secrets.token_hex(8)}"
        self.access_tokens[access] = {
            "kind": "user",
            "user_id": user.id,
            "account_id": user.account_id,
            "grant": grant,
            "valid": True,
        }
        self.refresh_tokens[refresh] = {"user_id": user.id, "grant": grant, "valid": True}
        return access, refresh

    def _user_tokens_reply(self, access: str, refresh: str) -> Reply:
        return Reply(
            200,
            {
                "access_token": access,
                "token_type": "bearer",
                "refresh_token": refresh,
                "expires_in": 3599,
                "scope": "meeting:read:meeting meeting:write:meeting meeting:update:meeting "
                "meeting:delete:meeting meeting:read:list_meetings user:read:user",
                "api_url": "https://api.zoom.us",
            },
        )

    def authorize(self, recorded: Recorded) -> Reply:
        query = recorded.query
        expected = {
            "response_type": "code",
            "client_id": self.oauth_client[0],
            "code_challenge_method": "S256",
        }
        for name, value in expected.items():
            if query.get(name) != value:
                return self._problem(f"authorize: {name}={query.get(name)!r}")
        for name in ("redirect_uri", "state", "code_challenge"):
            if not query.get(name):
                return self._problem(f"authorize: no {name}")
        answer = {"state": query["state"]}
        if self.consent == "deny":
            answer["error"] = "access_denied"
        else:
            code = f"zcode-{secrets.token_hex(8)}"
            self.codes[code] = {
                "redirect_uri": query["redirect_uri"],
                "challenge": query["code_challenge"],
                "user": self.consenting,
            }
            answer["code"] = code
        return Reply(302, None, {"Location": f"{query['redirect_uri']}?{urlencode(answer)}"})

    @staticmethod
    def _invalid_client() -> Reply:
        return Reply(
            401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        )

    def token(self, recorded: Recorded) -> Reply:
        reply = self._token(recorded)
        reply.delay = self.slow_tokens.pop(0) if self.slow_tokens else 0
        return reply

    def _token(self, recorded: Recorded) -> Reply:
        client = _basic(recorded)
        grant_type = recorded.form.get("grant_type")
        if grant_type == "account_credentials":
            if client != self.s2s_client:
                return self._invalid_client()
            return self._account_token(recorded.form)
        if client != self.oauth_client:
            return self._invalid_client()
        if grant_type == "authorization_code":
            return self._code_token(recorded.form)
        if grant_type == "refresh_token":
            return self._refreshed_token(recorded.form)
        return self._problem(f"token: grant_type {grant_type!r}")

    def _account_token(self, form: dict) -> Reply:
        if form.get("account_id") != self.account_id:
            return Reply(400, {"reason": "Invalid account_id", "error": "invalid_request"})
        access = f"zs2s-{secrets.token_hex(8)}"
        self.access_tokens[access] = {
            "kind": "account",
            "account_id": self.account_id,
            "valid": True,
        }
        return Reply(
            200,
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": 3599,
                "scope": "meeting:write:meeting:admin meeting:read:meeting:admin",
                "api_url": "https://api.zoom.us",
            },
        )

    def _code_token(self, form: dict) -> Reply:
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None:
            return Reply(400, {"reason": "Invalid authorization code", "error": "invalid_grant"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._problem("token: redirect_uri differs from the authorization")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if digest.rstrip(b"=").decode() != grant["challenge"]:
            return Reply(400, {"reason": "Invalid code_verifier", "error": "invalid_grant"})
        access, refresh = self._issue_user_tokens(grant["user"], grant=secrets.token_hex(4))
        return self._user_tokens_reply(access, refresh)

    def _refreshed_token(self, form: dict) -> Reply:
        known = self.refresh_tokens.get(form.get("refresh_token", ""))
        if known is None or not known["valid"]:
            return Reply(400, {"reason": "Invalid Token!", "error": "invalid_grant"})
        known["valid"] = False  # rotation: a refresh token works once
        user = self.users[known["user_id"]]
        access, refresh = self._issue_user_tokens(user, grant=known["grant"])
        return self._user_tokens_reply(access, refresh)

    def revoke(self, recorded: Recorded) -> Reply:
        if _basic(recorded) != self.oauth_client:
            return Reply(
                401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
            )
        token = recorded.form.get("token") or recorded.query.get("token", "")
        known = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if known is None or "grant" not in known:
            return Reply(400, {"reason": "Invalid Token!", "error": "invalid_request"})
        for store in (self.access_tokens, self.refresh_tokens):
            for other in store.values():
                if other.get("grant") == known["grant"]:
                    other["valid"] = False
        return Reply(200, {"status": "success"})

    # API -------------------------------------------------------------------------------------

    def _bearer(self, recorded: Recorded) -> dict | None:
        header = recorded.headers.get("authorization", "")
        token = self.access_tokens.get(header.removeprefix("Bearer "))
        if not header.startswith("Bearer ") or token is None or not token["valid"]:
            return None
        return token

    @staticmethod
    def _unauthorized() -> Reply:
        return Reply(401, {"code": 124, "message": "Invalid access token."})

    def _user_for(self, token: dict, user_id: str) -> ZoomUser | None:
        if token["kind"] == "user":
            if user_id != "me":
                self.problems.append(f"a user token addressed users/{user_id} instead of me")
                return None
            return self.users[token["user_id"]]
        return next(
            (
                u
                for u in self.users.values()
                if u.account_id == token["account_id"] and user_id in (u.id, u.email)
            ),
            None,
        )

    def _may_touch(self, token: dict, meeting: dict) -> bool:
        host = self.users[meeting["host_id"]]
        if token["kind"] == "user":
            allowed = token["user_id"] == host.id
        else:
            allowed = token["account_id"] == host.account_id
        if not allowed:
            self.problems.append(f"meeting {meeting['id']} touched with another account's token")
        return allowed

    def user_me(self, recorded: Recorded) -> Reply:
        token = self._bearer(recorded)
        if token is None:
            return self._unauthorized()
        if token["kind"] != "user":
            return self._problem("users/me with an account token")
        user = self.users[token["user_id"]]
        return Reply(
            200,
            {
                "id": user.id,
                "email": user.email,
                "account_id": user.account_id,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "type": 2,
                "status": "active",
            },
        )

    def _schedule_problem(self, body: dict, *, partial: bool) -> str | None:
        if not partial or "topic" in body:
            topic = body.get("topic")
            if not isinstance(topic, str) or not topic or len(topic) > 200:
                return "topic must be 1 to 200 characters"
        if (not partial or "start_time" in body) and not START_TIME.match(
            str(body.get("start_time"))
        ):
            return f"start_time {body.get('start_time')!r} is not yyyy-MM-ddTHH:mm:ssZ"
        if not partial or "duration" in body:
            duration = body.get("duration")
            if not isinstance(duration, int) or duration <= 0:
                return "duration must be a positive number of minutes"
        if not partial or "timezone" in body:
            try:
                zoneinfo.ZoneInfo(str(body.get("timezone")))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                return "timezone is not an IANA zone"
        return None

    def _daily_write(self, user: ZoomUser) -> Reply | None:
        count = self.writes.get(user.id, 0)
        if count >= self.daily_limit:
            return Reply(429, {"code": 429, "message": DAILY_LIMIT_MESSAGE})
        self.writes[user.id] = count + 1
        return None

    def _start_url(self, meeting: dict) -> str:
        return f"https://zoom.example.test/s/{meeting['id']}?zak={secrets.token_urlsafe(12)}"

    def _full(self, meeting: dict) -> dict:
        return {**meeting, "start_url": self._start_url(meeting)}

    def _create_problem(self, body: dict) -> str | None:
        problem = self._schedule_problem(body, partial=False)
        if problem:
            return problem
        if body.get("type") != 2:
            return f"type {body.get('type')!r} is not a scheduled meeting"
        if not PASSCODE.match(str(body.get("password", ""))):
            return f"password {body.get('password')!r} breaks Zoom's rules"
        if len(str(body.get("agenda", ""))) > 2000:
            return "agenda longer than 2000 characters"
        return None

    def meeting_create(self, recorded: Recorded, user: str) -> Reply:
        token = self._bearer(recorded)
        if token is None:
            return self._unauthorized()
        host = self._user_for(token, user)
        if host is None:
            return Reply(404, {"code": 1001, "message": f"User does not exist: {user}."})
        body = recorded.json if isinstance(recorded.json, dict) else {}
        problem = self._create_problem(body)
        if problem:
            return self._problem(f"create: {problem}")
        limited = self._daily_write(host)
        if limited:
            return limited
        meeting_id = next(self.ids)
        meeting = {
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "id": meeting_id,
            "host_id": host.id,
            "host_email": host.email,
            "topic": body["topic"],
            "type": 2,
            "status": "waiting",
            "start_time": body["start_time"],
            "duration": body["duration"],
            "timezone": body["timezone"],
            "agenda": body.get("agenda", ""),
            "created_at": _utc(dt.datetime.now(dt.UTC)),
            "password": body["password"],
            "join_url": f"https://zoom.example.test/j/{meeting_id}?pwd={secrets.token_urlsafe(16)}",
            "settings": dict(body.get("settings") or {}),
        }
        self.meetings[str(meeting_id)] = meeting
        delay = self.slow_creates.pop(0) if self.slow_creates else 0
        return Reply(201, self._full(meeting), delay=delay)

    def meeting_list(self, recorded: Recorded, user: str) -> Reply:
        token = self._bearer(recorded)
        if token is None:
            return self._unauthorized()
        host = self._user_for(token, user)
        if host is None:
            return Reply(404, {"code": 1001, "message": f"User does not exist: {user}."})
        query = recorded.query
        kinds = {"scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"}
        if query.get("type", "scheduled") not in kinds:
            return self._problem(f"list: type {query.get('type')!r}")
        size = int(query.get("page_size", "30"))
        if not 1 <= size <= 300:
            return self._problem(f"list: page_size {size}")
        size = self.page_size or size
        items = sorted(self.meetings_of(host), key=lambda m: (m["start_time"], m["id"]))
        for bound, keep in (("from", lambda d, b: d >= b), ("to", lambda d, b: d <= b)):
            if bound in query:
                limit = dt.date.fromisoformat(query[bound])
                items = [
                    m for m in items if keep(dt.date.fromisoformat(m["start_time"][:10]), limit)
                ]
        offset = int(query.get("next_page_token") or 0)
        page = items[offset : offset + size]
        following = str(offset + size) if offset + size < len(items) else ""
        listed = [
            {
                key: meeting[key]
                for key in (
                    "uuid",
                    "id",
                    "host_id",
                    "topic",
                    "type",
                    "start_time",
                    "duration",
                    "timezone",
                    "created_at",
                    "join_url",
                )
            }
            | {"agenda": meeting["agenda"][:250]}
            for meeting in page
        ]
        return Reply(
            200,
            {
                "page_size": size,
                "total_records": len(items),
                "next_page_token": following,
                "meetings": listed,
            },
        )

    def _meeting(self, recorded: Recorded, meeting_id: str) -> tuple[dict | None, Reply | None]:
        token = self._bearer(recorded)
        if token is None:
            return None, self._unauthorized()
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return None, Reply(
                404, {"code": 3001, "message": f"Meeting does not exist: {meeting_id}."}
            )
        if not self._may_touch(token, meeting):
            return None, Reply(404, {"code": 3001, "message": "Meeting does not exist."})
        return meeting, None

    def meeting_get(self, recorded: Recorded, meeting: str) -> Reply:
        found, refused = self._meeting(recorded, meeting)
        return refused or Reply(200, self._full(found))

    def meeting_patch(self, recorded: Recorded, meeting: str) -> Reply:
        found, refused = self._meeting(recorded, meeting)
        if refused:
            return refused
        body = recorded.json if isinstance(recorded.json, dict) else {}
        problem = self._schedule_problem(body, partial=True)
        if problem:
            return self._problem(f"patch: {problem}")
        limited = self._daily_write(self.users[found["host_id"]])
        if limited:
            return limited
        found.update(
            {
                k: v
                for k, v in body.items()
                if k in ("topic", "start_time", "duration", "timezone", "agenda")
            }
        )
        return Reply(204)

    def meeting_delete(self, recorded: Recorded, meeting: str) -> Reply:
        _, refused = self._meeting(recorded, meeting)
        if refused:
            return refused
        if recorded.query.get("schedule_for_reminder") != "false":
            return self._problem("delete: schedule_for_reminder should be false")
        self.deleted[meeting] = self.meetings.pop(meeting)
        return Reply(204)
