"""Test runs: real PostgreSQL and Valkey, fast password hashing, emails in the outbox."""

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, REDIS_URL

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY  # noqa: F405
# Hashing cost is not under test; Argon2 at full strength would dominate the suite's time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
OUTBOX_PAGE_ENABLED = True

# Tests share the developer's Valkey; keys and queues get their own namespace.
for cache in CACHES.values():
    cache["KEY_PREFIX"] = "test-" + cache["KEY_PREFIX"]
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = "educonnect-test"
# Tasks run in-process unless a test starts a real worker (see tests/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
