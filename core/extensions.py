"""Flask extensions, created once and bound in create_app."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], storage_uri="memory://")


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"
