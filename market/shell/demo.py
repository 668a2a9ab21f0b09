"""Demo data: organizations, users and two realistic datasets generated locally.

Everything is synthetic (``anonymize.synthetic``): ID numbers, mobiles and credit codes have
valid check characters but belong to nobody. Seeding is idempotent: a second run finds the
demo organizations and only prints where to start.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import OrgKind, Role
from accounts.principal import Principal
from accounts.repository import AccountRepository
from anonymize import synthetic
from billing import service as plans
from ground.config import Environment, Settings
from ground.db import unit_of_work
from listings import authorization, grading, review
from listings import service as listings
from listings.models import DataGrade, DatasetStatus
from sandbox import profiles
from sandbox import service as sandbox

DEMO_PASSWORD = "sluice-demo"
_ORGS = {
    "gov": ("北京市海淀区人力资源和社会保障局", OrgKind.government),
    "corp": ("星河数据科技有限公司", OrgKind.enterprise),
    "buyer": ("云帆金融科技有限公司", OrgKind.enterprise),
    "platform": ("Sluice 数据交易平台", OrgKind.platform),
}
_USERS = {
    "gov@demo.sluice": ("gov", Role.provider, "王海淀"),
    "corp@demo.sluice": ("corp", Role.provider, "李星河"),
    "buyer@demo.sluice": ("buyer", Role.buyer, "赵云帆"),
    "compliance@demo.sluice": ("platform", Role.compliance, "合规专员"),
    "admin@demo.sluice": ("platform", Role.admin, "平台管理员"),
}


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    listed_dataset_id: str
    in_review_dataset_id: str


def social_insurance_csv(rng: np.random.Generator, rows: int) -> bytes:
    """A district's social-insurance register, exported as GB18030 like many government
    systems do, so the demo exercises the encoding path."""
    table = pa.table(
        {
            "姓名": synthetic.chinese_names(rng, rows),
            "身份证号": synthetic.resident_ids(rng, rows),
            "手机号": synthetic.mobiles(rng, rows),
            "参保类型": rng.choice(["城镇职工", "城乡居民", "灵活就业"], rows).tolist(),
            "缴费基数": rng.integers(3_500, 35_000, rows).tolist(),
            "参保日期": [
                f"{y}-{m:02d}-{d:02d}"
                for y, m, d in zip(
                    rng.integers(2005, 2025, rows),
                    rng.integers(1, 13, rows),
                    rng.integers(1, 29, rows),
                    strict=True,
                )
            ],
            "街道": rng.choice(["中关村街道", "学院路街道", "海淀街道", "清河街道"], rows).tolist(),
        }
    )
    return _csv_bytes(table).decode("utf-8").encode("gb18030")


def enterprise_registry_csv(rng: np.random.Generator, rows: int) -> bytes:
    """An enterprise registry extract with unified social credit codes, in UTF-8."""
    prefixes = ["北京", "上海", "深圳", "杭州", "成都"]
    middles = ["华信", "远景", "启明", "博通", "瑞丰", "恒达", "安泰", "鼎盛"]
    suffixes = ["科技有限公司", "贸易有限公司", "咨询有限公司", "制造有限公司"]
    table = pa.table(
        {
            "企业名称": [
                f"{a}{b}{c}"
                for a, b, c in zip(
                    rng.choice(prefixes, rows),
                    rng.choice(middles, rows),
                    rng.choice(suffixes, rows),
                    strict=True,
                )
            ],
            "统一社会信用代码": synthetic.usccs(rng, rows),
            "法定代表人": synthetic.chinese_names(rng, rows),
            "联系电话": synthetic.mobiles(rng, rows),
            "注册资本万元": rng.integers(10, 50_000, rows).tolist(),
            "注册地址": synthetic.addresses(rng, rows),
            "行业": rng.choice(["软件和信息技术服务业", "批发和零售业", "制造业"], rows).tolist(),
        }
    )
    return _csv_bytes(table)


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def seed(settings: Settings, *, console: Console, rows: int = 5_000) -> DemoSummary:
    if settings.environment is Environment.production:
        raise SystemExit("The demo seeds a well-known password; it refuses to run in production.")
    with unit_of_work() as session:
        repo = AccountRepository(session)
        admin = repo.user_by_email("admin@demo.sluice")
        if admin is not None:
            staff = Principal(user_id=admin.id, org_id=admin.organization_id, role=Role.admin)
            return DemoSummary(False, *_first_ids(session, staff))
        orgs = {
            key: accounts.create_organization(session, name=name, kind=kind)
            for key, (name, kind) in _ORGS.items()
        }
        users = {
            email: accounts.create_user(
                session,
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                organization_id=orgs[org_key].id,
                full_name=full_name,
            )
            for email, (org_key, role, full_name) in _USERS.items()
        }
    principals = {
        email: Principal(user_id=u.id, org_id=u.organization_id, role=Role(u.role))
        for email, u in users.items()
    }
    rng = np.random.default_rng(20261123)
    with console.status("Generating and ingesting demo datasets…"):
        social = _upload(
            settings,
            principals["gov@demo.sluice"],
            social_insurance_csv(rng, rows),
            filename="haidian_social_insurance_2025.csv",
            title="海淀区社会保险参保登记（脱敏）",
            domain="social_security",
            description="海淀区城镇职工与城乡居民参保登记记录，含参保类型、缴费基数与所属街道。",
        )
        registry = _upload(
            settings,
            principals["corp@demo.sluice"],
            enterprise_registry_csv(rng, rows // 2),
            filename="enterprise_registry.csv",
            title="企业工商登记信息",
            domain="enterprise_registry",
            description="企业名称、统一社会信用代码、法定代表人、注册资本、注册地址与行业。",
        )
    compliance = principals["compliance@demo.sluice"]
    with unit_of_work() as session:
        for dataset_id, owner, source in (
            (social, "gov@demo.sluice", "海淀区社会保险经办业务系统"),
            (registry, "corp@demo.sluice", "企业自有工商信息采集库"),
        ):
            who = principals[owner]
            authorization.set_authorization(
                session,
                who,
                dataset_id,
                source=source,
                legal_basis="《数据安全法》第三十二条；《公共数据授权运营管理办法》",
            )
            grading.propose_grade(
                session, who, dataset_id, grade=DataGrade.general, level=2, reason="脱敏后影响有限"
            )
            listings.submit(session, who, dataset_id)
        review.approve(
            session,
            compliance,
            social,
            grade=DataGrade.general,
            grade_level=2,
            checklist=dict.fromkeys(review.CHECKLIST, True),
            note="Demo: approved with the default policy.",
        )
        for plan in _DEMO_PLANS:
            plans.create_plan(session, principals["gov@demo.sluice"], social, dict(plan))
        _open_sandbox(session, settings, principals, social)
    return DemoSummary(True, str(social), str(registry))


def _open_sandbox(
    session: Session, settings: Settings, principals: dict[str, Principal], dataset_id: uuid.UUID
) -> None:
    """Privacy profile for the listed register and a sandbox budget for the demo buyer."""
    declared = {
        "privacy_unit": "身份证号",
        "max_rows_per_person": 1,
        "bounds": {"缴费基数": [0, 40_000]},
        "public_domains": {
            "参保类型": ["城镇职工", "城乡居民", "灵活就业"],
            "街道": ["中关村街道", "学院路街道", "海淀街道", "清河街道"],
        },
    }
    profiles.declare(
        session, principals["gov@demo.sluice"], dataset_id, declared, settings.data_dir
    )
    profiles.approve(session, principals["compliance@demo.sluice"], dataset_id, settings)
    buyer = principals["buyer@demo.sluice"]
    sandbox.grant_budget(
        session, buyer.org_id, dataset_id, 10.0, 1e-4, settings, source="demo", note="demo budget"
    )


# Priced plans on the listed dataset, next to its free sample (prices in fen).
_DEMO_PLANS: tuple[dict[str, object], ...] = (
    {
        "name": "API 10,000 次调用包（90 天）",
        "kind": "api_quota",
        "calls": 10_000,
        "valid_days": 90,
        "price_minor": 1_999_00,
    },
    {
        "name": "按月订阅：每月 5,000 次调用",
        "kind": "subscription",
        "calls": 5_000,
        "term_months": 12,
        "price_minor": 9_600_00,
        "overage_price_minor": 50,
    },
    {
        "name": "隐私沙箱：ε=3、δ=1e-6、200 次查询",
        "kind": "sandbox_pack",
        "calls": 200,
        "epsilon": 3.0,
        "delta": 1e-6,
        "valid_days": 180,
        "price_minor": 4_800_00,
    },
)


def _upload(
    settings: Settings,
    principal: Principal,
    content: bytes,
    *,
    filename: str,
    title: str,
    domain: str,
    description: str,
) -> uuid.UUID:
    with unit_of_work() as session:
        dataset = listings.create_dataset(
            session,
            principal,
            source=io.BytesIO(content),
            filename=filename,
            title=title,
            description=description,
            domain=domain,
            settings=settings,
        )
    # The demo goes on to grade and list what it uploaded, so it profiles here rather than wait
    # for a worker that may not be running yet: with a broker configured the queued ingest task
    # then finds the dataset profiled and does nothing (profiling is idempotent).
    with unit_of_work() as session:
        return listings.profile_dataset(session, dataset.id, settings.data_dir).id


def _first_ids(session: Session, staff: Principal) -> tuple[str, str]:
    found = []
    for status in (DatasetStatus.listed, DatasetStatus.in_review):
        rows, _total = listings.list_datasets(session, staff, status=status, limit=1, offset=0)
        found.append(str(rows[0].id) if rows else "-")
    return found[0], found[1]


def print_welcome(summary: DemoSummary, *, host: str, port: int, console: Console) -> None:
    base = f"http://{host}:{port}"
    console.rule("[bold]Sluice demo[/bold]")
    if not summary.created:
        console.print("Demo data already present; reusing it.")
    users = Table("user", "role", "password")
    for email, (_org, role, _name) in _USERS.items():
        users.add_row(email, str(role), DEMO_PASSWORD)
    console.print(users)
    console.print(f"OpenAPI docs:    {base}/docs")
    console.print(f"Listed dataset:  {summary.listed_dataset_id}")
    console.print(f"Awaiting review: {summary.in_review_dataset_id}")
    console.print(
        "Try it:\n"
        f"  TOKEN=$(curl -s -d 'username=buyer@demo.sluice&password={DEMO_PASSWORD}' "
        f"{base}/api/v1/auth/token | python3 -c "
        "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f"  curl -H \"Authorization: Bearer $TOKEN\" '{base}/api/v1/catalog'\n"
        "Sandbox (differential privacy) on the listed dataset:\n"
        f"  curl -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
        f'{base}/api/v1/sandbox/queries -d \'{{"dataset_id": "{summary.listed_dataset_id}", '
        '"sql": "SELECT 街道, count(*), avg(缴费基数) FROM dataset GROUP BY 街道"}\''
    )
