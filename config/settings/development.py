"""Local development: debug pages, the local outbox and port 8000 in generated links."""

from config.env import env_bool, env_str
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", default=True)
SITE_PORT = env_str("SITE_PORT", "8000")
OUTBOX_PAGE_ENABLED = env_bool("OUTBOX_PAGE_ENABLED", default=True)
# Meetings: rooms on the public Jitsi server. Its tokens are only enforced by a Jitsi with
# token authentication configured with this app id and secret (docs/architecture.md).
JITSI_APP_ID = env_str("JITSI_APP_ID", "educonnect-dev")
JITSI_APP_SECRET = env_str("JITSI_APP_SECRET", "development-only-jitsi-secret-0123456789abcdef")
