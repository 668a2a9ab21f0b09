"""The listing review pages: the queue, a dataset's review page, and the decisions on it."""

from __future__ import annotations

import html
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from anonymize import Policy
from audit.models import AuditRecord
from ground.config import Settings
from listings import authorization, policies, review
from listings.models import DataGrade, Dataset, DatasetStatus, DeliveryMode, ListingReview
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern, text
from tests.fixtures.factories import (
    create_dataset,
    create_listed_dataset,
    create_user,
    people_table,
    prepare_for_review,
    principal_of,
    submit_dataset,
)
from tests.fixtures.reads import reloaded
from tests.market.console.conftest import SignIn, post_form

TICKED = dict.fromkeys(review.CHECKLIST, "1")
RISKY_RULES = {
    "姓名": {"operator": "mask_name"},
    "身份证号": {"operator": "mask", "keep_first": 6, "keep_last": 4},
    "手机号": {"operator": "mask", "keep_first": 3, "keep_last": 4, "normalize": "mobile"},
    "城市": {"operator": "keep"},
    "金额": {"operator": "keep"},
}


@pytest.fixture
def submitted(session: Session, settings: Settings, provider: User) -> Dataset:
    dataset = create_dataset(session, settings, provider=provider, title="社保登记")
    return submit_dataset(session, dataset, provider=provider)


def _status(session: Session, dataset: Dataset) -> DatasetStatus:
    return reloaded(session, dataset).status


def _review_url(dataset: Dataset, action: str = "") -> str:
    return f"/console/compliance/listings/{dataset.id}" + (f"/{action}" if action else "")


