"""Texts of the buyer's pages: orders and payment, API keys, usage and the sandbox."""

MESSAGES: dict[str, tuple[str, str]] = {
    "buyer.nav.orders": ("我的订单", "My orders"),
    "buyer.nav.keys": ("API 密钥", "API keys"),
    "buyer.nav.usage": ("用量与账单", "Usage"),
    "buyer.nav.sandbox": ("隐私沙箱", "Sandbox"),
    # --- ordering (on the catalog's dataset page) ----------------------------------------
    "buyer.order.heading": ("订购", "Order"),
    "buyer.order.choose_plan": ("选择套餐", "Choose a plan"),
    "buyer.order.scenario": ("数据使用场景（必填）", "Usage scenario (required)"),
    "buyer.order.scenario_hint": (
        "说明数据将用于什么业务、由谁使用。场景会记入授权与审计日志，数据只能在此场景内使用。",
        "What the data will be used for, and by whom. The scenario is recorded with the "
        "entitlement and in the audit log; the data may be used for it only.",
    ),
    "buyer.order.reviewed": (
        "该数据集为重要或核心数据，订单需先经合规审核。",
        "This dataset is graded important or core: compliance reviews the order first.",
    ),
    "buyer.order.submit": ("提交订单", "Place the order"),
    # --- orders --------------------------------------------------------------------------
    "buyer.orders.title": ("我的订单", "My orders"),
    "buyer.orders.intro": (
        "本机构的全部订单，最新的在前。在数据目录中选择数据集和套餐即可下单。",
        "Your organization's orders, newest first. Order from a dataset's page in the catalog.",
    ),
    "buyer.orders.to_catalog": ("前往数据目录", "Go to the catalog"),
    "buyer.orders.how": ("订单流程", "How an order proceeds"),
    "buyer.orders.how_detail": (
        "一般数据的订单直接进入待支付；重要、核心数据的订单先经合规审核。免费套餐无需支付，"
        "提交即生效。未支付的订单可以取消；已支付的订单只能由平台退款。",
        "Orders on general data go straight to payment; orders on important or core data are "
        "reviewed by compliance first. Free plans need no payment and are active at once. "
        "Unpaid orders can be cancelled; a paid order can only be refunded by the platform.",
    ),
    "buyer.orders.list": ("订单（共 {total} 个）", "Orders ({total})"),
    "buyer.orders.caption": (
        "订单、状态说明与合规附加条件",
        "Orders, what their state means, and conditions set by compliance",
    ),
    "buyer.orders.none": ("还没有订单。", "No orders yet."),
    "buyer.steps": ("订单步骤", "Order steps"),
    "buyer.col.dataset": ("数据集", "Dataset"),
    "buyer.col.plan": ("套餐", "Plan"),
    "buyer.col.scenario": ("使用场景", "Usage scenario"),
    "buyer.col.status": ("状态", "State"),
    "buyer.col.conditions": ("合规附加条件", "Conditions from compliance"),
    "buyer.col.price": ("金额", "Price"),
    "buyer.col.created": ("创建时间", "Created"),
    "buyer.status.pending_review": ("待合规审核", "pending review"),
    "buyer.status.awaiting_payment": ("待支付", "awaiting payment"),
    "buyer.status.paid": ("已支付", "paid"),
    "buyer.status.active": ("生效中", "active"),
    "buyer.status.expired": ("已到期", "expired"),
    "buyer.status.cancelled": ("已取消", "cancelled"),
    "buyer.status.refunded": ("已退款", "refunded"),
    "buyer.status_help.pending_review": (
        "合规专员正在审核您声明的使用场景，通过后即可支付。",
        "Compliance is reviewing the usage scenario you declared; you can pay once approved.",
    ),
    "buyer.status_help.awaiting_payment": (
        "请以银行卡或银行转账支付，到账后立即生效。",
        "Pay by card or bank transfer; access starts as soon as the payment arrives.",
    ),
    "buyer.status_help.paid": (
        "已收到付款，正在开通授权。",
        "Payment received; the entitlement is being granted.",
    ),
    "buyer.status_help.active": (
        "授权生效中，可在额度和有效期内使用数据。",
        "Active: use the data within the quota and the validity period.",
    ),
    "buyer.status_help.expired": (
        "有效期已过，如需继续使用请重新订购。",
        "The validity period has ended; order again to continue.",
    ),
    "buyer.status_help.cancelled": (
        "订单已取消（由您取消或未通过合规审核），未产生费用。",
        "Cancelled (by you, or not approved by compliance); nothing was charged.",
    ),
    "buyer.status_help.refunded": (
        "款项已退回，授权已终止。",
        "The payment was refunded and access has ended.",
    ),
    "buyer.condition.quota": ("额度上限 {quota}", "quota at most {quota}"),
    "buyer.condition.days": ("有效期上限 {days} 天", "at most {days} days"),
    "buyer.condition.quota_long": (
        "合规审核限定：授权额度最多 {quota}（低于套餐额度时以此为准）。",
        "Set by compliance: the quota granted is at most {quota}, whatever the plan offers.",
    ),
    "buyer.condition.days_long": (
        "合规审核限定：授权自生效起最多 {days} 天。",
        "Set by compliance: access lasts at most {days} days from activation.",
    ),
    "buyer.condition.none": ("无附加条件。", "No conditions."),
    "buyer.order.title": ("订单：{dataset}", "Order: {dataset}"),
    "buyer.order.back": ("返回订单列表", "Back to your orders"),
    "buyer.order.state": ("当前状态", "State"),
    "buyer.order.number": ("订单号", "Order number"),
    "buyer.order.access": ("授权", "Access"),
    "buyer.order.quota": ("剩余额度", "Quota left"),
    "buyer.order.valid_until": ("有效期至", "Valid until"),
    "buyer.order.to_usage": ("查看用量", "See usage"),
    "buyer.order.to_keys": ("管理 API 密钥", "Manage API keys"),
    "buyer.order.to_sandbox": ("打开沙箱", "Open the sandbox"),
    "buyer.entitlement.active": ("有效", "active"),
    "buyer.entitlement.revoked": ("已撤销", "revoked"),
    "buyer.entitlement.expired": ("已到期", "expired"),
    "buyer.pay.heading": ("支付 {amount}", "Pay {amount}"),
    "buyer.pay.card": ("银行卡支付", "By card"),
    "buyer.pay.card_button": ("前往 Stripe 支付 {amount}", "Pay {amount} on Stripe"),
    "buyer.pay.card_help": (
        "将跳转到 Stripe 的支付页面；支付确认后订单自动生效。",
        "You are taken to Stripe's payment page; the order becomes active once Stripe "
        "confirms the payment.",
    ),
    "buyer.pay.card_off": (
        "本平台未开通银行卡支付，请使用银行转账。",
        "Card payments are not enabled on this exchange; please pay by bank transfer.",
    ),
    "buyer.pay.bank": ("银行转账", "By bank transfer"),
    "buyer.pay.amount": ("转账金额", "Amount"),
    "buyer.pay.reference": ("付款附言（请填写订单号）", "Payment reference (the order number)"),
    "buyer.pay.account": ("收款账户", "Pay to"),
    "buyer.pay.account_ask": (
        "请联系平台运营人员获取收款账户。",
        "Ask the exchange's operators for the account details.",
    ),
    "buyer.pay.bank_help": (
        "请足额转账并在附言中填写订单号。平台管理员核对到账后登记，订单随即生效。",
        "Transfer the exact amount with the order number as the reference. An administrator "
        "records the transfer when it arrives, and the order becomes active.",
    ),
    "buyer.cancel.help": (
        "不再需要？未支付的订单可以取消。",
        "Changed your mind? An unpaid order can be cancelled.",
    ),
    "buyer.cancel.button": ("取消订单", "Cancel the order"),
    "buyer.history": ("订单记录", "History"),
    "buyer.history_caption": (
        "状态变化及原因（如审核意见、付款流水号）",
        "State changes and their reasons (a reviewer's note, a payment reference)",
    ),
    "buyer.history.when": ("时间", "When"),
    "buyer.history.state": ("状态变化", "Change"),
    "buyer.history.reason": ("原因", "Reason"),
    "buyer.done.placed": ("订单已提交。", "Your order is placed."),
    "buyer.done.activated": (
        "订单已生效：免费套餐无需支付。",
        "Your order is active: a free plan needs no payment.",
    ),
    "buyer.done.cancelled": ("订单已取消。", "The order is cancelled."),
    "buyer.done.paid": (
        "感谢付款。Stripe 确认后订单即生效，本页会显示最新状态。",
        "Thank you. The order becomes active once Stripe confirms the payment; this page "
        "shows its current state.",
    ),
    "buyer.done.paid_confirmed": (
        "感谢付款，付款已确认，订单已生效。",
        "Thank you: the payment is confirmed and the order is active.",
    ),
    "buyer.done.payment_cancelled": (
        "支付未完成，您可以稍后重试。",
        "The payment was not completed; you can try again.",
    ),
    "buyer.done.key_revoked": (
        "密钥已撤销，使用它的调用将被拒绝。",
        "The key is revoked; calls made with it are refused.",
    ),
    # --- API keys ------------------------------------------------------------------------
    "buyer.keys.title": ("API 密钥", "API keys"),
    "buyer.keys.intro": (
        "程序调用数据接口时，在请求头 X-API-Key 中携带密钥。密钥属于本机构，平台只保存其摘要。",
        "Programs send a key in the X-API-Key header to call the data API. Keys belong to your "
        "organization; the exchange keeps only a digest of each.",
    ),
    "buyer.keys.created": ("已创建密钥“{name}”", "Key “{name}” created"),
    "buyer.keys.once": (
        "请立即复制并妥善保存：密钥只显示这一次，离开本页后无法再次查看。",
        "Copy it now and keep it safe: the key is shown this once and cannot be shown again.",
    ),
    "buyer.keys.secret": ("密钥", "Key"),
    "buyer.keys.copy": ("复制", "Copy"),
    "buyer.keys.copied": ("已复制到剪贴板。", "Copied to the clipboard."),
    "buyer.keys.usage_hint": ("调用示例：", "Use it as:"),
    "buyer.keys.new": ("新建密钥", "New key"),
    "buyer.keys.name": ("名称", "Name"),
    "buyer.keys.name_hint": (
        "便于区分用途，例如“风控模型-生产环境”",
        "Tells keys apart, e.g. “risk model – production”",
    ),
    "buyer.keys.create": ("创建密钥", "Create key"),
    "buyer.keys.list": ("本机构的密钥", "Your organization's keys"),
    "buyer.keys.caption": (
        "密钥前缀、创建和最近使用时间",
        "Keys by prefix, with when they were created and last used",
    ),
    "buyer.keys.prefix": ("前缀", "Prefix"),
    "buyer.keys.last_used": ("最近使用", "Last used"),
    "buyer.keys.never": ("从未使用", "never"),
    "buyer.keys.active": ("有效", "active"),
    "buyer.keys.revoked_at": ("已于 {when} 撤销", "revoked {when}"),
    "buyer.keys.actions": ("操作", "Actions"),
    "buyer.keys.revoke": ("撤销", "Revoke"),
    "buyer.keys.none": ("还没有密钥。", "No keys yet."),
    "buyer.keys.revoke_title": ("撤销密钥", "Revoke a key"),
    "buyer.keys.revoke_confirm": (
        "确定撤销密钥“{name}”（{prefix}…）吗？使用它的程序将立即无法调用，此操作不可恢复。",
        "Revoke the key “{name}” ({prefix}…)? Programs using it stop working at once; this "
        "cannot be undone.",
    ),
    "buyer.keys.revoke_button": ("确认撤销", "Yes, revoke it"),
    "buyer.keys.keep": ("不撤销，返回", "No, keep it"),
    # --- usage ---------------------------------------------------------------------------
    "buyer.usage.title": ("用量与账单", "Usage and statements"),
    "buyer.usage.statement": ("授权对账单", "Statement per entitlement"),
    "buyer.usage.statement_caption": (
        "每项授权的实付金额、已用与剩余额度、隐私预算",
        "Paid, used and left on each entitlement: money, quota and privacy budget",
    ),
    "buyer.usage.paid": ("实付", "Paid"),
    "buyer.usage.quota_left": ("剩余 / 总额度", "Quota left / total"),
    "buyer.usage.calls_used": ("已调用次数", "Calls used"),
    "buyer.usage.rows_used": ("已获取行数", "Rows received"),
    "buyer.usage.epsilon_used_left": ("ε 已用 / 剩余", "ε used / left"),
    "buyer.usage.no_statements": ("还没有生效的授权。", "No entitlement yet."),
    "buyer.usage.range": ("时间范围", "Period"),
    "buyer.usage.last_days": ("最近 {days} 天", "last {days} days"),
    "buyer.usage.show": ("显示", "Show"),
    "buyer.usage.calls_chart": ("每日调用量", "Calls per day"),
    "buyer.usage.calls_chart_desc": (
        "{since} 至 {until} 各数据集每日调用次数（接口调用与沙箱查询），共 {total} 次",
        "Calls per day and dataset (API calls and sandbox queries) from {since} to {until}, "
        "{total} in total",
    ),
    "buyer.usage.calls": ("调用次数", "calls"),
    "buyer.usage.others": ("其他数据集", "other datasets"),
    "buyer.usage.axis_day": ("日期（UTC）", "Day (UTC)"),
    "buyer.usage.axis_calls": ("调用次数", "Calls"),
    "buyer.usage.totals_caption": (
        "最近 {days} 天各数据集合计",
        "Totals per dataset over the last {days} days",
    ),
    "buyer.usage.budgets": ("隐私预算", "Privacy budgets"),
    "buyer.usage.budget_line": (
        "已用 ε {spent} / 总额 {total}，剩余 {left}；查询 {used} / {max} 次",
        "ε spent {spent} of {total}, {left} left; {used} of {max} queries used",
    ),
    "buyer.usage.budget_chart": ("隐私预算：{dataset}", "Privacy budget: {dataset}"),
    "buyer.usage.budget_chart_desc": (
        "{dataset} 上每日结束时的 ε 与预算总额对比（{since} 至 {until}）；目前已用 {spent}，"
        "总额 {total}，剩余 {left}",
        "ε on {dataset} at the end of each day against the budget's total, {since} to "
        "{until}; now {spent} spent of {total}, {left} left",
    ),
    "buyer.usage.epsilon_spent": ("累计已用 ε", "ε spent"),
    "buyer.usage.epsilon_left": ("剩余 ε", "ε left"),
    "buyer.usage.epsilon_total": ("预算总额", "budget"),
    "buyer.usage.no_budgets": (
        "还没有隐私预算。购买沙箱查询包后即可在沙箱中查询。",
        "No privacy budget yet. Buy a sandbox pack to query in the sandbox.",
    ),
    # --- sandbox -------------------------------------------------------------------------
    "buyer.sandbox.title": ("隐私沙箱", "Privacy sandbox"),
    "buyer.sandbox.intro": (
        "在沙箱中对原始数据执行聚合 SQL，只返回加入差分隐私噪声的统计结果，"
        "每次查询消耗隐私预算 ε。",
        "Run aggregate SQL over the raw data; only numbers with differential-privacy noise "
        "come back, and each query spends privacy budget ε.",
    ),
    "buyer.sandbox.budgets_caption": ("本机构的沙箱预算", "Your organization's sandbox budgets"),
    "buyer.sandbox.none": (
        "还没有沙箱预算。请先在数据目录中购买沙箱查询包。",
        "No sandbox budget yet. Buy a sandbox pack in the catalog first.",
    ),
    "buyer.sandbox.page_title": ("沙箱：{dataset}", "Sandbox: {dataset}"),
    "buyer.sandbox.back": ("全部沙箱预算", "All sandbox budgets"),
    "buyer.sandbox.dataset_page": ("数据集详情", "Dataset page"),
    "buyer.sandbox.editor": ("SQL 查询", "SQL query"),
    "buyer.sandbox.no_profile": (
        "该数据集的沙箱隐私配置尚未获批，查询会被拒绝。",
        "This dataset's sandbox privacy profile is not approved yet; queries are refused.",
    ),
    "buyer.sandbox.sql": ("SQL（表名为 dataset）", "SQL (the table is called dataset)"),
    "buyer.sandbox.sql_hint": (
        "一条 SELECT 聚合查询：COUNT、SUM、AVG、VARIANCE/STDDEV、MEDIAN、QUANTILE、MIN/MAX，"
        "可含 WHERE、GROUP BY、ORDER BY、LIMIT。",
        "One SELECT of aggregates (COUNT, SUM, AVG, VARIANCE/STDDEV, MEDIAN, QUANTILE, "
        "MIN/MAX) with WHERE, GROUP BY, ORDER BY and LIMIT.",
    ),
    "buyer.sandbox.epsilon": ("本次查询的 ε", "ε for this query"),
    "buyer.sandbox.epsilon_hint": (
        "留空则使用默认值 {default}。ε 越大噪声越小，消耗的预算越多。",
        "Leave empty for the default, {default}. A larger ε means less noise and more "
        "budget spent.",
    ),
    "buyer.sandbox.run": ("执行查询", "Run query"),
    "buyer.sandbox.dry_run": ("仅估算（不消耗预算）", "Dry run (spends nothing)"),
    "buyer.sandbox.help": ("可用的列、公开边界与取值", "Columns, public bounds and values"),
    "buyer.sandbox.help_table": (
        "表 dataset 的列。数值会被截断到公开边界内；有公开取值的列按这些取值分组。",
        "The columns of the table dataset. Numbers are clamped to their public bounds; "
        "columns with public values are grouped by exactly those values.",
    ),
    "buyer.sandbox.bounds": ("边界 [{low}, {high}]", "bounds [{low}, {high}]"),
    "buyer.sandbox.domain": ("公开取值：{values}", "public values: {values}"),
    "buyer.sandbox.privacy_unit": ("个人标识列（不可直接查询）", "identifies a person"),
    "buyer.sandbox.budget": ("剩余预算", "Budget left"),
    "buyer.sandbox.epsilon_left": ("剩余 ε / 总额", "ε left / total"),
    "buyer.sandbox.delta_left": ("剩余 δ / 总额", "δ left / total"),
    "buyer.sandbox.queries_left": ("剩余查询次数", "Queries left"),
    "buyer.sandbox.epsilon_max_single": (
        "单次查询最多 ε（每次查询只从一个套餐或授权中扣除）",
        "Most ε for one query (a query is paid from one pack or grant)",
    ),
    "buyer.sandbox.lapsed": ("已失效、不可再用", "Lapsed, no longer usable"),
    "buyer.sandbox.lapsed_value": (
        "ε = {epsilon}，查询 {queries} 次（来自已过期或已终止的套餐或授权）",
        "ε = {epsilon}, {queries} queries (in packs or grants that expired or were ended)",
    ),
    "buyer.sandbox.default_epsilon": ("默认每次 ε", "Default ε per query"),
    "buyer.sandbox.estimate": ("估算结果", "Dry run"),
    "buyer.sandbox.estimate_line": (
        "本查询将消耗 ε = {epsilon}，δ = {delta}，参考价格 {price}。未读取数据，未消耗预算。",
        "This query would spend ε = {epsilon} and δ = {delta}, priced at {price}. No data "
        "was read and no budget spent.",
    ),
    "buyer.sandbox.expected_errors": (
        "各输出列的机制与预期 95% 误差",
        "Mechanism and expected 95% error of each output",
    ),
    "buyer.sandbox.output": ("输出列", "Output"),
    "buyer.sandbox.mechanism": ("机制", "Mechanism"),
    # The sandbox names its mechanisms in English (sandbox.release); the page names them in
    # the reader's language. A new mechanism without a name here fails the sandbox page tests.
    "buyer.sandbox.mech.geometric": ("几何机制", "geometric"),
    "buyer.sandbox.mech.fixed-point geometric": ("定点几何机制", "fixed-point geometric"),
    "buyer.sandbox.mech.exponential": ("指数机制", "exponential"),
    "buyer.sandbox.mech.noisy moments (count, sum, sum of squares)": (
        "含噪矩（计数、求和、平方和）",
        "noisy moments (count, sum, sum of squares)",
    ),
    "buyer.sandbox.mech.noisy sum / noisy count": ("含噪和 / 含噪计数", "noisy sum / noisy count"),
    "buyer.sandbox.mech.ratio of noisy statistics": ("含噪统计量之比", "ratio of noisy statistics"),
    "buyer.sandbox.ci95": ("95% 误差", "95% error"),
    "buyer.sandbox.ci_after": ("随结果给出", "given with the result"),
    "buyer.sandbox.bucket": ("分桶宽度 {width}", "bucket width {width}"),
    "buyer.sandbox.grouping.none": ("不分组", "no grouping"),
    "buyer.sandbox.grouping.public_domain": (
        "按公开取值发布全部分组",
        "every public value released",
    ),
    "buyer.sandbox.grouping.threshold": (
        "仅发布超过阈值的分组（消耗 δ）",
        "only groups above a threshold (spends δ)",
    ),
    "buyer.sandbox.result": ("查询结果", "Result"),
    "buyer.sandbox.charged": (
        "本次消耗 ε = {epsilon}，δ = {delta}。",
        "This query spent ε = {epsilon}, δ = {delta}.",
    ),
    "buyer.sandbox.stored": (
        "与之前相同的查询：返回保存的结果，未再消耗预算。",
        "The same query as before: its stored answer, at no cost.",
    ),
    "buyer.sandbox.left_after": (
        "剩余 ε = {epsilon}，剩余查询 {queries} 次。",
        "Left: ε = {epsilon}, {queries} queries.",
    ),
    "buyer.sandbox.queued": (
        "数据量较大，查询已排队在后台执行。",
        "This dataset is large: the query runs on a worker.",
    ),
    "buyer.sandbox.check": ("查看进度", "Check on it"),
    "buyer.sandbox.failed": (
        "查询失败（如已读取数据，ε 已扣除）。",
        "The query failed (its ε is charged if data was read).",
    ),
    "buyer.sandbox.threshold": (
        "数据中的分组只有噪声计数超过 {threshold} 时才会发布。",
        "Groups found in the data are released only when their noisy count exceeds {threshold}.",
    ),
    "buyer.sandbox.result_caption": (
        "发布值 ± 95% 置信区间半宽（含噪声，真实值以 95% 概率落在区间内）",
        "Released values ± the half-width of their 95% interval (noisy; the true value is "
        "inside the interval with 95% probability)",
    ),
    "buyer.sandbox.ci_title": ("95% 置信区间半宽", "half-width of the 95% interval"),
    "buyer.sandbox.bucket_rank": (
        "分桶宽度 {width}，秩误差 ±{rank}（95%）",
        "bucket width {width}, rank error ±{rank} (95%)",
    ),
    "buyer.sandbox.no_groups": (
        "没有分组达到发布阈值。",
        "No group reached the release threshold.",
    ),
    "buyer.sandbox.interval_chart": ("{column} 及其 95% 区间", "{column} with its 95% interval"),
    "buyer.sandbox.interval_chart_desc": (
        "各分组 {column} 的发布值（圆点）与 95% 置信区间（误差线）",
        "The released {column} of each group (dot) and its 95% interval (error bar)",
    ),
    "buyer.sandbox.axis_group": ("分组", "Group"),
    "buyer.sandbox.all": ("全部", "all rows"),
    "buyer.sandbox.recent": ("最近的查询", "Recent queries"),
    "buyer.sandbox.recent_caption": (
        "本机构在该数据集上的查询，点击时间查看结果",
        "Your organization's queries on this dataset; open one by its time",
    ),
    "buyer.sandbox.no_recent": ("还没有查询。", "No queries yet."),
    "buyer.sandbox.status.queued": ("排队中", "queued"),
    "buyer.sandbox.status.running": ("执行中", "running"),
    "buyer.sandbox.status.succeeded": ("成功", "succeeded"),
    "buyer.sandbox.status.failed": ("失败", "failed"),
}
