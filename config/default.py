"""Default settings. Override them in ``instance/comptoir.cfg`` or with ``COMPTOIR_*``
environment variables (``COMPTOIR_SECRET_KEY=...``, ``COMPTOIR_SQLALCHEMY_DATABASE_URI=...``);
values given as JSON in the environment (numbers, booleans, lists) are parsed as such."""

# A development-only key: create_app refuses it outside debug and testing.
SECRET_KEY = "dev-insecure-change-me"  # noqa: S105

# None means "SQLite in the instance folder" (comptoir.db); see core.app.
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False  # set True behind HTTPS
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
WTF_CSRF_TIME_LIMIT = None
WTF_CSRF_SSL_STRICT = True
MAX_CONTENT_LENGTH = 20 * 1024 * 1024

# Locale.
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
LANGUAGES = {"en": "English", "fr": "Français"}
COMPANY_NAME = "Comptoir Demo SARL"
COMPANY_ADDRESS = "12 rue du Commerce, 75015 Paris, France"
COMPANY_EMAIL = "contact@comptoir.example"
COMPANY_PHONE = "+33 1 23 45 67 89"
DEFAULT_CURRENCY = "EUR"
BASE_URL = "http://127.0.0.1:5000"

# Rate limits (Flask-Limiter). Memory storage is per process: use a shared storage
# (redis://...) when running several workers if strict limits matter.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
LOGIN_RATE_LIMIT = "10 per minute"
WEB_TO_LEAD_RATE_LIMIT = "5 per minute"

# Modules.
MODULES_REFRESH_SECONDS = 1.0
SAFE_MODE = False  # COMPTOIR_SAFE_MODE=1: only the built-in modules
TRACE_HOOKS = False  # COMPTOIR_TRACE_HOOKS=1: log every hook call

# Scheduler (``comptoir scheduler``).
SCHEDULER_EMBEDDED = False  # make run sets it for the development server
SCHEDULER_TIMEZONE = "UTC"

# Mail (reminders).
MAIL_SERVER = "127.0.0.1"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "Comptoir <noreply@comptoir.example>"
MAIL_TIMEOUT = 10

# Passwords.
PASSWORD_MIN_LENGTH = 10
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - werkzeug scrypt (N=32768, r=8, p=1)

# Lists.
PAGE_SIZE = 25
API_MAX_PER_PAGE = 200