def test_the_queue_lists_submissions_with_their_provider_and_grade(
    client: TestClient, submitted: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    page = client.get("/console/compliance/listings")
    assert page.status_code == 200
    assert shown("compliance.listings.title") in page.text
    row = re.search(
        rf'<tr>\s*<th scope="row"><a href="{_review_url(submitted)}">社保登记</a>.*?</tr>',
        page.text,
        re.S,
    )
    assert row, page.text
    proposed = shown("common.grade_level", grade=text("common.grade.general"), level=2)
    assert proposed in row.group(0)  # the proposed grade
    assert shown("catalog.sensitive_info") in row.group(0)


def test_the_queue_filters_by_grade_and_status(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    submitted: Dataset,
    signed_in: SignIn,
) -> None:
    create_listed_dataset(session, settings, provider=provider, title="已上架的数据")
    signed_in(reviewer)

    def titles(**params: str) -> set[str]:
        page = client.get("/console/compliance/listings", params=params)
        assert page.status_code == 200
        return set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', page.text))

    assert titles() == {"社保登记"}
    assert titles(grade="important") == set()
    assert titles(grade="general", status="submission") == {"社保登记"}
    assert titles(status="policy_change") == set()
    assert titles(status="listed", grade="") == {"已上架的数据"}


def test_a_malformed_filter_is_a_readable_error(
    client: TestClient, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    page = client.get("/console/compliance/listings", params={"grade": "secret"})
    assert page.status_code == 400
    assert "grade：'secret' 不是可选值" in html.unescape(page.text)


def test_the_queue_flags_a_release_under_k(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    dataset = create_dataset(session, settings, provider=provider, title="风险数据")
    prepare_for_review(session, dataset, provider=provider)
    policies.update_policy(
        session,
        principal_of(provider),
        dataset.id,
        Policy.model_validate({"columns": RISKY_RULES, "quasi_identifiers": ["城市", "金额"]}),
        data_dir=settings.data_dir,
        k_threshold=settings.k_anonymity_min,
    )
    submit_dataset(session, dataset, provider=provider)
    signed_in(reviewer)
    queue = client.get("/console/compliance/listings").text
    assert shown("compliance.k_below", k=1, threshold=settings.k_anonymity_min) in queue
    page = client.get(_review_url(dataset)).text
    assert "data-k-flag" in page
    assert pattern("compliance.review.k_flag", k=1, threshold=settings.k_anonymity_min).search(page)


def test_the_review_page_shows_what_the_api_review_view_shows(
    client: TestClient, settings: Settings, submitted: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    client_ = signed_in(reviewer)
    page = client_.get(_review_url(submitted))
    assert page.status_code == 200
    body = page.text
    mask = ", ".join(
        f"{text(f'provider.param.{name}')} {value}"
        for name, value in (("keep_first", 6), ("keep_last", 4), ("mask_char", "*"))
    )
    for expected in (
        "区社保中心业务系统",  # the stated source
        "《数据安全法》第三十二条",  # the legal basis
        shown("compliance.review.suggested_grade"),  # the suggested grade
        "valid resident ID numbers",  # a detector's evidence
        'class="sensitive"',
        f"{text('provider.op.mask')} ({mask})",  # the resident ID treatment
        shown("compliance.review.preview"),
        shown("compliance.review.no_history"),
    ):
        assert expected in body, expected
    raw_id = str(people_table()["身份证号"][0])
    assert raw_id not in body  # the preview is masked
    assert raw_id[:6] in body
    # Six labelled checkboxes, each with the service's own wording.
    for key, (_, zh) in review.CHECKLIST.items():
        assert f'<input type="checkbox" id="check-{key}" name="{key}" value="1">' in body
        assert f'<label for="check-{key}">{zh}</label>' in body


def test_the_review_page_speaks_english_on_request(
    client: TestClient, submitted: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    client.cookies.set("lang", "en")
    page = client.get(_review_url(submitted)).text
    assert shown("compliance.review.checklist", "en") in page
    assert review.CHECKLIST["preview_checked"][0] in page
    assert shown("compliance.review.checklist", "zh") not in page


def test_approving_with_the_whole_checklist_lists_the_dataset(
    client: TestClient,
    session: Session,
    submitted: Dataset,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    form = {**TICKED, "grade": "important", "grade_level": "3", "note": "材料齐全"}
    response = post_form(client, _review_url(submitted, "approve"), form)
    assert response.status_code == 303
    assert response.headers["location"] == _review_url(submitted) + "?done=approved"
    session.expire_all()
    stored = session.get(Dataset, submitted.id)
    assert stored is not None
    assert stored.status == DatasetStatus.listed
    assert (stored.grade, stored.grade_level) == (DataGrade.important, None)
    decision = session.exec(
        select(ListingReview).where(ListingReview.dataset_id == submitted.id)
    ).one()
    assert decision.checklist == dict.fromkeys(review.CHECKLIST, True)
    assert decision.reason == "材料齐全"
    page = client.get(response.headers["location"]).text
    assert shown("compliance.done.approved") in page
    assert shown("compliance.review.suspend_button") in page  # it can now be suspended


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_approving_without_every_item_changes_nothing(
    client: TestClient,
    session: Session,
    submitted: Dataset,
    reviewer: User,
    signed_in: SignIn,
    lang: str,
) -> None:
    signed_in(reviewer)
    client.cookies.set("lang", lang)
    form = {**TICKED, "grade": "general", "grade_level": "2"}
    del form["reidentification_risk_acceptable"]
    response = post_form(client, _review_url(submitted, "approve"), form)
    assert response.status_code == 400
    expected = (
        "请先完成审核清单：重识别风险可接受" if lang == "zh" else "Complete the review checklist"
    )
    assert expected in response.text
    assert _status(session, submitted) == DatasetStatus.in_review
    assert session.exec(select(ListingReview)).first() is None


def test_core_data_cannot_be_approved(
    client: TestClient, session: Session, submitted: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    form = {**TICKED, "grade": "core"}
    response = post_form(client, _review_url(submitted, "approve"), form)
    assert response.status_code == 409
    assert "核心数据一律不得上架" in response.text
    assert _status(session, submitted) == DatasetStatus.in_review


def test_rejecting_sends_the_reasons_back_to_the_provider(
    client: TestClient,
    session: Session,
    submitted: Dataset,
    reviewer: User,
    provider: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    blank = post_form(client, _review_url(submitted, "reject"), {"reason": "   "})
    assert blank.status_code == 400
    assert _status(session, submitted) == DatasetStatus.in_review
    response = post_form(client, _review_url(submitted, "reject"), {"reason": "手机号需全部遮盖"})
    assert response.status_code == 303
    assert _status(session, submitted) == DatasetStatus.rejected
    page = client.get(_review_url(submitted)).text
    assert "手机号需全部遮盖" in page
    assert shown("compliance.review.approve_button") not in page  # nothing left to decide


def test_suspending_and_reinstating_a_listed_dataset(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    dataset = create_listed_dataset(session, settings, provider=provider, reviewer=reviewer)
    signed_in(reviewer)
    assert post_form(client, _review_url(dataset, "reinstate"), {"reason": "x"}).status_code == 409
    assert _status(session, dataset) == DatasetStatus.listed

    response = post_form(client, _review_url(dataset, "suspend"), {"reason": "疑似泄露"})
    assert response.status_code == 303
    assert _status(session, dataset) == DatasetStatus.suspended
    page = client.get(response.headers["location"]).text
    assert shown("compliance.done.suspended") in page
    assert shown("compliance.review.reinstate_button") in page

    assert (
        post_form(client, _review_url(dataset, "reinstate"), {"reason": "已核查"}).status_code
        == 303
    )
    assert _status(session, dataset) == DatasetStatus.listed
    actions = session.exec(
        select(AuditRecord.action).where(AuditRecord.dataset_id == dataset.id)
    ).all()
    assert {"listing.suspend", "listing.reinstate"} <= set(actions)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, session: Session, submitted: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    form = {**TICKED, "grade": "general", "grade_level": "2"}
    response = client.post(_review_url(submitted, "approve"), data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert _status(session, submitted) == DatasetStatus.in_review


@pytest.mark.parametrize("role", [Role.provider, Role.buyer, Role.admin])
def test_only_compliance_may_decide(
    client: TestClient,
    session: Session,
    submitted: Dataset,
    signed_in: SignIn,
    role: Role,
) -> None:
    signed_in(create_user(session, role=role))
    form = {**TICKED, "grade": "general", "grade_level": "2"}
    response = post_form(client, _review_url(submitted, "approve"), form)
    assert response.status_code == 403
    assert "此操作需要角色 compliance" in response.text
    assert _status(session, submitted) == DatasetStatus.in_review


def test_a_reviewer_opens_the_authorization_documents(
    client: TestClient,
    session: Session,
    settings: Settings,
    submitted: Dataset,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    attachment = authorization.add_attachment(
        session,
        principal_of(provider),
        submitted.id,
        source=io.BytesIO(b"%PDF-1.4 approval letter"),
        filename="授权书.pdf",
        settings=settings,
    )
    signed_in(reviewer)
    page = client.get(_review_url(submitted)).text
    link = f"{_review_url(submitted)}/attachments/{attachment.id}"
    assert f'href="{link}">授权书.pdf</a>' in page
    download = client.get(link)
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4 approval letter"


def test_the_review_page_shows_what_the_rows_give_exactly_when_both_are_offered(
    client: TestClient, submitted: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    page = client.get(_review_url(submitted)).text
    assert "data-tradeoff" in page
    assert not pattern("compliance.listings.exact_in_rows").search(page)  # the queue's wording
    assert "全表 COUNT(*)" in page  # what the sandbox can no longer protect, in Chinese
    assert re.search(r'data-exposure="exact"><th scope="row">城市', page)
    client.get("/console/lang/en")
    english = client.get(_review_url(submitted)).text
    assert "COUNT(*) of the whole dataset" in english
    queue = client.get("/console/compliance/listings").text
    assert "data-exact-columns" in queue
    assert "城市, 金额" in queue


def test_a_sandbox_only_submission_shows_no_trade_off(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    dataset = create_dataset(
        session, settings, provider=provider, delivery_mode=DeliveryMode.sandbox
    )
    submit_dataset(session, dataset, provider=provider)
    signed_in(reviewer)
    page = client.get(_review_url(dataset)).text
    assert "data-tradeoff" not in page
    assert shown("compliance.review.sandbox_only") in page
