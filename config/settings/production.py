"""Production: secrets and hosts must come from the environment; HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, uses_embedded_services
from config.settings.base import *  # noqa: F403
from config.settings.base import ROOT_DOMAIN

# Django's own check (security.W009) asks for at least 50 characters.
_SECRET_KEY_MIN_LENGTH = 50

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < _SECRET_KEY_MIN_LENGTH or SECRET_KEY.startswith("development-only"):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be set to a random value of {_SECRET_KEY_MIN_LENGTH}+ characters"
    )
# Without them the settings would point at the embedded development servers.
if uses_embedded_services():
    raise ImproperlyConfigured("DATABASE_URL and REDIS_URL must name the production servers")
if ROOT_DOMAIN in {"localhost", ""} or ROOT_DOMAIN.endswith(".localhost"):
    raise ImproperlyConfigured("ROOT_DOMAIN must name the platform's public domain")
SIMPLE_JWT["SIGNING_KEY"] = env_str("JWT_SIGNING_KEY") or SECRET_KEY  # noqa: F405
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [ROOT_DOMAIN, f".{ROOT_DOMAIN}"])
SITE_SCHEME = "https"
SITE_PORT = ""
OUTBOX_PAGE_ENABLED = False
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)  # nginx (deploy/nginx.conf)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [f"https://{ROOT_DOMAIN}", f"https://*.{ROOT_DOMAIN}"]
X_FRAME_OPTIONS = "DENY"

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [  # noqa: F405
    "rest_framework.renderers.JSONRenderer",
]
