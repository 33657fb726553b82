"""Who may call a view: ``@signed_in``, ``@roles(...)``, and ``caller()`` inside the view.

One place decides how a caller is refused, so no view forgets it or does it its own way. With
no credentials, a page sends the browser to the login page and back again (``next``), while
the API and the tiles answer 401 (``web.errors`` maps ``Unauthenticated`` to problem+json
there), and so do the few page URLs that scripts fetch. A role outside a view's list is
refused with 403 before the view reads or writes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from flask import current_app, redirect, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from resilience.accounts import Principal
from resilience.errors import Forbidden, Problem
from web.errors import wants_problem_json
from web.session import current_principal, unauthenticated

View = TypeVar("View", bound=Callable[..., Any])


def caller() -> Principal:
    """The signed-in caller of this request (401 when there is none; views get it past ``@signed_in``)."""
    principal = current_principal()
    assert principal is not None  # current_principal raises Unauthenticated instead
    return principal


def _opens_with_get(path: str) -> bool:
    """Whether the login page may send the browser back to ``path`` (a form's POST URL may not)."""
    try:
        current_app.create_url_adapter(request).match(path, method="GET")  # type: ignore[union-attr]
    except HTTPException:
        return False
    return True


def login_redirect() -> Response:
    """The login page, then back here: the page with its query, or the form's page after a POST."""
    if request.method in ("GET", "HEAD"):
        back: str | None = request.full_path.rstrip("?")
    else:
        back = request.path if _opens_with_get(request.path) else None
    return redirect(url_for("pages.login_page", next=back) if back else url_for("pages.login_page"))


@overload
def signed_in(view: View, /) -> View: ...


@overload
def signed_in(*, login_page: bool = True) -> Callable[[View], View]: ...


def signed_in(view: View | None = None, /, *, login_page: bool = True) -> Any:
    """Only for a caller with credentials; pages send the others to the login page, the API says 401.

    ``@signed_in(login_page=False)`` is for page URLs that scripts fetch (basemap tiles, photo
    uploads): a redirect would read as success there, so they answer 401 too.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if current_principal(optional=True) is None:
                if login_page and not wants_problem_json():
                    return login_redirect()
                raise unauthenticated()
            return view(*args, **kwargs)

        return cast(View, checked)

    return decorate if view is None else decorate(view)


def roles(*allowed: str, why: str = "role may not do this",
          problem: Callable[[Principal], Problem] | None = None) -> Callable[[View], View]:
    """Signed in (as ``@signed_in``) and in one of ``allowed``; any other role gets 403.

    Args:
        why: the refusal's message (the problem+json ``detail`` when there is no ``problem``).
        problem: what the refusal lists, when the domain has words for it.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            principal = caller()
            if principal.role not in allowed:
                raise Forbidden(why, [problem(principal)] if problem else [], role=principal.role)
            return view(*args, **kwargs)

        return signed_in(cast(View, checked))

    return decorate
