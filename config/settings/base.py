"""Settings shared by every environment. Values that vary come from :mod:`config.env`."""

from __future__ import annotations

from datetime import timedelta

from config.env import (
    ROOT_DIR,
    database_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_url,
)

BASE_DIR = ROOT_DIR
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "development-only-secret-key-change-me-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Tenancy ---------------------------------------------------------------------------------
# Agencies live at <slug>.<ROOT_DOMAIN>; the root domain itself serves the public schema.
ROOT_DOMAIN = env_str("ROOT_DOMAIN", "localhost")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [ROOT_DOMAIN, f".{ROOT_DOMAIN}"])
SITE_SCHEME = env_str("SITE_SCHEME", "http")
# Port appended to generated absolute links (development servers run on :8000).
SITE_PORT = env_str("SITE_PORT", "")
# How many reverse proxies of ours stand in front of Django (each appends to
# X-Forwarded-For); 0 means clients connect directly and REMOTE_ADDR is the address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

SHARED_APPS = [
    # `tenants` precedes django_tenants so its migrate_schemas (which also keeps the
    # template schema current) wins over the library's.
    "tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "audit",
    "connect",
    "listings",
    # Notifications live in both: account-level ones (verification, reset) in public,
    # everything that happens inside a tenant in that tenant's schema.
    "notifications",
    "web",
    "api",
    "demo",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "notifications",
    "crm",
    "scheduling",
    "meetings",
    "billing",
    "marketplace",
    "reporting",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New tenants are cloned from a migrated template schema instead of running every
# migration: provisioning stays well under a second however many apps we add.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
TENANT_RESERVED_SLUGS = {
    "www",
    "api",
    "admin",
    "public",
    "static",
    "media",
    "mail",
    "smtp",
    "app",
    "auth",
    "login",
    "signup",
    "console",
    "support",
    "help",
    "status",
    "docs",
    "blog",
    "dev",
    "staging",
    "test",
    "marketplace",
    "tenant-template",
    "tenant_template",
    "pg",
    "root",
    "billing",
    "payments",
    "webhooks",
    "assets",
    "cdn",
    "ftp",
    "ns1",
    "ns2",
    "localhost",
}
MARKETPLACE_TENANT_SLUG = "marketplace"

DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TenantMembershipMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "web.middleware.ApplicationErrorMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Identity --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "accounts.passwords.CharacterMixValidator"},
    {"NAME": "accounts.passwords.NotAnEmailAddressValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # a reset link is good for one hour
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3
INVITATION_MAX_AGE = timedelta(days=7)
LOGIN_HANDOFF_MAX_AGE = 60  # seconds a cross-host sign-in link stays valid

# Web sessions end after 30 minutes without a request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "EduConnect"

# Rate limits: (attempts, window in seconds) per client IP and per account. Web and API
# sign-in share the "login" counters, so both together allow five wrong passwords.
AUTH_RATE_LIMITS = {
    "login": {"ip": (20, 300), "account": (5, 900)},
    # A school network shares one IP: registration allows a classroom's worth per hour.
    "register": {"ip": (20, 3600), "account": (5, 3600)},
    "password_reset": {"ip": (5, 3600), "account": (3, 3600)},
    "otp": {"ip": (10, 300), "account": (5, 300)},
}

# Caches, broker, jobs --------------------------------------------------------------------
REDIS_URL = redis_url()
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the current tenant.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": "educonnect",
    },
    # Global counters (rate limits) that must not split per tenant host.
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "educonnect-rl",
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}

# Email -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "notifications.outbox.OutboxEmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "EduConnect <no-reply@educonnect.test>")
# The local outbox page (/dev/outbox/) shows emails stored by the outbox backend.
OUTBOX_PAGE_ENABLED = env_bool("OUTBOX_PAGE_ENABLED", default=False)

