"""An outsider's view of Sluice: accounts handed out by the operator, then nothing but HTTP.

Every attack in this package uses this harness. The only thing done behind HTTP is creating
the platform operator (an admin) once, as the operator of a real exchange would; every other
account, upload, review, order, key, query and read goes through the public API, with data
the attack makes itself. So an attack here is what anyone holding a buyer's or a provider's
account could do from outside.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from market.console.csrf import CSRF_COOKIE, CSRF_FIELD
from tests.fixtures.factories import FULL_CHECKLIST

PASSWORD = "outsider-password-123"
_counter = itertools.count()


@dataclass
class Account:
    """A signed-in user: their bearer headers and organization."""

    email: str
    role: str
    org_id: str
    headers: dict[str, str]


@dataclass
class Outsider:
    """Drives the API as users do. ``admin`` is the operator who hands out accounts."""

    client: TestClient
    admin_headers: dict[str, str]
    _keys: dict[str, str] = field(default_factory=dict)

    # ----- accounts ------------------------------------------------------------------------

    def account(self, role: str, *, org_kind: str | None = None) -> Account:
        """A new organization with one user of ``role``, signed in through POST /auth/token."""
        n = next(_counter)
        kind = org_kind or ("platform" if role in ("compliance", "admin") else "enterprise")
        org = self.client.post(
            "/api/v1/organizations",
            headers=self.admin_headers,
            json={"name": f"attack-org-{n}-{uuid.uuid4().hex[:6]}", "kind": kind},
        )
        assert org.status_code == 201, org.text
        email = f"attack-{role}-{n}-{uuid.uuid4().hex[:6]}@outside.example.com"
        user = self.client.post(
            "/api/v1/users",
            headers=self.admin_headers,
            json={
                "email": email,
                "password": PASSWORD,
                "role": role,
                "organization_id": org.json()["id"],
            },
        )
        assert user.status_code == 201, user.text
        token = self.client.post(
            "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        return Account(email, role, org.json()["id"], headers)

    # ----- provider --------------------------------------------------------------------------

    def upload(
        self,
        provider: Account,
        content: bytes,
        *,
        filename: str = "data.csv",
        title: str = "Attack dataset",
        **form: str,
    ) -> httpx.Response:
        """POST /datasets with the file as given; tasks run in-process, so a 201 is profiled."""
        return self.client.post(
            "/api/v1/datasets",
            headers=provider.headers,
            files={"file": (filename, io.BytesIO(content), "application/octet-stream")},
            data={"title": title, "domain": "attack", "description": "made by an attack", **form},
        )

    def uploaded(self, provider: Account, content: bytes, **kwargs: Any) -> dict[str, Any]:
        """Upload that must succeed; the dataset as its provider reads it afterwards."""
        response = self.upload(provider, content, **kwargs)
        assert response.status_code == 201, response.text
        return self.get(provider, f"/api/v1/datasets/{response.json()['id']}")

    def declare_delivery(self, provider: Account, dataset_id: str, mode: str) -> httpx.Response:
        """PUT /datasets/{id}/delivery-mode: rows, sandbox or both (uploads take it as a form
        field too: ``upload(..., delivery_mode="sandbox")``)."""
        return self.client.put(
            f"/api/v1/datasets/{dataset_id}/delivery-mode",
            headers=provider.headers,
            json={"delivery_mode": mode},
        )

    def set_policy(
        self, provider: Account, dataset_id: str, columns: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        response = self.client.put(
            f"/api/v1/datasets/{dataset_id}/policy",
            headers=provider.headers,
            json={"columns": columns, **extra},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def submit(self, provider: Account, dataset_id: str) -> None:
        for path, body in (
            ("authorization", {"source": "攻击测试来源", "legal_basis": "测试用法律依据"}),
            ("grade", {"grade": "general", "grade_level": 2, "reason": ""}),
        ):
            response = self.client.put(
                f"/api/v1/datasets/{dataset_id}/{path}", headers=provider.headers, json=body
            )
            assert response.status_code == 200, response.text
        response = self.client.post(
            f"/api/v1/datasets/{dataset_id}/submit", headers=provider.headers
        )
        assert response.status_code == 200, response.text

    def approve(self, compliance: Account, dataset_id: str) -> None:
        response = self.client.post(
            f"/api/v1/reviews/listings/{dataset_id}/approve",
            headers=compliance.headers,
            json={"grade": "general", "grade_level": 2, "checklist": FULL_CHECKLIST},
        )
        assert response.status_code == 200, response.text

    def list_dataset(self, provider: Account, compliance: Account, dataset_id: str) -> None:
        """Authorization, grade, submission and compliance approval, all over HTTP."""
        self.submit(provider, dataset_id)
        self.approve(compliance, dataset_id)

    # ----- buyer -----------------------------------------------------------------------------

    def plans(self, account: Account, dataset_id: str) -> list[dict[str, Any]]:
        return self.get(account, f"/api/v1/datasets/{dataset_id}/plans")

    def order(self, buyer: Account, dataset_id: str, plan_id: str) -> httpx.Response:
        return self.client.post(
            "/api/v1/orders",
            headers=buyer.headers,
            json={"dataset_id": dataset_id, "plan_id": plan_id, "usage_scenario": "攻击测试场景"},
        )

    def order_free_sample(self, buyer: Account, dataset_id: str) -> httpx.Response:
        free = [p for p in self.plans(buyer, dataset_id) if p["kind"] == "free_sample"]
        assert free, "the dataset offers no free sample plan"
        return self.order(buyer, dataset_id, free[0]["id"])

    def api_key(self, buyer: Account) -> str:
        """One data API key per buyer account, created on first use."""
        if buyer.email not in self._keys:
            response = self.client.post(
                "/api/v1/api-keys", headers=buyer.headers, json={"name": "x"}
            )
            assert response.status_code == 201, response.text
            self._keys[buyer.email] = response.json()["secret"]
        return self._keys[buyer.email]

    def rows(self, buyer: Account, dataset_id: str, **params: Any) -> httpx.Response:
        return self.client.get(
            f"/api/v1/data/{dataset_id}/rows",
            headers={"X-API-Key": self.api_key(buyer)},
            params=params,
        )

    # ----- sandbox ---------------------------------------------------------------------------

    def declare_profile(
        self, provider: Account, dataset_id: str, profile: dict[str, Any]
    ) -> httpx.Response:
        return self.client.put(
            f"/api/v1/sandbox/profiles/{dataset_id}", headers=provider.headers, json=profile
        )

    def sandbox_ready(
        self,
        provider: Account,
        compliance: Account,
        buyer: Account,
        dataset_id: str,
        profile: dict[str, Any],
        *,
        epsilon: float = 10.0,
    ) -> None:
        """Profile declared and approved, and the buyer's organization granted ``epsilon``."""
        declared = self.declare_profile(provider, dataset_id, profile)
        assert declared.status_code == 200, declared.text
        approved = self.client.post(
            f"/api/v1/sandbox/profiles/{dataset_id}/approve", headers=compliance.headers
        )
        assert approved.status_code == 200, approved.text
        grant = self.client.post(
            "/api/v1/sandbox/grants",
            headers=compliance.headers,
            json={
                "buyer_org_id": buyer.org_id,
                "dataset_id": dataset_id,
                "epsilon": epsilon,
                "delta": 1e-4,
                "max_queries": 1000,
            },
        )
        assert grant.status_code == 201, grant.text

    def query(
        self, buyer: Account, dataset_id: str, sql: str, *, epsilon: float = 0.1, **extra: Any
    ) -> httpx.Response:
        return self.client.post(
            "/api/v1/sandbox/queries",
            headers=buyer.headers,
            json={"dataset_id": dataset_id, "sql": sql, "epsilon": epsilon, **extra},
        )

    # ----- console ---------------------------------------------------------------------------

    @contextmanager
    def console(self, account: Account) -> Iterator[TestClient]:
        """A browser of its own signed in to the console as ``account``: the sign-in form with
        the CSRF token the page carries, then cookies, as a person at a browser would."""
        with TestClient(self.client.app) as browser:
            page = browser.get("/console/login")
            assert page.status_code == 200, page.text
            signed = browser.post(
                "/console/login",
                data={"email": account.email, "password": PASSWORD, **form_token(page.text)},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            yield browser

    def console_post(
        self, browser: TestClient, page_path: str, path: str, data: dict[str, str]
    ) -> httpx.Response:
        """Submit a console form: fetch its page for the CSRF token, then post."""
        page = browser.get(page_path)
        assert page.status_code == 200, page.text
        return browser.post(path, data={**data, **form_token(page.text)})

    # ----- anyone signed in --------------------------------------------------------------------

    def preview(self, account: Account, dataset_id: str, **params: Any) -> httpx.Response:
        return self.client.get(
            f"/api/v1/datasets/{dataset_id}/preview", headers=account.headers, params=params
        )

    def console_page(self, account: Account, path: str) -> httpx.Response:
        """A console page as ``account`` sees it in a browser: signed in through the sign-in
        form (with its CSRF token), then signed out again by dropping the cookies, so the
        next page of another account starts clean."""
        self.client.cookies.clear()
        self.client.get("/console/login")
        signed_in = self.client.post(
            "/console/login",
            data={
                "email": account.email,
                "password": PASSWORD,
                CSRF_FIELD: self.client.cookies[CSRF_COOKIE],
            },
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        try:
            return self.client.get(path)
        finally:
            self.client.cookies.clear()

    # ----- plumbing ----------------------------------------------------------------------------

    def get(self, account: Account, path: str, **params: Any) -> Any:
        response = self.client.get(path, headers=account.headers, params=params)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()


def form_token(page: str) -> dict[str, str]:
    """The hidden CSRF field of a console page, as its forms send it."""
    found = re.search(r'name="(csrf_token)" value="([^"]+)"', page)
    assert found, "the page carries no CSRF field"
    return {found.group(1): found.group(2)}


def html_tables(page: str) -> list[list[list[str]]]:
    """Every table of an HTML page as rows of cell texts (header rows included)."""
    parser = _TableParser()
    parser.feed(page)
    return parser.tables


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def csv_of(rows: Iterable[Iterable[object]], *, encoding: str = "utf-8") -> bytes:
    """A CSV file exactly as written: one line per row, cells joined by commas, no quoting."""
    return "".join(",".join(str(c) for c in row) + "\n" for row in rows).encode(encoding)


def all_keys(value: Any) -> set[str]:
    """Every key of every object nested in a JSON value: what a view names, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


def assert_absent(body: str | bytes | Any, secrets: Iterable[str], *, where: str = "") -> None:
    """No secret value appears anywhere in ``body`` (a response text, a page, a JSON value)."""
    if isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
    elif isinstance(body, str):
        text = body
    else:
        text = json.dumps(body, ensure_ascii=False, default=str)
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, f"{where or 'response'} leaks {leaked!r}"
