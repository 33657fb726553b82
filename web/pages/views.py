"""Pages: sign in and out, the language switch, the map, imports and exports, tables and search.

Thin: the domain and the JSON API do the work.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

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

from inventory import COLLECTIONS, CollectionSpec, repository, search, service
from inventory.assets import importable_collections
from resilience.accounts import SYSTEM, Principal
from resilience.errors import Forbidden, InvalidInput
from resilience.logins import TooManyAttempts
from resilience.messages import describe
from web import basemap, maps
from web.auth import caller, signed_in
from web.errors import BadRequest
from web.extensions import LOCALES, csrf, select_locale
from web.pages import tables
from web.session import check_password, current_principal, db, login, logout, settings

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
    form, error, status = LoginForm(), None, 200
    if request.method == "POST":
        csrf.protect()
        error, status = _("Enter your user name and password."), 401
        if form.validate():
            try:
                principal = check_password(form.username.data, form.password.data, via="page")
            except TooManyAttempts as refused:
                error, status = describe(refused.problems[0], select_locale()), 429
                return render_template("login.html", form=form, error=error), status, {
                    "Retry-After": str(refused.retry_after)}
            if principal is not None:
                login(principal.user_id)
                return redirect(_safe_next(request.args.get("next")))
            error = _("Wrong user name or password.")
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


@bp.get("/map")
@signed_in
def map_page() -> Any:
    """The registry's layers on one map, everything served by the app."""
    focus, bounds, layer_query = _map_selection()
    m = maps.registry_map(settings(), select_locale(),
                          lambda p: url_for("static", filename=p), bounds=bounds or _view_bounds(),
                          focus=focus, focus_query=layer_query, basemap=basemap.configured())
    root = m.get_root()
    root.render()  # fills the header with the (vendored) Leaflet and folium assets
    return render_template(
        "map.html",
        map_header=root.header.render(),
        map_html=root.html.render(),
        map_script=root.script.render(),
    )


def _map_selection() -> tuple[str | None, tuple[float, float, float, float] | None, str]:
    """A table's selection sent to the map (``?collection=…&filters``): layer, extent, filters.

    The map opens on the extent of the selected records; the layer is given the filters the
    items API understands, so it can ask for those records only.
    """
    name = request.args.get("collection")
    if not name:
        return None, None, ""
    spec = service.collection(name)
    principal = caller()
    viewer = _viewer(spec, principal)
    state = tables.parse(spec, request.args, viewer, repository.visible_divisions(db(), viewer),
                         paging=False)
    if state.problems:
        raise (Forbidden if state.forbidden else BadRequest)("invalid selection", state.problems)
    box = repository.extent(db(), spec, viewer, state.query)
    return spec.name, box, urlencode(tables.export_params(state))


_BOUNDS: dict[tuple[str, ...], tuple[float, Any]] = {}


def _view_bounds() -> tuple[float, float, float, float] | None:
    """Open the map on the pipelines the user sees (cached a few minutes per grant)."""
    import time

    from inventory import repository
    from inventory.service import collection

    principal = caller()
    key = (settings().database_url, *(("*",) if principal.everywhere else principal.prefixes))
    cached = _BOUNDS.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]  # type: ignore[no-any-return]
    box = repository.extent(db(), collection("pipelines"), principal)
    _BOUNDS[key] = (time.monotonic() + 300, box)
    return box


# --- imports and exports -------------------------------------------------------------------

IMPORT_ACCEPT = ".csv,.xlsx,.xlsm,.geojson,.json,.geojsonl,.gpkg,.zip,.shp"
POINTS_ACCEPT = ".csv,.xlsx,.xlsm,.zip,.shp,.gpkg"
EXPORT_FORMATS = (("geojson", "GeoJSON"), ("csv", "CSV"), ("gpkg", "GeoPackage"),
                  ("xlsx", "XLSX"), ("shp", "Shapefile (zip)"))
EXPORT_CRS = ("EPSG:4490", "EPSG:4326", "EPSG:4549", "GCJ-02")


def _export_langs() -> list[tuple[str, str]]:
    """How CSV and XLSX may speak: the page's language first chosen, or the machine form."""
    return [("zh", _("Chinese labels")), ("en", _("English labels")),
            ("machine", _("Field names and codes"))]


