"""The gate of the console's upload forms (``ground.upload_route``): session, role and CSRF
token, checked before the file is stored.

The session cookies and the role are checked from the request's headers before a byte of the
body is read, with the console's own functions (no session: the sign-in redirect; wrong role:
the API's 403). The CSRF token comes in the ``X-CSRF-Token`` header (htmx), checked at once, or
in the form's hidden ``csrf_token`` field, which every upload form renders before its file
input — browsers send fields in document order — so it is checked when the file part starts,
before a byte of the file is written; a form whose token does not come first is refused.
The router's ``verify_csrf`` dependency checks it again once the form is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from accounts.dependencies import check_role
from accounts.models import Role
from ground.config import get_settings
from ground.db import unit_of_work
from ground.upload_route import Admission, Gate
from market.console.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, check_csrf
from market.console.session import LoginRequired, principal_from_cookies


def console_upload_gate(*roles: Role) -> Gate:
    def gate(request: Request) -> Admission:
        with unit_of_work() as session:
            principal = principal_from_cookies(request, session, get_settings())
        if principal is None:
            raise LoginRequired()
        check_role(principal, roles)
        expected = request.cookies.get(CSRF_COOKIE)
        header = request.headers.get(CSRF_HEADER)
        if header is not None:
            check_csrf(expected, header)
            return Admission()

        def token_field_first(fields: Mapping[str, str]) -> None:
            check_csrf(expected, fields.get(CSRF_FIELD))

        return Admission(check_fields=token_field_first)

    return gate
