"""Pages: sign in and out, the language switch, the registry map. Thin: the domain does the work."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from resilience import accounts
from web import maps
from web.extensions import LOCALES, csrf, select_locale
from web.session import current_principal, db, login, logout, settings

bp = Blueprint("pages", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]
    """User name and password, with a CSRF token."""

    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only redirect within the app after login."""
    if not target:
        return url_for("pages.map_page")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("pages.map_page")
    return target


@bp.get("/")
def index() -> Response:
    """Home: the map when signed in, else the login page."""
    if current_principal(optional=True) is None:
        return redirect(url_for("pages.login_page"))  # type: ignore[return-value]
    return redirect(url_for("pages.map_page"))  # type: ignore[return-value]


@bp.route("/login", methods=["GET", "POST"])
def login_page() -> Any:
    """Sign in with user name and password."""
    form = LoginForm()
    error = None
    if request.method == "POST":
        csrf.protect()
        if form.validate():
            principal = accounts.authenticate_password(db(), form.username.data,
                                                       form.password.data)
            if principal is not None:
                login(accounts.get_user(db(), principal.username))
                return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong user name or password.")
    status = 401 if error else 200
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
def logout_page() -> Response:
    """Sign out."""
    csrf.protect()
    logout()
    return redirect(url_for("pages.login_page"))  # type: ignore[return-value]


@bp.get("/lang/<code>")
def set_language(code: str) -> Response:
    """Switch the page language (zh_CN or en) and go back."""
    if code in LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or request.referrer and
                               urlsplit(request.referrer).path))  # type: ignore[return-value]


def _require_login() -> Any:
    if current_principal(optional=True) is None:
        return redirect(url_for("pages.login_page", next=request.full_path.rstrip("?")))
    return None


@bp.get("/map")
def map_page() -> Any:
    """The registry's layers on one map, everything served by the app."""
    needed = _require_login()
    if needed is not None:
        return needed
    m = maps.registry_map(settings(), select_locale(),
                          lambda p: url_for("static", filename=p), bounds=_view_bounds())
    root = m.get_root()
    root.render()  # fills the header with the (vendored) Leaflet and folium assets
    return render_template(
        "map.html",
        map_header=root.header.render(),
        map_html=root.html.render(),
        map_script=root.script.render(),
    )


_BOUNDS: dict[tuple[str, ...], tuple[float, Any]] = {}


def _view_bounds() -> tuple[float, float, float, float] | None:
    """Open the map on the pipelines the user sees (cached a few minutes per grant)."""
    import time

    from inventory import repository
    from inventory.service import collection

    principal = current_principal()
    assert principal is not None
    key = (settings().database_url, *(("*",) if principal.is_admin else principal.prefixes))
    cached = _BOUNDS.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]  # type: ignore[no-any-return]
    box = repository.extent(db(), collection("pipelines"), principal)
    _BOUNDS[key] = (time.monotonic() + 300, box)
    return box