def _import_crs() -> list[tuple[str, str]]:
    """The CRS a survey file may be in; empty means the file says (or lon/lat CGCS2000)."""
    return [
        ("", _("From the file")),
        ("EPSG:4490", _("EPSG:4490 (CGCS2000 longitude/latitude)")),
        ("EPSG:4326", _("EPSG:4326 (WGS 84 longitude/latitude)")),
        ("EPSG:3857", _("EPSG:3857 (Web Mercator)")),
        ("EPSG:4549", _("EPSG:4549 (CGCS2000 Gauss-Krüger, CM 120°E)")),
        ("EPSG:4528", _("EPSG:4528 (CGCS2000 Gauss-Krüger zone 40, with prefix)")),
        ("GCJ-02", _("GCJ-02 (Mars coordinates, Amap/Tencent)")),
        ("BD-09", _("BD-09 (Baidu)")),
    ]


def _import_labels(locale: str) -> dict[str, Any]:
    """What imports.js shows, in the page's language ({name} placeholders filled there)."""
    return {
        "locale": "zh-CN" if locale == "zh_CN" else "en",
        "fields": {s.name: {f.name: f.label(locale) for f in s.fields}
                   for s in COLLECTIONS.values()},
        "titles": {s.name: s.title(locale) for s in COLLECTIONS.values()},
        "text": {
            "uploading": _("Uploading… {pct}%"),
            "uploaded": _("Uploaded; checking the file…"),
            "queued": _("Queued; waiting for the import worker…"),
            "running_rows": _("Importing… {rows} rows read"),
            "running_pct": _("Importing… {pct}%"),
            "summary": _("{rows} rows; created {created}, updated {updated}; "
                         "{rejected} rows rejected; {state}"),
            "state_stored": _("stored"),
            "state_not_stored": _("not stored"),
            "state_dry_run": _("checked only, not stored"),
            "state_undone": _("undone"),
            "unmapped": _("Columns not used:"),
            "unmapped_none": _("Every column was used."),
            "rejected_more": _("The first {shown} of {total} problems are listed; "
                               "download the rejected rows for all of them."),
            "rejected_csv": _("Rejected rows (CSV)"),
            "rejected_xlsx": _("Rejected rows (XLSX)"),
            "failed": _("The import failed."),
            "network": _("The server could not be reached; nothing was changed."),
            "http": _("The server answered {status}."),
            "no_imports": _("No imports yet."),
            "undo": _("Undo"),
            "undo_confirm": _("Undo import {id} ({file})? Records it created are retired, "
                              "records it changed are restored."),
            "undone": _("Import {id} undone: {retired} retired, {restored} restored."),
            "geometry": _("Geometry"),
            "choose_file": _("Choose a file to import."),
            "points_row": _("point table row {row}"),
            "status": {
                "queued": _("queued"), "running": _("running"), "failed": _("failed"),
                "stored": _("stored"), "not_stored": _("not stored"),
                "dry_run": _("checked only"), "undone": _("undone"),
            },
        },
    }


@bp.get("/imports")
@signed_in
def imports_page() -> Any:
    """Upload survey files, follow and undo imports, download collections."""
    principal = caller()
    # Uploads go through /api/imports, which checks each collection's editing roles; the
    # list offers what this role may write.
    writable = importable_collections(principal)
    if not writable:
        raise Forbidden("role may not import", role=principal.role)
    locale = select_locale()
    collections = [(s.name, s.title(locale)) for s in writable]
    return render_template(
        "imports.html",
        collections=collections,
        import_accept=IMPORT_ACCEPT,
        points_accept=POINTS_ACCEPT,
        import_crs=_import_crs(),
        export_formats=EXPORT_FORMATS,
        export_crs=EXPORT_CRS,
        export_langs=_export_langs(),
        export_lang="en" if locale == "en" else "zh",
        division_hint=principal.prefixes[0] if principal.prefixes else "",
        labels=_import_labels(locale),
    )


# --- tables and search ---------------------------------------------------------------------


def _viewer(spec: CollectionSpec, principal: Principal) -> Principal:
    """Division boundaries are public administrative data (as in the API); the rest is granted."""
    return SYSTEM if spec.name == "divisions" else principal


