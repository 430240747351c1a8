"""cc112 settings, read from the environment (see README "Running for real")."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from redis.backoff import NoBackoff
from redis.retry import Retry

from cc112.envconfig import (
    env_bool,
    env_broker_url,
    env_cache,
    env_database,
    env_int,
    env_list,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
if (BASE_DIR / ".env").is_file():
    # A development checkout's own settings (see .env.example); the environment wins.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env_str("CC112_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # unfold's basic config leaves the admin site to ours (cc112.admin_site).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.simple_history",
    "unfold.contrib.guardian",
    "cc112.apps.Cc112AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "agencies",
    "incidents",
    "sla",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "cc112.middleware.ForbiddenAuditMiddleware",
]

ROOT_URLCONF = "cc112.urls"

# Covering indexes (INCLUDE columns) serve the reports on PostgreSQL; SQLite, the embedded
# default, builds the same indexes without those columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
WSGI_APPLICATION = "cc112.wsgi.application"
ASGI_APPLICATION = "cc112.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "libraries": {"cc112_sidebar": "cc112.sidebar"},
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
_db = env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cc112.sqlite3'}")
_conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves web, worker and beat at once: WAL lets readers run beside the
    # writer, and IMMEDIATE transactions take the write lock up front instead of failing
    # half-way with "database is locked".
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    _db["CONN_MAX_AGE"] = _conn_max_age
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth --------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "cc112.auth.ModelPermissionBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# AUTH_PASSWORD_VALIDATORS: see "Authentication, sessions and browser security" below.
LOGIN_URL = "admin:login"
# unfold's login form has no "next" field: someone who opens the login page itself is sent here
# (Django's default, /accounts/profile/, does not exist), which sends each person on to their
# home (cc112.admin_site.home_of).
LOGIN_REDIRECT_URL = "admin:index"
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The centre's zone: every time is stored in UTC and shown in this zone (Ambon: WIT, UTC+9).
TIME_ZONE = env_time_zone("CC112_TIME_ZONE", "Asia/Jayapura")
# Moments Django writes itself read like ours: 16-12-2025 10:01:00 WIT (cc112/formats).
FORMAT_MODULE_PATH = ["cc112.formats"]

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) ---------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# SECURE_SSL_REDIRECT and HSTS: see "Authentication, sessions and browser security" below.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Celery ------------------------------------------------------------------------------------
# The embedded default needs no server: kombu's filesystem transport keeps messages as files
# under var/, so `make run` works on a laptop. Production sets redis:// or amqp://.
CELERY_BROKER_URL = env_broker_url("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# The escalation sweep has a queue of its own, consumed by its own worker (Procfile.dev, README
# "Running for real"): it never waits behind a burst of email or webhook deliveries. Everything
# else goes to the default queue, "celery".
CELERY_TASK_ROUTES = {"sla.tasks.sweep_escalations": {"queue": "escalations"}}
# How often due clocks are swept for escalation: a breach is escalated within this many seconds.
CC112_SLA_SWEEP_SECONDS = env_int("CC112_SLA_SWEEP_SECONDS", 5, minimum=1)
# Rungs fired in one transaction of the sweep (sla.services.escalation.BATCH_SIZE by default).
CC112_SLA_SWEEP_BATCH = env_int("CC112_SLA_SWEEP_BATCH", 100, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "expire-shares": {
        "task": "incidents.tasks.expire_shares",
        "schedule": env_int("CC112_SHARE_EXPIRY_SWEEP_SECONDS", 60, minimum=1),
    },
    # Deadlines live in Clock.next_escalation_at; beat only says "look now". Never expired: the
    # sweep has a queue of its own, so a message waits only for other sweeps, and one that finds
    # nothing due costs two small queries.
    "sweep-escalations": {
        "task": "sla.tasks.sweep_escalations",
        "schedule": CC112_SLA_SWEEP_SECONDS,
    },
    "sweep-outbox": {
        "task": "sla.tasks.sweep_outbox",
        "schedule": env_int("CC112_OUTBOX_SWEEP_SECONDS", 60, minimum=1),
        "options": {"expires": 300},
    },
    # Webhook retries are due at WebhookDelivery.next_attempt_at; a retry waits at most this long.
    "sweep-webhooks": {
        "task": "agencies.tasks.sweep_webhooks",
        "schedule": env_int("CC112_WEBHOOK_SWEEP_SECONDS", 30, minimum=1),
        "options": {"expires": 120},
    },
    # Callers' identities are due at CallerIdentity.released_at + the retention period.
    "anonymise-callers": {
        "task": "incidents.tasks.anonymise_callers",
        "schedule": env_int("CC112_CALLER_RETENTION_SWEEP_SECONDS", 3600, minimum=1),
        "options": {"expires": 1800},
    },
    "forget-idempotent-requests": {
        "task": "incidents.tasks.forget_idempotent_requests",
        "schedule": 3600,
        "options": {"expires": 1800},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- cc112 -------------------------------------------------------------------------------------
# Days after a case closes (or a call that opened no case) that its caller's name and number
# are kept; then they are anonymised (UU 27/2022). Counts, clocks and figures stay.
CC112_CALLER_RETENTION_DAYS = env_int("CC112_CALLER_RETENTION_DAYS", 365, minimum=1)
# Short code of the city, used in case references: 112-AMB-2025-000123.
CC112_CITY_CODE = env_str("CC112_CITY_CODE", "AMB").upper()
if not CC112_CITY_CODE.isalnum() or len(CC112_CITY_CODE) > 8:
    raise ImproperlyConfigured("CC112_CITY_CODE must be 1-8 letters or digits, e.g. AMB.")

# The call screen's map: a tile URL template (https://.../{z}/{x}/{y}.png; empty: no tiles, the
# map still places a point), its attribution, and where it opens (latitude,longitude).
CC112_MAP_TILE_URL = env_str("CC112_MAP_TILE_URL", "")
CC112_MAP_ATTRIBUTION = env_str("CC112_MAP_ATTRIBUTION", "")
CC112_MAP_CENTRE = env_str("CC112_MAP_CENTRE", "-3.6954,128.1814")  # Kota Ambon

# Links in emails point here (no trailing slash).
CC112_PORTAL_URL = env_str("CC112_PORTAL_URL", "http://localhost:8000").rstrip("/")
# Webhooks to loopback, private or link-local addresses would let a partner probe the servers
# inside the centre's network (SSRF); only a test or a closed installation turns this on.
CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS", False)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cc112@localhost")
# Well under the outbox's stale-claim time (5 min), so a hung mail server fails the attempt
# before another worker takes the email over and sends it a second time.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)

# --- REST API (/api/v1/) ----------------------------------------------------------------------
REST_FRAMEWORK = {
    # Partners' systems send `Authorization: Api-Key <key>`; the portal's pages use the session
    # (with CSRF).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cc112.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["cc112.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["cc112.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["cc112.api.errors.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cc112.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cc112 API",
    "DESCRIPTION": (BASE_DIR / "cc112" / "api" / "guide.md").read_text(encoding="utf-8"),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cc112.api.schema.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "DispatchStatusEnum": "incidents.models.DispatchStatus",
        "PriorityEnum": "incidents.models.Priority",
        "WebhookEventEnum": "agencies.models.WebhookEvent",
    },
}

# The throttle counts each key's requests here; set CACHE_URL (redis://...) when several web
# processes serve the API, so they count together.
CACHES = {"default": env_cache("CACHE_URL", "locmemcache://")}

UNFOLD = {
    "SITE_TITLE": _("cc112 — Call Center 112"),
    "SITE_HEADER": _("Call Center 112"),
    "SITE_SUBHEADER": _("Case management"),
    "SITE_SYMBOL": "emergency",
    "SHOW_LANGUAGES": True,
    "SHOW_HISTORY": True,
    # F2 opens the call screen from any page (for those who answer calls).
    "SCRIPTS": [lambda request: static("incidents/shortcuts.js")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        # Each link shows only to those whose role may open the page (agencies/roles.py).
        "navigation": [
            {
                "title": _("Casework"),
                "items": [
                    {
                        "title": _("Answer a call"),
                        "icon": "call",
                        "link": reverse_lazy("admin:incidents_answer"),
                        "badge": "incidents.console.answer_badge",
                        "permission": "incidents.console.may_open_call_screen",
                    },
                    {
                        "title": _("Case board"),
                        "icon": "dashboard",
                        "link": reverse_lazy("admin:incidents_board"),
                        "permission": "incidents.board.may_open_board",
                    },
                    {
                        "title": _("Inbox"),
                        "icon": "inbox",
                        "link": reverse_lazy("admin:incidents_inbox"),
                        "badge": "incidents.board.inbox_badge",
                        "permission": "incidents.board.may_open_agency_inbox",
                    },
                    {
                        "title": _("Cases"),
                        "icon": "emergency",
                        "link": reverse_lazy("admin:incidents_incident_changelist"),
                        "permission": lambda request: request.user.has_perm(
                            "incidents.view_incident"
                        ),
                    },
                    {
                        "title": _("Dispatch queue"),
                        "icon": "assignment",
                        "link": reverse_lazy("admin:incidents_dispatch_changelist"),
                        "badge": "incidents.admin.dispatches.queue_badge",
                        "permission": lambda request: request.user.has_perm(
                            "incidents.view_dispatch"
                        ),
                    },
                    {
                        "title": _("Calls"),
                        "icon": "call",
                        "link": reverse_lazy("admin:incidents_call_changelist"),
                        "permission": lambda request: request.user.has_perm("incidents.view_call"),
                    },
                    {
                        "title": _("Notifications"),
                        "icon": "notifications",
                        "link": reverse_lazy("admin:sla_notification_changelist"),
                        "badge": "sla.admin.unread_badge",
                        "permission": lambda request: request.user.has_perm(
                            "sla.view_notification"
                        ),
                    },
                    {
                        # The model index: each person's home is their live page
                        # (cc112.admin_site.home_of), so the index is linked here.
                        "title": _("Site administration"),
                        "icon": "apps",
                        "link": format_lazy("{}?all=1", reverse_lazy("admin:index")),
                    },
                ],
            },
            {
                "title": _("Personal data"),
                "items": [
                    {
                        "title": _("Access log"),
                        "icon": "policy",
                        "link": reverse_lazy("admin:incidents_personal_data_log"),
                        "permission": "incidents.personal_data.may_open_personal_data",
                    },
                    {
                        "title": _("Data-subject requests"),
                        "icon": "person_search",
                        "link": reverse_lazy("admin:incidents_subject_requests"),
                        "permission": "incidents.personal_data.may_open_personal_data",
                    },
                ],
            },
            {
                "title": _("Service levels"),
                "items": [
                    {
                        "title": _("Clocks"),
                        "icon": "timer",
                        "link": reverse_lazy("admin:sla_clock_changelist"),
                        "permission": lambda request: request.user.has_perm("sla.view_clock"),
                    },
                    {
                        "title": _("Breaches to explain"),
                        "icon": "report",
                        "link": reverse_lazy("admin:sla_breaches"),
                        "badge": "sla.report_pages.breaches_badge",
                        "permission": "sla.report_pages.may_open_breaches",
                    },
                    {
                        "title": _("Targets"),
                        "icon": "flag",
                        "link": reverse_lazy("admin:sla_target_changelist"),
                        "permission": lambda request: request.user.has_perm("sla.view_target"),
                    },
                    {
                        "title": _("Escalation ladder"),
                        "icon": "stairs",
                        "link": reverse_lazy("admin:sla_escalationstep_changelist"),
                        "permission": lambda request: request.user.has_perm(
                            "sla.view_escalationstep"
                        ),
                    },
                    {
                        "title": _("Office hours"),
                        "icon": "schedule",
                        "link": reverse_lazy("admin:sla_officeday_changelist"),
                        "permission": lambda request: request.user.has_perm("sla.view_officeday"),
                    },
                ],
            },
            {
                "title": _("Evaluation"),
                "items": [
                    {
                        "title": _("Period report"),
                        "icon": "bar_chart",
                        "link": reverse_lazy("admin:sla_period_report"),
                        "permission": "sla.report_pages.may_open_reports",
                    },
                    {
                        "title": _("Operator scorecards"),
                        "icon": "leaderboard",
                        "link": reverse_lazy("admin:sla_scorecard"),
                        "permission": "sla.report_pages.may_open_scorecards",
                    },
                    {
                        "title": _("Agency report"),
                        "icon": "apartment",
                        "link": reverse_lazy("admin:sla_agency_report"),
                        "permission": "sla.report_pages.may_open_agency_report",
                    },
                    {
                        "title": _("Evaluations"),
                        "icon": "grading",
                        "link": reverse_lazy("admin:sla_evaluation_changelist"),
                        "permission": lambda request: request.user.has_perm("sla.view_evaluation"),
                    },
                ],
            },
            {
                "title": _("Setup"),
                "collapsible": True,
                "items": [
                    {
                        "title": _("Categories"),
                        "icon": "category",
                        "link": reverse_lazy("admin:incidents_category_changelist"),
                        "permission": lambda request: request.user.has_perm(
                            "incidents.view_category"
                        ),
                    },
                    {
                        "title": _("Areas"),
                        "icon": "map",
                        "link": reverse_lazy("admin:incidents_area_changelist"),
                        "permission": lambda request: request.user.has_perm("incidents.view_area"),
                    },
                    {
                        "title": _("Agencies"),
                        "icon": "apartment",
                        "link": reverse_lazy("admin:agencies_agency_changelist"),
                        "permission": lambda request: request.user.has_perm("agencies.view_agency"),
                    },
                    {
                        "title": _("Memberships"),
                        "icon": "badge",
                        "link": reverse_lazy("admin:agencies_membership_changelist"),
                        "permission": lambda request: request.user.has_perm(
                            "agencies.view_membership"
                        ),
                    },
                    {
                        "title": _("Users"),
                        "icon": "person",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": lambda request: request.user.has_perm("auth.view_user"),
                    },
                    {
                        "title": _("API keys"),
                        "icon": "key",
                        "link": reverse_lazy("admin:agencies_apikey_changelist"),
                        "permission": "agencies.api_key_admin.may_open_api_keys",
                    },
                    {
                        "title": _("Webhooks"),
                        "icon": "webhook",
                        "link": reverse_lazy("admin:agencies_webhooksubscription_changelist"),
                        "permission": "agencies.webhook_admin.may_open_webhooks",
                    },
                    {
                        "title": _("Webhook deliveries"),
                        "icon": "send",
                        "link": reverse_lazy("admin:agencies_webhookdelivery_changelist"),
                        "permission": "agencies.webhook_admin.may_open_webhooks",
                    },
                ],
            },
        ],
    },
}

# === Operations: logs, metrics, health, degraded modes (README "Operations") ====================
# Kept in one block, after everything it adjusts.

# Logs: JSON lines in production (one object a line, with the request id), plain lines for people
# under DEBUG (`make run`). CC112_LOG_FORMAT=json|text overrides.
CC112_LOG_FORMAT = env_str("CC112_LOG_FORMAT", "text" if DEBUG else "json")
if CC112_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("CC112_LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "cc112.logs.RequestIdFilter"},
        "redact": {"()": "cc112.logs.RedactingFilter"},
    },
    "formatters": {
        "json": {"()": "cc112.logs.JsonLines"},
        "text": {"()": "cc112.logs.PlainLines"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": CC112_LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # The audit line of cc112.access says who was refused what; Django's own 4xx warning
        # repeats it with a traceback.
        "django.request": {"level": "ERROR"},
        # Celery's line for each task received, done and sent by beat: three every few seconds
        # for the escalation sweep alone. `make run` sets WARNING so its console shows what
        # happened (the sweep's and the email batches' own lines), not each tick.
        **{
            name: {"level": env_str("CC112_TASK_LOG_LEVEL", "INFO")}
            for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat")
        },
    },
}

# --- Authentication, sessions and browser security (issue 16; README "Security") ------------
# Kept in one block: it extends the lists above rather than rewriting them.
INSTALLED_APPS += [
    "axes",  # lockout per account and per address; its admin and commands unlock
    "django_otp",
    "django_otp.plugins.otp_totp",  # authenticator apps (TOTP, RFC 6238)
    "django_otp.plugins.otp_static",  # one-time recovery codes
    "csp",
]
_auth_at = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE[_auth_at + 1 : _auth_at + 1] = [
    "django_otp.middleware.OTPMiddleware",
    # After OTP (it reads is_verified()) and before any view: idle/absolute expiry, then MFA.
    "cc112.middleware.SessionLifetimeMiddleware",
    "cc112.middleware.SecondFactorMiddleware",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
# Last, as its documentation asks: it turns a lockout raised in a view into the lockout page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
TEMPLATES[0]["OPTIONS"]["context_processors"].append("csp.context_processors.nonce")

# django-axes' backend first: it refuses a locked-out account or address before any password is
# checked (it needs the request, so every login goes through a form that passes it).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_FAILURE_LIMIT = env_int("CC112_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("CC112_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
# Either limit locks: one account from anywhere, or one address trying many accounts. A centre
# whose consoles share one address behind NAT sets CC112_LOCKOUT_BY_ADDRESS=false (README).
AXES_LOCKOUT_PARAMETERS = (
    ["username", "ip_address"] if env_bool("CC112_LOCKOUT_BY_ADDRESS", True) else ["username"]
)
AXES_RESET_ON_SUCCESS = True
# Unlocked with `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS` (README
# "Security"); axes' admin pages would need every persona's rights walked in the privacy matrix.
AXES_ENABLE_ADMIN = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # axes' access log keeps failures as well as logins
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
if env_bool("BEHIND_TLS_PROXY", False):
    # The address axes counts is the client's, as the proxy in front appended it.
    AXES_CLIENT_IP_CALLABLE = "cc112.auth.client_address"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("CC112_PASSWORD_MIN_LENGTH", 12, minimum=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A second factor is required of supervisors, the coordinator, administrators and whoever manages
# partner systems (cc112.auth.second_factor_required); the test settings turn this off for the
# suite's force_login()s and the security tests turn it back on.
CC112_MFA_ENFORCED = env_bool("CC112_MFA_ENFORCED", True)
OTP_TOTP_ISSUER = env_str("CC112_OTP_ISSUER", "cc112")
OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp doubles the wait after each wrong code
CC112_RECOVERY_CODES = 10

# Sessions: a shift is 7 hours; an operator is never logged out mid-call. The idle timeout counts
# time without any request (the board's and call screen's polling count: see README "Security"),
# the absolute lifetime time since the login.
CC112_SESSION_IDLE_MINUTES = env_int("CC112_SESSION_IDLE_MINUTES", 60, minimum=1)
CC112_SESSION_ABSOLUTE_HOURS = env_int("CC112_SESSION_ABSOLUTE_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = CC112_SESSION_ABSOLUTE_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the portal's scripts read it for their POSTs

# HTTPS in production: redirect, HSTS, secure cookies (SECURE_COOKIES above).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading commits the whole domain (every subdomain, for months, in every browser): the
    # centre's domain owner decides it, so `check --deploy` does not ask for it by default.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp). Scripts: our own files and nonced inline scripts, no
# 'unsafe-inline'. 'unsafe-eval' stays: unfold's Alpine.js evaluates its x-data/x-on attributes
# with Function(). Styles keep 'unsafe-inline': unfold's templates and Alpine write style=
# attributes, and the API docs inject <style> elements.
# The map's tiles come from the tile server's origin ("{s}." subdomains as a wildcard).
_tile_origin = "/".join(CC112_MAP_TILE_URL.split("/")[:3]).replace("{s}.", "*.")

# Each person's own second factor, in the account menu (top right) beside the password.
UNFOLD["ACCOUNT"] = {
    "navigation": [
        {"title": _("Change password"), "link": reverse_lazy("admin:password_change")},
        {"title": _("Two-step login"), "link": reverse_lazy("admin:mfa")},
    ]
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, "'unsafe-eval'"],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *([_tile_origin] if _tile_origin else [])],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "worker-src": [SELF, "blob:"],
    }
}

# --- Operations (issue 17; README "Operations") ---
# With JSON logs, workers and beat keep Django's handler (JSON, request id) instead of Celery's
# own format; with text logs Celery formats its lines as it always has.
CELERY_WORKER_HIJACK_ROOT_LOGGER = CC112_LOG_FORMAT == "text"

# The request id first (every line of the request carries it), then the timing of the whole
# answer; then health, answered before host checks, redirects and sessions (cc112/health.py).
MIDDLEWARE = [
    "cc112.logs.RequestIdMiddleware",
    "cc112.metrics.RequestMetricsMiddleware",
    "cc112.health.HealthMiddleware",
    *MIDDLEWARE,
]

# /metrics answers a scraper that sends "Authorization: Bearer <CC112_METRICS_TOKEN>" or comes
# from one of CC112_METRICS_ALLOWED_IPS (addresses or networks); everyone else gets a 404.
CC112_METRICS_TOKEN = env_str("CC112_METRICS_TOKEN", "")
CC112_METRICS_ALLOWED_NETWORKS = []
for _network in env_list("CC112_METRICS_ALLOWED_IPS", []):
    try:
        CC112_METRICS_ALLOWED_NETWORKS.append(ipaddress.ip_network(_network, strict=False))
    except ValueError:
        raise ImproperlyConfigured(
            f"CC112_METRICS_ALLOWED_IPS: {_network!r} is not an address or network."
        ) from None

# The cache fails open (cc112/cache.py): Redis down reads as a miss, so the portal and the API
# keep answering; short timeouts, no retries (the breaker pauses instead).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "cc112.cache.FailOpenRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.3, "socket_timeout": 0.5, "retry": Retry(NoBackoff(), 0)}
    )

# The broker never holds a web request for long: publishing connects with a short timeout (and
# cc112.queue retries once); the outbox sweeps send whatever was not published.
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
# No task runs longer than this (the longest: an email batch to a hung mail server, each message
# bounded by EMAIL_TIMEOUT; the sweep hands its backlog on after 20 s); the hard limit ends it.
CELERY_TASK_TIME_LIMIT = env_int("CC112_TASK_TIME_LIMIT", 300, minimum=30)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message not acknowledged within this long goes to another worker: twice the longest
        # task, so a slow task is never run twice, while a worker killed outright (late
        # acknowledgement) has its message redelivered in ten minutes at most; the outbox
        # sweeps do not wait that long for deliveries.
        "visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT,
        "socket_connect_timeout": 1,
        "socket_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 25,
    }

# Webhook deliveries whose worker died (left "sending") go back out within a minute: claims older
# than agencies.webhooks.STALE_CLAIM (45 s) are released every 10 s (sla.tasks).
CC112_STALE_CLAIM_SWEEP_SECONDS = env_int("CC112_STALE_CLAIM_SWEEP_SECONDS", 10, minimum=1)
CELERY_BEAT_SCHEDULE["release-stale-claims"] = {
    "task": "sla.tasks.release_stale_claims",
    "schedule": CC112_STALE_CLAIM_SWEEP_SECONDS,
    "options": {"expires": 30},
}
# --- Hardening: input at the door, secrets at rest, the owner of the tables (issue 16) --------
# A NUL in a path, query or form is refused (400) before any view: see cc112/request_input.py.
# After LocaleMiddleware, so the refusal speaks the visitor's language.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
    "cc112.request_input.RefuseNulMiddleware",
)
# The history's hash chain (audit.HistoryLink, cc112/history.py, `manage.py verify_history`):
# rows are sealed by beat within this many seconds of being written.
INSTALLED_APPS += ["audit"]
CELERY_BEAT_SCHEDULE["seal-history"] = {
    "task": "audit.tasks.seal_history",
    "schedule": env_int("CC112_HISTORY_SEAL_SECONDS", 10, minimum=1),
    "options": {"expires": 60},
}
# The role that owns the tables and runs `migrate` (cc112/db_roles.py). The app connects as
# DATABASE_URL's role, which does not own them: it cannot TRUNCATE the history, disable its
# triggers or switch replication mode off them. Unset: migrate runs as DATABASE_URL's role.
CC112_DATABASE_OWNER = (
    env_database("DATABASE_OWNER_URL", "") if env_str("DATABASE_OWNER_URL", "") else None
)
# Secrets at rest (webhook signing secrets, cc112/field_crypto.py): Fernet keys, comma-separated,
# the first encrypting. Unset: one derived from SECRET_KEY (then changing SECRET_KEY loses them).
from cc112.field_keys import derived_key  # noqa: E402

CC112_FIELD_KEYS = env_list("CC112_FIELD_KEY", []) or [derived_key(SECRET_KEY)]
