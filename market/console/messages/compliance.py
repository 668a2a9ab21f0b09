"""Texts of the compliance pages: reviews, trades, the audit log and the report."""

MESSAGES: dict[str, tuple[str, str]] = {
    # Navigation and shared words
    "compliance.nav.listings": ("上架审核", "Listing review"),
    "compliance.nav.orders": ("交易审核", "Trade review"),
    "compliance.nav.entitlements": ("授权管理", "Entitlements"),
    "compliance.nav.audit": ("审计日志", "Audit log"),
    "compliance.nav.report": ("合规报告", "Compliance report"),
    "compliance.nav.stops": ("紧急停止", "Emergency stops"),
    "compliance.filters": ("筛选条件", "Filters"),
    "compliance.apply": ("筛选", "Apply"),
    "compliance.found": ("共 {total} 条", "{total} found"),
    "compliance.reason": ("理由", "Reason"),
    "compliance.when": ("时间", "When"),
    "compliance.decision": ("决定", "Decision"),
    "compliance.reviewer": ("审核人", "Reviewer"),
    "compliance.proposed_grade": ("拟定分级", "Proposed grade"),
    "compliance.confirmed_grade": ("确认分级", "Confirmed grade"),
    "compliance.personal_info": ("个人信息", "Personal information"),
    "compliance.k_anonymity": ("k-匿名", "k-anonymity"),
    "compliance.k_below": ("k = {k}，低于阈值 {threshold}", "k = {k}, under {threshold}"),
    "compliance.k_none_short": ("未声明准标识符", "no quasi-identifiers"),
    "compliance.decision.approved": ("通过", "approved"),
    "compliance.decision.rejected": ("驳回", "rejected"),
    "compliance.decision.suspended": ("暂停", "suspended"),
    "compliance.decision.reinstated": ("恢复", "reinstated"),
    "compliance.org_kind.government": ("政府机构", "government body"),
    "compliance.org_kind.enterprise": ("企业", "enterprise"),
    "compliance.org_kind.platform": ("平台", "platform"),
    "compliance.done.approved": (
        "已批准，数据集按确认的分级上架。",
        "Approved: listed at the confirmed grade.",
    ),
    "compliance.done.rejected": (
        "已驳回，提供方将看到审核意见。",
        "Sent back; the provider sees your reasons.",
    ),
    "compliance.done.suspended": (
        "已暂停：该数据集的所有访问已停止。",
        "Suspended: all access to the dataset has stopped.",
    ),
    "compliance.done.reinstated": ("已恢复上架。", "Reinstated: the dataset is listed again."),
    "compliance.done.revoked": ("授权已撤销。", "The entitlement is revoked."),
    "compliance.done.order_approved": ("订单已批准。", "The order is approved."),
    "compliance.done.order_rejected": (
        "订单已驳回并取消。",
        "The order is rejected and cancelled.",
    ),
    "compliance.done.stopped": (
        "紧急停止已执行：撤销了 {count} 项授权，相关沙箱预算已关闭。",
        "Emergency stop done: {count} entitlements revoked and the matching sandbox budgets "
        "closed.",
    ),
    "compliance.done.lifted": (
        "紧急停止已解除。被撤销的授权不会恢复：需求方需重新下单。",
        "The emergency stop is lifted. Revoked entitlements stay revoked: the buyer orders anew.",
    ),
    # Listing queue
    "compliance.listings.title": ("上架审核队列", "Listing review queue"),
    "compliance.listings.intro": (
        "待审核的上架申请与已上架数据集的策略变更，等待最久的排在前面。",
        "Submissions and listed datasets' policy changes waiting for a decision, the "
        "longest-waiting first.",
    ),
    "compliance.listings.show": ("显示", "Show"),
    "compliance.listings.caption": ("数据集及审核要点", "Datasets and what to look at"),
    "compliance.listings.kind": ("类型 / 状态", "Kind / status"),
    "compliance.listings.since": ("更新时间", "Waiting since"),
    "compliance.listings.empty": ("没有符合条件的数据集。", "No dataset matches."),
    "compliance.queue.waiting": ("全部待审核", "All waiting"),
    "compliance.queue.submission": ("上架申请", "Submissions"),
    "compliance.queue.policy_change": ("策略变更", "Policy changes"),
    "compliance.queue.listed": ("已上架", "Listed"),
    "compliance.queue.suspended": ("已暂停", "Suspended"),
    "compliance.queue.rejected": ("已驳回", "Rejected"),
    # Review page
    "compliance.review.title": ("审核：{title}", "Review: {title}"),
    "compliance.review.back": ("返回审核队列", "Back to the queue"),
    "compliance.review.authorization": ("提供方与发布授权", "Provider and authorization"),
    "compliance.review.source": ("数据来源", "Source of the data"),
    "compliance.review.legal_basis": ("发布的法律依据", "Legal basis for publishing"),
    "compliance.review.file": ("文件", "File"),
    "compliance.review.rows": ("{rows} 行", "{rows} rows"),
    "compliance.review.submitted": ("提交时间", "Submitted"),
    "compliance.review.attachments": ("授权证明材料", "Supporting documents"),
    "compliance.review.no_attachments": ("提供方未上传证明材料。", "No document attached."),
    "compliance.review.grading": ("分类分级", "Classification and grade"),
    "compliance.review.suggested_grade": ("系统建议", "Suggested"),
    "compliance.review.suggested_hint": (
        "（根据检测到的个人信息推断）",
        "(from the personal information detected)",
    ),
    "compliance.review.columns": ("敏感列、识别依据与脱敏策略", "Columns, evidence and policy"),
    "compliance.review.policy_version": ("待审核策略版本：{version}", "Policy version: {version}"),
    "compliance.review.columns_caption": (
        "逐列检测结果、依据与脱敏方式（红色为敏感个人信息）",
        "Each column's detection, evidence and treatment (sensitive in red)",
    ),
    "compliance.review.evidence": ("识别依据", "Evidence"),
    "compliance.review.treatment": ("脱敏方式", "Treatment"),
    "compliance.review.quasi_identifier": ("准标识符", "Quasi-identifier"),
    "compliance.review.sensitive": ("敏感", "sensitive"),
    "compliance.review.not_released": ("不发布", "not released"),
    "compliance.review.k_flag": (
        "重识别风险：最小等价类 k = {k}，低于阈值 {threshold}；"
        "{classes} 个等价类共 {rows} 行低于阈值。",
        "Re-identification risk: the smallest class has k = {k}, under {threshold}; {rows} "
        "rows in {classes} classes are under the threshold.",
    ),
    "compliance.review.k_qi": ("准标识符", "Quasi-identifiers"),
    "compliance.review.k_smallest": ("最小等价类 k", "Smallest class k"),
    "compliance.review.k_threshold": ("阈值 {threshold}", "threshold {threshold}"),
    "compliance.review.k_classes": ("等价类数", "Equivalence classes"),
    "compliance.review.k_at_risk": ("低于阈值的行", "Rows under the threshold"),
    "compliance.review.k_none": (
        "提供方未声明准标识符，无法计算 k-匿名。请评估是否需要要求修改。",
        "No quasi-identifier is declared, so k-anonymity is not measured; consider asking for one.",
    ),
    "compliance.review.preview": ("脱敏样例", "Masked preview"),
    "compliance.review.delivery": ("交付方式与取舍", "Delivery mode and its trade-off"),
    "compliance.review.tradeoff_title": (
        "同时提供明细与沙箱：",
        "Rows and sandbox together:",
    ),
    "compliance.review.tradeoff_intro": (
        "明细原样发布的值在买方手中是精确的，沙箱的差分隐私噪声无法再保护下列聚合结果。",
        "values the rows release whole are exact in the buyer's hands, so the sandbox's "
        "differential-privacy noise can no longer protect these aggregates.",
    ),
    "compliance.review.tradeoff_caption": (
        "明细中各列的精确程度（依据待审批的策略；计数取自前若干行）",
        "How exactly the rows give each column (under the policy under review; counts from "
        "the first rows)",
    ),
    "compliance.review.exposure": ("精确程度", "Exposure"),
    "compliance.review.exposure_detail": ("说明", "What the rows give"),
    "compliance.review.sandbox_only": (
        "仅通过隐私沙箱提供：明细不出平台，数据接口与预览只提供合成样例。",
        "Sandbox only: no row leaves; the data API and previews serve a synthetic sample.",
    ),
    "compliance.exposure.exact": ("精确", "exact"),
    "compliance.exposure.partly_exact": ("部分精确", "partly exact"),
    "compliance.exposure.grouped": ("可精确分组计数", "exact group counts"),
    "compliance.exposure.approximate": ("可近似汇总", "approximate sums"),
    "compliance.exposure.protected": ("受保护", "protected"),
    "compliance.listings.exact_in_rows": (
        "明细精确给出：{columns}",
        "rows give exactly: {columns}",
    ),
    "compliance.review.preview_caption": (
        "前 {rows} 行，按待审核策略（版本 {version}）处理，与数据需求方将收到的一致",
        "The first {rows} rows under the policy in review (version {version}), as a buyer "
        "would receive them",
    ),
    "compliance.review.no_preview": ("尚无脱敏策略，无法预览。", "No policy yet, so no preview."),
    "compliance.review.history": ("审核记录", "History"),
    "compliance.review.history_caption": ("此前的审核决定", "Earlier decisions"),
    "compliance.review.no_history": ("尚无审核记录。", "No decision yet."),
    "compliance.review.decide": ("审核决定", "Decision"),
    "compliance.review.approve_title": ("批准", "Approve"),
    "compliance.review.checklist": ("审核清单", "Review checklist"),
    "compliance.review.checklist_hint": (
        "六项全部勾选后才能批准。",
        "Every one of the six items must be ticked to approve.",
    ),
    "compliance.review.level": ("级别（一般数据）", "Level (general data)"),
    "compliance.review.grade_hint": (
        "一般数据 1–4 级，重要数据不设级别；核心数据不得上架，请驳回。",
        "General data has levels 1–4, important data none; core data is never listed: reject it.",
    ),
    "compliance.review.note": ("备注（可选）", "Note (optional)"),
    "compliance.review.approve_button": ("批准上架", "Approve and list"),
    "compliance.review.reject_title": ("驳回 / 要求修改", "Reject / request changes"),
    "compliance.review.reject_hint": (
        "数据集退回提供方，提供方修改后可重新提交。",
        "The dataset goes back to its provider, who may change it and submit again.",
    ),
    "compliance.review.reject_hint_change": (
        "驳回策略变更：数据集继续按已批准的策略上架。",
        "Refusing the policy change keeps the listing under its approved policy.",
    ),
    "compliance.review.reject_reason": (
        "驳回理由或需修改之处",
        "Why, or what must change",
    ),
    "compliance.review.reject_button": ("驳回", "Send back"),
    "compliance.review.control": ("上架控制", "Listing control"),
    "compliance.review.suspend_hint": (
        "暂停后，所有数据接口调用与沙箱查询立即停止，数据集从目录中下架。",
        "Suspending stops every data API call and sandbox query at once and removes the "
        "dataset from the catalog.",
    ),
    "compliance.review.suspend_button": ("暂停该数据集", "Suspend the dataset"),
    "compliance.review.reinstate_hint": (
        "恢复后，数据集按已批准的策略重新上架。",
        "Reinstating lists the dataset again under its approved policy.",
    ),
    "compliance.review.reinstate_button": ("恢复上架", "Reinstate"),
    "compliance.review.stop_link": (
        "紧急停止：撤销该数据集的全部授权",
        "Emergency stop: revoke every entitlement on this dataset",
    ),
    # Trade review
    "compliance.orders.title": ("交易审核队列", "Trade review queue"),
    "compliance.orders.intro": (
        "重要数据及以上级别的订单须经合规审核。",
        "Orders on data graded important or above wait for compliance.",
    ),
    "compliance.orders.order_title": ("{buyer} 订购 {dataset}", "{buyer} orders {dataset}"),
    "compliance.orders.buyer": ("数据需求方", "Buyer"),
    "compliance.orders.scenario": ("使用场景", "Usage scenario"),
    "compliance.orders.dataset": ("数据集", "Dataset"),
    "compliance.orders.plan": ("套餐", "Plan"),
    "compliance.orders.placed": ("下单时间", "Placed"),
    "compliance.orders.history": ("该需求方的历史", "The buyer's history"),
    "compliance.orders.buyer_entitlements": ("查看其授权", "See its entitlements"),
    "compliance.orders.approve_title": ("批准（可附条件）", "Approve (with conditions)"),
    "compliance.orders.max_quota": ("额度上限（可选）", "Quota at most (optional)"),
    "compliance.orders.max_valid_days": ("有效天数上限（可选）", "Valid days at most (optional)"),
    "compliance.orders.conditions_hint": (
        "留空则按套餐授予；填写则授予不超过该值。",
        "Leave empty to grant the plan as is; a value caps it.",
    ),
    "compliance.orders.note": ("备注（可选）", "Note (optional)"),
    "compliance.orders.approve_button": ("批准订单", "Approve the order"),
    "compliance.orders.reject_title": ("驳回", "Reject"),
    "compliance.orders.reject_button": ("驳回订单", "Reject the order"),
    "compliance.orders.empty": ("没有待审核的订单。", "No order is waiting."),
    "compliance.history.pending_review": ("待合规审核", "pending review"),
    "compliance.history.awaiting_payment": ("待支付", "awaiting payment"),
    "compliance.history.paid": ("已支付", "paid"),
    "compliance.history.active": ("生效中", "active"),
    "compliance.history.expired": ("已到期", "expired"),
    "compliance.history.cancelled": ("已取消", "cancelled"),
    "compliance.history.refunded": ("已退款", "refunded"),
    "compliance.history.revoked_entitlements": ("被撤销的授权", "revoked entitlements"),
    # Entitlements and the emergency stop
    "compliance.entitlements.title": ("授权管理", "Entitlements"),
    "compliance.entitlements.intro": (
        "各数据需求方的授权及用量；撤销后对方的下一次调用即被拒绝。",
        "Every buyer's entitlements and their use; a revoked one refuses the buyer's next call.",
    ),
    "compliance.entitlements.buyer_id": ("需求方机构编号", "Buyer organization id"),
    "compliance.entitlements.dataset_id": ("数据集编号", "Dataset id"),
    "compliance.entitlements.caption": ("授权列表（最新在前）", "Entitlements, newest first"),
    "compliance.entitlements.quota": ("剩余 / 总额度", "Left / granted"),
    "compliance.entitlements.epsilon": ("已用 / 总 ε", "ε used / granted"),
    "compliance.entitlements.valid_until": ("有效期至", "Valid until"),
    "compliance.entitlements.revoke": ("撤销", "Revoke"),
    "compliance.entitlements.revoke_button": ("撤销授权", "Revoke"),
    "compliance.entitlements.empty": ("没有符合条件的授权。", "No entitlement matches."),
    "compliance.entitlement.active": ("有效", "active"),
    "compliance.entitlement.revoked": ("已撤销", "revoked"),
    "compliance.entitlement.expired": ("已到期", "expired"),
    "compliance.stop.title": ("紧急停止", "Emergency stop"),
    "compliance.stop.intro": (
        "立即撤销某一需求方、某一数据集（或两者交集）的全部有效授权，并关闭相应的沙箱预算；"
        "停止在合规人员解除之前持续有效，期间该范围内的一切新访问均被拒绝。"
        "先选择范围，确认影响后再执行。",
        "Revoke at once every active entitlement of a buyer, on a dataset, or of a buyer on a "
        "dataset, and close the matching sandbox budgets; the stop then stands, refusing every "
        "new way in, until compliance lifts it. Choose first, then confirm.",
    ),
    "compliance.stop.step1": ("第一步：选择范围", "Step 1: choose"),
    "compliance.stop.step2": ("第二步：确认并执行", "Step 2: confirm"),
    "compliance.stop.buyer": ("数据需求方机构", "Buyer organization"),
    "compliance.stop.dataset": ("数据集", "Dataset"),
    "compliance.stop.any_buyer": ("（不限需求方）", "(any buyer)"),
    "compliance.stop.any_dataset": ("（不限数据集）", "(any dataset)"),
    "compliance.stop.review_button": ("查看影响", "See what would stop"),
    "compliance.stop.summary_both": (
        "将撤销 {buyer} 在“{dataset}”上的 {count} 项有效授权，并关闭其沙箱预算。",
        "This revokes {count} active entitlements of {buyer} on “{dataset}” and closes its "
        "sandbox budgets there.",
    ),
    "compliance.stop.summary_buyer": (
        "将撤销 {buyer} 的全部 {count} 项有效授权，并关闭其全部沙箱预算。",
        "This revokes all {count} active entitlements of {buyer} and closes all its sandbox "
        "budgets.",
    ),
    "compliance.stop.summary_dataset": (
        "将撤销“{dataset}”上全部 {count} 项有效授权，并关闭该数据集的全部沙箱预算。",
        "This revokes all {count} active entitlements on “{dataset}” and closes every sandbox "
        "budget on it.",
    ),
    "compliance.stop.confirm": (
        "我确认立即停止上述访问（被撤销的授权即使解除停止后也不会恢复）",
        "I confirm: stop this access now (revoked entitlements stay revoked even after the "
        "stop is lifted)",
    ),
    "compliance.stop.button": ("执行紧急停止", "Stop access now"),
    "compliance.stop.standing": ("生效中的紧急停止", "Standing emergency stops"),
    "compliance.stops.title": ("紧急停止记录", "Emergency stops"),
    "compliance.stops.intro": (
        "紧急停止在合规人员解除之前持续有效：期间该范围内的新订单、付款、API 密钥、数据调用、"
        "沙箱查询与预算授予均被拒绝，每次拒绝都记入审计日志。",
        "An emergency stop stands until compliance lifts it: meanwhile new orders, payments, "
        "API keys, data calls, sandbox queries and budget grants in its scope are refused, each "
        "refusal recorded in the audit log.",
    ),
    "compliance.stops.standing_count": (
        "当前有 {count} 项紧急停止生效中。",
        "{count} emergency stops stand.",
    ),
    "compliance.stops.caption": ("紧急停止（最新在前）", "Emergency stops, newest first"),
    "compliance.stops.scope": ("范围（需求方 · 数据集）", "Scope (buyer · dataset)"),
    "compliance.stops.id": ("编号", "Id"),
    "compliance.stops.placed": ("实施时间 / 实施人", "Placed (when, by)"),
    "compliance.stops.revoked": ("撤销授权数", "Entitlements revoked"),
    "compliance.stops.status.active": ("生效中", "standing"),
    "compliance.stops.status.lifted": ("已解除", "lifted"),
    "compliance.stops.lift": ("解除", "Lift"),
    "compliance.stops.lift_reason": ("解除理由（必填）", "Reason for lifting (required)"),
    "compliance.stops.lift_button": ("解除紧急停止", "Lift the stop"),
    "compliance.stops.lift_note": (
        "解除只会重新开放该范围：被撤销的授权和已关闭的沙箱预算不会恢复，需求方需重新下单。",
        "Lifting only reopens the scope: revoked entitlements and closed sandbox budgets do "
        "not come back; the buyer places a new order.",
    ),
    "compliance.stops.new": ("实施新的紧急停止", "Place a new emergency stop"),
    "compliance.stops.all": ("全部紧急停止记录", "All emergency stops"),
    "compliance.stops.empty": ("没有符合条件的紧急停止。", "No emergency stop matches."),
    # Audit log
    "compliance.audit.title": ("审计日志", "Audit log"),
    "compliance.audit.intro": (
        "所有关键操作均记入防篡改的哈希链；可按操作人、操作类型、数据集和日期筛选。",
        "Every significant action is recorded in a tamper-evident hash chain; filter by "
        "actor, action, dataset and dates.",
    ),
    "compliance.audit.verify_title": ("校验哈希链", "Verify the chain"),
    "compliance.audit.verify_intro": (
        "从第一条记录起重新计算每条记录的哈希，检查是否有记录被修改、插入或删除。",
        "Recompute every record's hash from the first one, to detect any record altered, "
        "inserted or deleted.",
    ),
    "compliance.audit.verify_button": ("校验哈希链", "Verify the chain"),
    "compliance.audit.verifying": ("正在校验…", "Verifying…"),
    "compliance.audit.intact": ("哈希链完整。", "The chain is intact."),
    "compliance.audit.intact_detail": (
        "已校验 {count} 条记录，均未被篡改。",
        "{count} records checked; none was tampered with.",
    ),
    "compliance.audit.unsealed": (
        "其中 {count} 条在封存之后写入，尚未入链：已按内容哈希校验，删除它们在封存前无法察觉。",
        "{count} of them were written after the last seal and are not chained yet: their "
        "content hashes check out, but deleting one would go unnoticed until it is sealed.",
    ),
    "compliance.audit.head_hash": ("链头哈希", "Head hash"),
    "compliance.audit.broken": (
        "哈希链在第 {seq} 条记录处断裂：",
        "The chain breaks at record {seq}:",
    ),
    "compliance.audit.broken_unsealed": (
        "一条尚未封存的记录被篡改：",
        "A record not sealed yet was altered:",
    ),
    "compliance.audit.broken_checked": (
        "此前 {count} 条记录校验通过。",
        "The {count} records before it check out.",
    ),
    "compliance.audit.actor": ("操作人", "Actor"),
    "compliance.audit.actor_hint": (
        "用户编号；点击表中的操作人即可筛选",
        "A user id; click an actor in the table to filter",
    ),
    "compliance.audit.action": ("操作", "Action"),
    "compliance.audit.action_hint": (
        "完整名称或前缀，如 listing",
        "A full name or a prefix such as listing",
    ),
    "compliance.audit.since": ("起始日期（UTC）", "From (UTC day)"),
    "compliance.audit.until": ("结束日期（UTC，含当日）", "Until (UTC day, inclusive)"),
    "compliance.audit.records": ("记录", "Records"),
    "compliance.audit.caption": ("审计记录（最新在前）", "Audit records, newest first"),
    "compliance.audit.details": ("详情", "Details"),
    "compliance.audit.system": ("系统", "system"),
    "compliance.audit.open": ("查看第 {seq} 条记录", "Open record {seq}"),
    "compliance.audit.empty": ("没有符合条件的记录。", "No record matches."),
    "compliance.audit.export": ("导出（按当前筛选条件）", "Export (with these filters)"),
    "compliance.audit.export_hint": (
        "含哈希值，可供监管方独立校验。",
        "Hashes included, so a regulator can re-verify.",
    ),
    "compliance.audit.back": ("返回审计日志", "Back to the audit log"),
    "compliance.audit.record_title": ("审计记录 #{seq}", "Audit record #{seq}"),
    "compliance.audit.role": ("角色", "Role"),
    "compliance.audit.org": ("机构", "Organization"),
    "compliance.audit.subject": ("对象编号", "Subject"),
    "compliance.audit.prev_hash": ("前一条哈希", "Previous hash"),
    "compliance.audit.hash": ("本条哈希", "Hash"),
    "compliance.audit.chain_nav": ("链上相邻记录", "Neighbouring records"),
    "compliance.audit.previous_record": ("上一条", "Previous record"),
    "compliance.audit.next_record": ("下一条", "Next record"),
    # Report
    "compliance.report.title": ("合规报告", "Compliance report"),
    "compliance.report.window": ("统计区间", "Period"),
    "compliance.report.last_days": ("最近 {days} 天", "Last {days} days"),
    "compliance.report.period": ("{since} 至 {until}", "{since} to {until}"),
    "compliance.report.anomalies": ("异常", "Anomalies"),
    "compliance.report.anomalies_caption": ("值得关注的用量异常", "Usage worth a look"),
    "compliance.report.no_anomalies": ("未发现异常。", "No anomaly found."),
    "compliance.report.kind": ("类型", "Kind"),
    "compliance.report.detail": ("说明", "Detail"),
    "compliance.report.act": ("处置", "Act"),
    "compliance.report.anomaly.usage_jump": ("用量激增", "usage jump"),
    "compliance.report.anomaly.refused_sandbox_queries": (
        "沙箱查询频繁被拒",
        "refused sandbox queries",
    ),
    "compliance.report.over_time": ("用量与隐私预算趋势", "Use and privacy budget over time"),
    "compliance.report.usage": ("每日调用量", "Calls per day"),
    "compliance.report.usage_desc": (
        "{since} 至 {until} 全平台每日调用次数（接口调用与沙箱查询），共 {total} 次",
        "Calls per day on the exchange (API calls and sandbox queries) from {since} to "
        "{until}, {total} in total",
    ),
    "compliance.report.usage_caption": ("按 UTC 日统计。", "Per UTC day."),
    "compliance.report.budget": ("每日消耗的隐私预算 ε", "Privacy budget ε spent per day"),
    "compliance.report.budget_desc": (
        "{since} 至 {until} 每日消耗的 ε：全部需求方合计及消耗最多的需求方，共 {total}",
        "ε spent per day from {since} to {until}, all buyers together and the heaviest "
        "spenders, {total} in total",
    ),
    "compliance.report.budget_caption": (
        "第一条线为全部需求方合计，其余为消耗最多的需求方。",
        "The first line is every buyer together; the others are the heaviest spenders.",
    ),
    "compliance.report.all_buyers": ("全部需求方", "all buyers"),
    "compliance.report.calls": ("调用次数", "Calls"),
    "compliance.report.units": ("计量单位数", "Units"),
    "compliance.report.rows": ("行数", "Rows"),
    "compliance.report.events": ("次数", "Events"),
    "compliance.report.daily_table": ("每日明细", "Per day, in numbers"),
    "compliance.report.listings": ("数据集：按分级与状态", "Datasets by grade and status"),
    "compliance.report.listings_caption": (
        "各分级、各状态的数据集数量",
        "Datasets per grade and status",
    ),
    "compliance.report.ungraded": ("未确认分级", "not graded yet"),
    "compliance.report.by_grade": ("按分级", "By grade"),
    "compliance.report.by_grade_desc": (
        "各分级的数据集数量（未确认的记为 —），共 {total} 个",
        "Datasets per confirmed grade (— when none yet), {total} in total",
    ),
    "compliance.report.by_status": ("按状态", "By status"),
    "compliance.report.by_status_desc": (
        "各状态的数据集数量，共 {total} 个",
        "Datasets per status, {total} in total",
    ),
    "compliance.report.trades": ("订单：按状态", "Orders by status"),
    "compliance.report.trades_desc": (
        "各状态的订单数量，共 {total} 个",
        "Orders per status, {total} in total",
    ),
    "compliance.report.consumers_title": ("主要使用方", "Top consumers"),
    "compliance.report.consumers": ("用量最多的需求方", "Heaviest users"),
    "compliance.report.consumers_desc": (
        "{since} 至 {until} 各需求方使用的计量单位数",
        "Units used by each buyer from {since} to {until}",
    ),
    "compliance.report.consumers_caption": (
        "用量最多的需求方及其消耗的隐私预算",
        "The heaviest users and the privacy budget they spent",
    ),
    "compliance.report.epsilon_per_buyer": ("各需求方消耗的 ε", "ε spent per buyer"),
    "compliance.report.epsilon_per_buyer_desc": (
        "{since} 至 {until} 各需求方在沙箱中消耗的隐私预算 ε",
        "Privacy budget ε each buyer spent in the sandbox from {since} to {until}",
    ),
    "compliance.report.axis_day": ("日期", "Day"),
    "compliance.report.axis_calls": ("次数", "Calls"),
    "compliance.report.axis_epsilon": ("ε", "ε"),
    "compliance.report.axis_grade": ("分级", "Grade"),
    "compliance.report.axis_status": ("状态", "Status"),
    "compliance.report.axis_datasets": ("数据集数", "Datasets"),
    "compliance.report.axis_orders": ("订单数", "Orders"),
    "compliance.report.axis_buyer": ("需求方", "Buyer"),
    "compliance.report.axis_units": ("单位数", "Units"),
    # A dataset's sandbox privacy profile.
    "compliance.done.sandbox_approved": (
        "沙箱隐私配置已审核通过，此后的查询按此配置计算敏感度。",
        "The sandbox privacy profile is approved; later queries take their sensitivity from it.",
    ),
    "compliance.sandbox.link": ("沙箱隐私配置", "Sandbox privacy profile"),
    "compliance.sandbox.title": ("沙箱隐私配置：{title}", "Sandbox privacy profile: {title}"),
    "compliance.sandbox.back": ("返回审核页", "Back to the review page"),
    "compliance.sandbox.intro": (
        "差分隐私查询的噪声由这些元数据决定：个人标识列与每人最大行数限定单人贡献，"
        "取值范围限定数值，公开取值域决定可分组的值（不从数据中泄露）。",
        "Differentially private queries calibrate their noise from this metadata: the person "
        "column and max rows per person bound one person's contribution, bounds clamp numbers, "
        "public values decide the groups (none is taken from the data).",
    ),
    "compliance.sandbox.approved_by": ("{when} 由 {who} 审核通过", "approved on {when} by {who}"),
    "compliance.sandbox.none_approved": (
        "尚无审核通过的配置，该数据集暂不能查询。",
        "No profile approved yet: the dataset answers no sandbox query.",
    ),
    "compliance.sandbox.bounded_copy": (
        "数据中有人超过每人最大行数，审核时已写入按上限截取的副本，查询读取该副本。",
        "Some people exceeded the max rows per person: approval wrote a bounded copy, which "
        "queries read.",
    ),
    "compliance.sandbox.within_bound": (
        "数据中每人行数均未超过上限，查询直接读取原数据。",
        "No person exceeds the max rows per person: queries read the stored data as it is.",
    ),
    "compliance.sandbox.approve_title": ("审核通过", "Approve"),
    "compliance.sandbox.approve_hint": (
        "通过后，此后的每次查询都按上方最近的声明计算敏感度；如有人超过每人最大行数，将写入截取后的副本。",
        "Once approved, every later query takes its sensitivity from the latest declaration "
        "above; if anyone exceeds the max rows per person, a bounded copy is written.",
    ),
    "compliance.sandbox.approve_button": ("通过此配置", "Approve this profile"),
    "compliance.sandbox.none": (
        "提供方尚未声明沙箱隐私配置。",
        "The provider has declared no sandbox profile.",
    ),
}
