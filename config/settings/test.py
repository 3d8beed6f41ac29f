"""Test runs: real PostgreSQL and Valkey, fast password hashing, emails in the outbox."""

import os
import tempfile

from config.env import env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, DATABASES, MEETING_PROVIDERS, REDIS_URL, SIMPLE_JWT

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY
# Hashing cost is not under test; Argon2 at full strength would dominate the suite's time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
OUTBOX_PAGE_ENABLED = True

# Tests may share a developer's Valkey: they use their own database number, which the
# suite flushes between tests, and their own queue.
# Parallel runs (pytest-xdist) give each worker a database number of its own, counting
# down: gw0 uses TEST_REDIS_DB, gw1 the one below. (pytest-django already suffixes the
# test database's name per worker.)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_WORKER_INDEX = int(_WORKER[2:]) if _WORKER.startswith("gw") else 0
TEST_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + f"/{env_int('TEST_REDIS_DB', 15) - _WORKER_INDEX}"
# Separate names let several test runs share one server without trampling each other.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_educonnect")}
# django-tenants wraps this backend: its flush cascades into the template schema.
ORIGINAL_BACKEND = "tests.postgresql_backend"
for cache in CACHES.values():
    cache["LOCATION"] = TEST_REDIS_URL
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = "educonnect-test"
# Tasks run in-process unless a test starts a real worker (see tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Serve static files straight from the apps (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Uploads of a test run go to a scratch directory of its own.
PROTECTED_MEDIA_ROOT = tempfile.mkdtemp(prefix="educonnect-protected-")
# Calendar sync: both providers are offered; their endpoints point at a closed local port
# until a test starts the fake providers (tests/scheduling/calendars/fake_providers.py),
# so nothing ever reaches Google or Microsoft.
GOOGLE_OAUTH_CLIENT_ID = "test-google-client.apps.example"
GOOGLE_OAUTH_CLIENT_SECRET = "test-google-secret"  # noqa: S105
GOOGLE_OAUTH_AUTHORIZE_URL = "http://127.0.0.1:9/google/o/oauth2/v2/auth"
GOOGLE_OAUTH_TOKEN_URL = "http://127.0.0.1:9/google/token"  # noqa: S105
GOOGLE_OAUTH_REVOKE_URL = "http://127.0.0.1:9/google/revoke"
GOOGLE_CALENDAR_API_URL = "http://127.0.0.1:9/google/calendar/v3"
MICROSOFT_OAUTH_CLIENT_ID = "00000000-0000-0000-0000-00000000c0de"
MICROSOFT_OAUTH_CLIENT_SECRET = "test-microsoft-secret"  # noqa: S105
MICROSOFT_OAUTH_AUTHORIZE_URL = "http://127.0.0.1:9/microsoft/{tenant}/oauth2/v2.0/authorize"
MICROSOFT_OAUTH_TOKEN_URL = "http://127.0.0.1:9/microsoft/{tenant}/oauth2/v2.0/token"  # noqa: S105
MICROSOFT_GRAPH_API_URL = "http://127.0.0.1:9/graph/v1.0"
CALENDAR_HTTP_TIMEOUT = 5
# Meetings: a fake provider exists for tests only (tests/meetings/fake_provider.py). Jitsi
# tokens are signed with a test secret; Zoom's endpoints point at a closed local port until
# a test starts the fake Zoom (tests/meetings/zoom/fake_zoom.py).
MEETING_PROVIDERS = {**MEETING_PROVIDERS, "fake": "tests.meetings.fake_provider.FakeProvider"}
JITSI_DOMAIN = "meet.example.test"
JITSI_APP_ID = "educonnect-test"
JITSI_APP_SECRET = "test-jitsi-secret-0123456789abcdef0123456789"  # noqa: S105
JITSI_EVENTS_TOKEN = "test-jitsi-events-token"  # noqa: S105
ZOOM_ACCOUNT_ID = "test-zoom-account"
ZOOM_CLIENT_ID = "test-zoom-s2s-client"
ZOOM_CLIENT_SECRET = "test-zoom-s2s-secret"  # noqa: S105
ZOOM_HOST_USER = "host@zoom.example.test"
ZOOM_OAUTH_CLIENT_ID = "test-zoom-oauth-client"
ZOOM_OAUTH_CLIENT_SECRET = "test-zoom-oauth-secret"  # noqa: S105
ZOOM_WEBHOOK_SECRET_TOKEN = "test-zoom-webhook-secret"  # noqa: S105
ZOOM_OAUTH_URL = "http://127.0.0.1:9/zoom/oauth"
ZOOM_API_URL = "http://127.0.0.1:9/zoom/v2"
MEETING_HTTP_TIMEOUT = 5
