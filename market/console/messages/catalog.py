"""Texts of the catalog and the dataset page."""

MESSAGES: dict[str, tuple[str, str]] = {
    "catalog.nav": ("数据目录", "Catalog"),
    "catalog.title": ("数据目录", "Dataset catalog"),
    "catalog.filters": ("筛选条件", "Filters"),
    "catalog.q": ("关键词", "Words in title or description"),
    "catalog.domain": ("领域", "Domain"),
    "catalog.grade": ("分级", "Grade"),
    "catalog.provider": ("提供方", "Provider"),
    "catalog.apply": ("筛选", "Apply"),
    "catalog.reset": ("清除筛选", "Clear filters"),
    "catalog.found": ("共 {total} 个数据集", "{total} datasets"),
    "catalog.results": ("已上架的数据集", "Listed datasets"),
    "catalog.col_title": ("名称", "Title"),
    "catalog.col_rows": ("行数", "Rows"),
    "catalog.col_listed": ("上架时间", "Listed"),
    "catalog.none": ("没有符合条件的数据集。", "No dataset matches."),
    "catalog.description": ("简介", "Description"),
    "catalog.facts": ("基本信息", "About this dataset"),
    "catalog.status": ("状态", "Status"),
    "catalog.schema": ("数据结构", "Schema"),
    "catalog.schema_caption": (
        "各列按获批脱敏策略的发布形式，及可在隐私沙箱中聚合查询的列",
        "Each column as the approved policy releases it, and the columns the privacy sandbox "
        "aggregates",
    ),
    "catalog.col_released": ("明细中的发布形式", "Released in the rows as"),
    "catalog.col_sandbox": ("隐私沙箱", "Privacy sandbox"),
    "catalog.in_sandbox": ("可做差分隐私聚合", "DP aggregates"),
    "catalog.not_in_rows": ("明细中不提供", "not in the rows"),
    "catalog.delivery": ("交付方式", "Delivery"),
    "catalog.type.text": ("文本", "text"),
    "catalog.type.integer": ("整数", "integer"),
    "catalog.type.number": ("数值", "number"),
    "catalog.type.date": ("日期", "date"),
    "catalog.type.datetime": ("日期时间", "date and time"),
    "catalog.type.boolean": ("布尔", "boolean"),
    "catalog.type.other": ("其他", "other"),
    "catalog.synthetic_preview": ("合成样例", "Synthetic sample"),
    "catalog.synthetic_label": ("合成数据", "Synthetic"),
    "catalog.synthetic_explain": (
        "该数据集仅通过隐私沙箱提供，明细不出平台。以下各行由公开元数据（列名与类型、获批的"
        "发布形式、沙箱声明的公开取值域与取值范围）生成，不是真实数据，除公开取值域中的值外"
        "不含任何存储值。免费样例套餐提供的也是这些合成数据。",
        "This dataset is offered through the privacy sandbox only: its rows never leave the "
        "platform. The rows below are made from public metadata alone (column names and types, "
        "the approved released form, the sandbox's declared public domains and bounds); they "
        "are not real data and hold no stored value except public-domain values. Its free "
        "sample plan serves these synthetic rows too.",
    ),
    "catalog.synthetic_caption": (
        "{rows} 行合成数据（非真实数据）",
        "{rows} synthetic rows (not real data)",
    ),
    "catalog.col_name": ("列名", "Column"),
    "catalog.col_type": ("类型", "Type"),
    "catalog.col_kind": ("检测类型", "Detected kind"),
    "catalog.preview": ("脱敏样例", "Masked preview"),
    "catalog.preview_caption": (
        "前 {rows} 行，按获批的脱敏策略处理，与数据需求方收到的一致",
        "The first {rows} rows under the approved policy, exactly as a buyer receives them",
    ),
    "catalog.preview_unlisted": (
        "数据集上架后才有对外样例；提供方可在数据集管理页预览草稿策略。",
        "A buyer's preview exists once the dataset is listed; its provider can preview the "
        "draft policy on the dataset's management page.",
    ),
    "catalog.plans": ("套餐", "Plans"),
    "catalog.plans_caption": ("可订购的套餐", "Plans a buyer can order"),
    "catalog.plan_name": ("套餐", "Plan"),
    "catalog.plan_kind": ("类型", "Kind"),
    "catalog.plan_quota": ("额度", "Quota"),
    "catalog.plan_price": ("价格", "Price"),
    "catalog.no_plans": ("暂无可订购的套餐。", "No plan is offered yet."),
    "catalog.manage": ("管理此数据集", "Manage this dataset"),
    "catalog.personal_info": ("含个人信息", "Contains personal information"),
    "catalog.sensitive_info": ("含敏感个人信息", "Contains sensitive personal information"),
    "catalog.plan_kind.free_sample": ("免费试用", "free sample"),
    "catalog.plan_kind.api_quota": ("接口额度包", "API quota pack"),
    "catalog.plan_kind.subscription": ("订阅", "subscription"),
    "catalog.plan_kind.sandbox_pack": ("沙箱查询包", "sandbox pack"),
    "catalog.unit.calls": ("次调用", "calls"),
    "catalog.unit.rows": ("行", "rows"),
    "catalog.unit.queries": ("次查询", "queries"),
    "catalog.valid_days": ("{days} 天内有效", "valid {days} days"),
    "catalog.per_month": ("每月，共 {months} 个月", "per month for {months} months"),
}