def item_href(collection: str, key: Any) -> str | None:
    """The record's own page (asset collections; divisions have none)."""
    if collection == "divisions":
        return None
    return url_for("assets.asset_page", name=collection, key=key)


@bp.get("/collections")
@signed_in
def collections_page() -> Any:
    """Every collection with how many records the user sees in it."""
    principal = caller()
    locale = select_locale()
    # Capped like the tables' counts: counting a whole city's 100k segments costs ~100 ms.
    listed = [{"name": s.name, "title": s.title(locale), "other": s.en if locale == "zh_CN" else s.zh,
               "count": repository.count_matching(db(), s, _viewer(s, principal), repository.Query(),
                                                  cap=tables.COUNT_CAP)}
              for s in COLLECTIONS.values()]
    return render_template("collections.html", collections=listed, count_cap=tables.COUNT_CAP)


@bp.get("/collections/<name>")
@signed_in
def collection_page(name: str) -> Any:
    """A collection as a table: filters, sort and keyset pages, all held in the URL."""
    spec = service.collection(name)
    principal = caller()
    viewer = _viewer(spec, principal)
    locale = select_locale()
    session = db()
    divisions = repository.visible_divisions(session, viewer)
    state = tables.parse(spec, request.args, viewer, divisions)
    cols = tables.columns(spec, locale)
    window, total = None, None
    if not state.problems:
        try:
            window = repository.window(session, spec, viewer, state.query)
            total = repository.count_matching(session, spec, viewer,
                                              replace(state.query, after=None, before=None),
                                              cap=tables.COUNT_CAP)
        except InvalidInput as error:  # a cursor row that no longer exists
            state.problems.extend(error.problems)
    names = tables.division_names(divisions, locale)

    def link(**changes: Any) -> str:
        params = state.params()
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return url_for("pages.collection_page", name=spec.name, **params)

    def sort_link(column: str) -> str:
        """Ascending first; a second click on the same column turns it round."""
        ascending_now = state.sort_column == column and not state.query.descending
        return link(sort=f"-{column}" if ascending_now else column)

    status = 403 if state.forbidden else 400 if state.problems else 200
    selection = {k: v for k, v in state.params().items() if k not in ("sort", "limit")}
    return render_template(
        "table.html",
        spec=spec,
        title=spec.title(locale),
        state=state,
        columns=cols,
        rows=tables.rows(spec, window, cols, locale, names) if window else [],
        window=window,
        total=total,
        count_cap=tables.COUNT_CAP,
        filters=tables.filter_fields(spec),
        has_years=tables.has_years(spec),
        has_divisions="division_code" in repository.table_of(spec).c,
        divisions=divisions,
        division_names=names,
        page_sizes=tables.PAGE_SIZES,
        default_page_size=tables.PAGE_SIZE,
        problems=tables.problem_lines(spec, state.problems, locale),
        link=link,
        sort_link=sort_link,
        item_href=item_href,
        locale=locale,
        map_href=url_for("pages.map_page", collection=spec.name, **selection),
        export_formats=EXPORT_FORMATS,
        export_params=tables.export_params(state) if not state.problems else {},
    ), status


@bp.get("/search")
@signed_in
def search_page() -> Any:
    """Assets by id, external id, name or address; one match opens it directly."""
    principal = caller()
    locale = select_locale()
    text = request.args.get("q", "")
    problems: list[str] = []
    found = search.Found("")
    try:
        found = search.search(db(), principal, text)
    except InvalidInput as error:
        problems = [f"{_('Search')}: {describe(p, locale)}" for p in error.problems]
    only = found.only()
    if only is not None:
        return redirect(url_for("assets.asset_page", name=only.collection, key=only.key))
    divisions = tables.division_names(repository.visible_divisions(db(), principal), locale)
    groups = []
    for name, hits in found.groups.items():
        spec = COLLECTIONS[name]
        groups.append({
            "name": name, "title": spec.title(locale), "more": name in found.more,
            "hits": [{"hit": h, "href": item_href(name, h.key),
                      "type": tables.cell(spec.field(h.type_field) if h.type_field else None,
                                          h.type_field or "", h.type_code, locale, divisions),
                      "division": divisions.get(h.division_code, h.division_code)}
                     for h in hits],
        })
    return render_template("search.html", text=found.text or " ".join(text.split()),
                           groups=groups, problems=problems), 400 if problems else 200