# Internationalisation and time ----------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = ROOT_DIR / "staticfiles"
STATICFILES_DIRS = [ROOT_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env_str("MEDIA_ROOT", str(ROOT_DIR / ".local" / "media"))
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
# Uploads people are trusted with (credentials, identity documents, students' work): kept
# outside MEDIA_ROOT and STATIC_ROOT, a folder per schema, served only by permission-checked
# views (crm/storage.py). Never give this directory a public URL.
PROTECTED_MEDIA_ROOT = env_str("PROTECTED_MEDIA_ROOT", str(ROOT_DIR / ".local" / "protected"))
# Uploads larger than this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TenantJWTAuthentication",
        "api.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/minute", "user": "1200/minute"},
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=24),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "EduConnect API",
    "DESCRIPTION": (
        "One API for agency portals, the freelance marketplace and the platform console. "
        "Call it on the host of the tenant you act in: tokens are bound to that tenant."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several choice sets share a field name ("status"); name each one explicitly.
    "ENUM_NAME_OVERRIDES": {
        "VerificationStatusEnum": "crm.models.VerificationStatus",
        "ReviewDecisionEnum": ["verified", "rejected"],
        "LearningGoalStatusEnum": "crm.models.LearningGoal.Status",
        "TutorStatusEnum": "crm.selectors.agency.TUTOR_STATUSES",
        "ParentLinkStatusEnum": ["linked", "invited"],
        "ConsentStatusEnum": ["not_required", "needed", "given"],
        "StudentStatusEnum": ["active", "archived"],
    },
}

# Calendar sync (scheduling.calendars): Google Calendar and Microsoft Outlook ------------
# OAuth tokens of connected calendars are stored encrypted with Fernet. The first key
# encrypts, every key decrypts: to rotate, put a new key first, run the
# calendar_tokens_rotate task, then drop the old key. Keys are comma-separated, each made
# by `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Empty: a key derived from SECRET_KEY (development and tests); `check --deploy` refuses
# that once a provider is configured.
CALENDAR_TOKEN_KEYS = env_list("CALENDAR_TOKEN_KEYS")
# A provider is offered only when its client id and secret are set. Register one redirect
# URI per provider, on the root domain: <scheme>://<ROOT_DOMAIN>/calendars/oauth/<provider>/callback/
GOOGLE_OAUTH_CLIENT_ID = env_str("GOOGLE_OAUTH_CLIENT_ID")
GOOGLE_OAUTH_CLIENT_SECRET = env_str("GOOGLE_OAUTH_CLIENT_SECRET")
GOOGLE_OAUTH_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_OAUTH_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
GOOGLE_OAUTH_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
GOOGLE_CALENDAR_API_URL = "https://www.googleapis.com/calendar/v3"
MICROSOFT_OAUTH_CLIENT_ID = env_str("MICROSOFT_OAUTH_CLIENT_ID")
MICROSOFT_OAUTH_CLIENT_SECRET = env_str("MICROSOFT_OAUTH_CLIENT_SECRET")
# "common" accepts work, school and personal Microsoft accounts.
MICROSOFT_OAUTH_TENANT = env_str("MICROSOFT_OAUTH_TENANT", "common")
MICROSOFT_OAUTH_AUTHORIZE_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
MICROSOFT_OAUTH_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"  # noqa: S105
MICROSOFT_GRAPH_API_URL = "https://graph.microsoft.com/v1.0"
CALENDAR_HTTP_TIMEOUT = 20  # seconds to wait for a provider's answer (5 to connect)
CALENDAR_OAUTH_STATE_MAX_AGE = 10 * 60  # seconds between "Connect" and the provider's answer
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    "CalendarProviderEnum": "scheduling.models.CalendarConnection.Provider",
    "CalendarConnectionStatusEnum": "scheduling.models.CalendarConnection.Status",
}
# Busy times of connected calendars are read again every 15 minutes in every tenant.
CELERY_BEAT_SCHEDULE["scheduling-calendar-busy-refresh"] = {
    "task": "scheduling.calendars.tasks.calendar_busy_dispatch",
    "schedule": 15 * 60,
}

# Scheduling -------------------------------------------------------------------------------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    "SessionStatusEnum": "scheduling.models.SessionStatus",
    "SessionChangeKindEnum": "scheduling.models.SessionChange.Kind",
    "SessionChangePartyEnum": "scheduling.models.SessionChange.Party",
    "AvailabilityExceptionKindEnum": "scheduling.models.AvailabilityException.Kind",
    "CredentialKindEnum": "crm.models.Credential.Kind",
}
# Unanswered booking requests expire; reminders go out 24 h and 1 h before each session.
CELERY_BEAT_SCHEDULE["scheduling-session-requests-expire"] = {
    "task": "scheduling.jobs_bookings.session_requests_expire_dispatch",
    "schedule": 5 * 60,
}
CELERY_BEAT_SCHEDULE["scheduling-session-reminders"] = {
    "task": "scheduling.jobs_reminders.session_reminders_dispatch",
    "schedule": 5 * 60,
    # A dispatch still queued when the next one is due is dropped, not run twice late.
    "options": {"expires": 4 * 60},
}
# Files of uploads whose transaction rolled back are removed once a day.
CELERY_BEAT_SCHEDULE["crm-documents-sweep"] = {
    "task": "crm.tasks.documents_sweep",
    "schedule": 24 * 60 * 60,
}

# Meetings: the video room of each session (meetings/) ------------------------------------
# Each tenant picks one of these (MeetingSettings.provider); "jitsi" is the default.
MEETING_PROVIDERS = {
    "jitsi": "meetings.providers.jitsi.JitsiProvider",
    "zoom": "meetings.providers.zoom.ZoomProvider",
}
MEETING_HTTP_TIMEOUT = 20  # seconds to wait for a provider's answer (5 to connect)
# Jitsi with token authentication (prosody's token plugin): the domain serving
# external_api.js and the rooms, and the app id/secret its prosody is configured with
# (app_id, app_secret). Tokens are HS256 JWTs signed with the secret.
JITSI_DOMAIN = env_str("JITSI_DOMAIN", "meet.jit.si")
JITSI_APP_ID = env_str("JITSI_APP_ID")
JITSI_APP_SECRET = env_str("JITSI_APP_SECRET")
# The token's "aud" (prosody: asap_accepted_audiences; "jitsi" unless changed there).
JITSI_AUDIENCE = env_str("JITSI_AUDIENCE", "jitsi")
JITSI_TOKEN_SUBJECT = env_str("JITSI_TOKEN_SUBJECT")  # the token's "sub"; empty: JITSI_DOMAIN
JITSI_EXTERNAL_API_URL = env_str("JITSI_EXTERNAL_API_URL")  # empty: JITSI_DOMAIN's external_api.js
JITSI_EVENTS_TOKEN = env_str("JITSI_EVENTS_TOKEN")  # Bearer of event_sync (api_headers); empty: off
# Zoom, the platform's account: a Server-to-Server OAuth app (account credentials grant),
# and the user meetings are made under when an agency has not connected its own Zoom.
ZOOM_ACCOUNT_ID = env_str("ZOOM_ACCOUNT_ID")
ZOOM_CLIENT_ID = env_str("ZOOM_CLIENT_ID")
ZOOM_CLIENT_SECRET = env_str("ZOOM_CLIENT_SECRET")
ZOOM_HOST_USER = env_str("ZOOM_HOST_USER")
# Zoom, agencies' own accounts: a user-managed OAuth app; register one redirect URI on
# the root domain: <scheme>://<ROOT_DOMAIN>/meetings/zoom/oauth/callback/
ZOOM_OAUTH_CLIENT_ID = env_str("ZOOM_OAUTH_CLIENT_ID")
ZOOM_OAUTH_CLIENT_SECRET = env_str("ZOOM_OAUTH_CLIENT_SECRET")
# The secret token of the app's event subscriptions (webhooks are signed with it);
# endpoint: <scheme>://<ROOT_DOMAIN>/meetings/zoom/webhook/
ZOOM_WEBHOOK_SECRET_TOKEN = env_str("ZOOM_WEBHOOK_SECRET_TOKEN")
ZOOM_OAUTH_URL = "https://zoom.us/oauth"
ZOOM_API_URL = "https://api.zoom.us/v2"
# Zoom allows 100 meeting creations or updates per user a day; we stop short of it.
ZOOM_DAILY_MEETING_WRITES = 100
# Join links go out 15 minutes before each class; classes both sides attended are
# confirmed automatically after the tenant's delay.
CELERY_BEAT_SCHEDULE["meetings-join-links"] = {
    "task": "meetings.jobs_join.join_links_dispatch",
    "schedule": 60,
    "options": {"expires": 50},
}
CELERY_BEAT_SCHEDULE["meetings-auto-confirm"] = {
    "task": "meetings.jobs_completion.completions_auto_confirm_dispatch",
    "schedule": 15 * 60,
    "options": {"expires": 14 * 60},
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    "MeetingStatusEnum": "meetings.models.MeetingStatus",
    "AttendanceRoleEnum": "meetings.models.AttendanceRole",
    "CompletionViaEnum": "meetings.models.SessionCompletion.Via",
}

# Logging: every line carries the tenant schema it was written in ----------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant_context": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "tenant": {
            "format": "%(asctime)s %(levelname)s [%(schema_name)s:%(domain_url)s] "
            "%(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["tenant_context"],
            "formatter": "tenant",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Each PDF would log its seven rendering steps; fonttools logs every subset.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # The Stripe library logs every request at INFO, with its URL.
        "stripe": {"level": "WARNING"},
    },
}

SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        send_default_pii=False,
    )

# Payments: Stripe Connect, separate charges and transfers (billing/, connect/) -----------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
# Endpoint secrets (whsec_…) of the platform's webhook endpoint and of its Connect
# endpoint (events on connected accounts); both post to
# <scheme>://<ROOT_DOMAIN>/billing/stripe/webhook/
STRIPE_WEBHOOK_SECRETS = env_list("STRIPE_WEBHOOK_SECRETS")
STRIPE_WEBHOOK_TOLERANCE = 300  # seconds, Stripe's default
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
# Stripe.js must be loaded from Stripe (PCI): the payment element runs in Stripe's frames.
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
STRIPE_NETWORK_RETRIES = 2
# Country of new Express accounts, and the platform's fee unless a tenant has its own.
STRIPE_CONNECT_COUNTRY = env_str("STRIPE_CONNECT_COUNTRY", "US")
PLATFORM_FEE_BASIS_POINTS = env_int("PLATFORM_FEE_BASIS_POINTS", 1000)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] |= {
    "InvoiceKindEnum": "billing.models.Invoice.Kind",
    "RefundKindEnum": "billing.models.Refund.Kind",
    "RefundStatusEnum": "billing.models.Refund.Status",
    "PaymentStatusEnum": "billing.models.Payment.Status",
    "PayeeEnum": "billing.models.Transfer.Recipient",
}
# Released earnings are paid out automatically once they are this old (the 24 to 48 hour promise).
PAYOUT_DELAY_HOURS = 24
CELERY_BEAT_SCHEDULE["billing-payouts"] = {
    "task": "billing.tasks.payouts_dispatch",
    "schedule": 60 * 60,
}
CELERY_BEAT_SCHEDULE["billing-retry"] = {
    "task": "billing.tasks.retry_dispatch",
    "schedule": 15 * 60,
}
CELERY_BEAT_SCHEDULE["connect-events-retry"] = {
    "task": "connect.tasks.events_retry",
    "schedule": 10 * 60,
}

# Marketplace listing index (listings/) ----------------------------------------------------
# Free windows are indexed this many days ahead (the search's availability filter).
LISTING_WINDOW_DAYS = 28
# Hourly, every listed tenant is refreshed: free windows age as time passes.
CELERY_BEAT_SCHEDULE["listings-refresh"] = {
    "task": "listings.tasks.listings_refresh_dispatch",
    "schedule": 60 * 60,
    "options": {"expires": 50 * 60},
}
