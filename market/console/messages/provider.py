"""Texts of the provider's pages."""

MESSAGES: dict[str, tuple[str, str]] = {
    "provider.nav": ("我的数据", "My datasets"),
    "provider.title": ("数据提供方工作台", "Provider workspace"),
    "provider.upload": ("上传数据集", "Upload a dataset"),
    "provider.datasets": ("本机构的数据集", "Your organization's datasets"),
    "provider.datasets_caption": ("数据集及其状态", "Datasets and their status"),
    "provider.updated": ("更新时间", "Updated"),
    "provider.no_datasets": ("尚未上传数据集。", "No dataset uploaded yet."),
    "provider.usage_chart": ("近 30 天调用量", "Use over the last 30 days"),
    "provider.usage_chart_desc": (
        "{since} 至 {until} 每日调用次数（接口调用与沙箱查询），共 {total} 次",
        "Calls per day (API calls and sandbox queries) from {since} to {until}, {total} in total",
    ),
    "provider.usage_caption": (
        "按 UTC 日统计本机构所有数据集的调用。",
        "Calls to all of your datasets per UTC day.",
    ),
    "provider.calls": ("调用次数", "calls"),
    "provider.axis_day": ("日期", "Day"),
    "provider.axis_calls": ("次数", "Calls"),
    "provider.axis_month": ("月份", "Month"),
    "provider.axis_revenue": ("收入（{currency}）", "Revenue ({currency})"),
    "provider.revenue": ("收入", "Revenue"),
    "provider.revenue_chart": ("每月收入（{currency}）", "Revenue per month ({currency})"),
    "provider.revenue_chart_desc": (
        "{first} 至 {last} 扣除平台服务费后的每月收入，共 {total}",
        "Revenue after the platform fee per month from {first} to {last}, {total} in total",
    ),
    "provider.upload_intro": (
        "支持 CSV（UTF-8 或 GB18030/GBK）与 Parquet。上传后系统自动识别敏感列并生成脱敏策略草稿。",
        "CSV (UTF-8 or GB18030/GBK) or Parquet. After the upload, sensitive columns are "
        "detected and a draft masking policy is proposed.",
    ),
    "provider.field_title": ("数据集名称", "Title"),
    "provider.domain_hint": ("例如：社会保障、交通、市场监管", "e.g. social_security, transport"),
    "provider.file": ("数据文件", "Data file"),
    "provider.file_hint": (
        "CSV 或 Parquet 文件；整个文件须为同一种编码（UTF-8 或 GB18030/GBK）",
        "A CSV or Parquet file; the whole file in one encoding (UTF-8 or GB18030/GBK)",
    ),
    "provider.header": ("首行是否为表头", "Is the first row a header?"),
    "provider.header.auto": ("自动判断", "Decide from the values"),
    "provider.header.present": ("是，首行为列名", "Yes, the first row names the columns"),
    "provider.header.absent": ("否，首行即数据", "No, the first row is data"),
    "provider.header_hint": (
        "自动判断时，看起来像数据的首行按数据处理，列名为 column_1 等，上传后可重命名。"
        "本身是个人信息的列名（如身份证号、手机号、人名）一律替换为中性列名。",
        "When deciding, a first row that looks like a record is data and the columns are "
        "named column_1 …; rename them after the upload. A column name that is itself "
        "personal data (an ID, a mobile, a person's name) is always replaced by a neutral one.",
    ),
    "provider.progress": ("上传进度", "Upload progress"),
    "provider.upload_button": ("上传", "Upload"),
    "provider.view_listing": ("查看上架页面", "See the listing"),
    "provider.back": ("返回数据集列表", "Back to your datasets"),
    "provider.processing": (
        "正在分析数据集，页面会自动刷新。",
        "The dataset is being profiled; this page refreshes by itself.",
    ),
    "provider.reload": ("刷新", "Reload"),
    "provider.failed": ("数据集处理失败：", "Profiling failed:"),
    "provider.review": ("审核状态", "Review status"),
    "provider.status_help.processing": ("分析中", "Being profiled"),
    "provider.status_help.failed": ("处理失败，请重新上传", "Profiling failed; upload again"),
    "provider.status_help.draft": (
        "草稿：可编辑脱敏策略并提交审核",
        "Draft: edit the policy and submit it for review",
    ),
    "provider.status_help.in_review": ("审核中：合规专员正在审核", "In review with compliance"),
    "provider.status_help.listed": ("已上架：数据需求方可订购", "Listed: buyers can order it"),
    "provider.status_help.rejected": (
        "已驳回：请根据审核意见修改后重新提交",
        "Rejected: address the reasons below and submit again",
    ),
    "provider.status_help.suspended": (
        "已暂停：合规部门已停止所有访问",
        "Suspended: compliance has stopped all access",
    ),
    "provider.proposed_grade": ("拟定分级", "Proposed grade"),
    "provider.confirmed_grade": ("确认分级", "Confirmed grade"),
    "provider.history": ("审核记录", "Review history"),
    "provider.when": ("时间", "When"),
    "provider.decision": ("决定", "Decision"),
    "provider.reason": ("意见", "Reason"),
    "provider.decision.approved": ("通过", "approved"),
    "provider.decision.rejected": ("驳回", "rejected"),
    "provider.decision.suspended": ("暂停", "suspended"),
    "provider.decision.reinstated": ("恢复", "reinstated"),
    "provider.detected_and_policy": ("敏感列与脱敏策略", "Sensitive columns and masking policy"),
    "provider.policy_intro": (
        "每列的检测结果与依据如下。修改脱敏方式后，下方样例即时更新；保存后生成新的策略版本。",
        "Each column's detection and its evidence are below. Change a treatment and the "
        "preview updates at once; saving records a new policy version.",
    ),
    "provider.pending_policy": (
        "策略修改待合规审核；在批准前，数据需求方仍按已批准的版本获取数据。",
        "This policy change awaits compliance; buyers keep the approved version until then.",
    ),
    "provider.k_report": (
        "k-匿名：最小等价类 {k}，低于阈值 {threshold} 的行数 {at_risk}",
        "k-anonymity: smallest class {k}, {at_risk} rows in classes under {threshold}",
    ),
    "provider.editor_caption": ("逐列脱敏策略", "Masking rule per column"),
    "provider.detection": ("检测结果与依据", "Detected kind and evidence"),
    "provider.operator": ("脱敏方式", "Treatment"),
    "provider.operator_for": ("列“{column}”的脱敏方式", "Treatment of column {column}"),
    "provider.parameters": ("参数", "Parameters"),
    "provider.quasi_identifier": ("准标识符", "Quasi-identifier"),
    "provider.quasi_identifier_short": ("是", "yes"),
    "provider.save_policy": ("保存策略", "Save the policy"),
    "provider.policy_locked": (
        "当前状态下不能修改脱敏策略。",
        "The policy cannot be changed in this status.",
    ),
    "provider.preview": ("脱敏样例", "Masked preview"),
    "provider.preview_caption": (
        "前 {rows} 行，按当前保存的策略处理",
        "The first {rows} rows under the saved policy",
    ),
    "provider.preview_caption_live": (
        "前 {rows} 行，按正在编辑（未保存）的策略处理",
        "The first {rows} rows under the policy as edited (not saved)",
    ),
    "provider.op.keep": ("保留原值", "keep"),
    "provider.op.mask": ("部分遮盖", "mask"),
    "provider.op.mask_name": ("姓名遮盖", "mask name"),
    "provider.op.redact": ("整体替换", "redact"),
    "provider.op.drop": ("不发布", "drop"),
    "provider.op.pseudonymize": ("假名化", "pseudonymize"),
    "provider.op.generalize": ("泛化", "generalize"),
    "provider.op.truncate": ("截断", "truncate"),
    "provider.op.noise": ("加噪", "add noise"),
    "provider.op.date_shift": ("日期偏移", "shift dates"),
    "provider.param.keep_first": ("保留前几位", "keep first"),
    "provider.param.keep_last": ("保留后几位", "keep last"),
    "provider.param.mask_char": ("遮盖字符", "mask character"),
    "provider.param.normalize": ("预处理", "normalize"),
    "provider.param.replacement": ("替换为", "replacement"),
    "provider.param.token_length": ("假名长度", "token length"),
    "provider.param.generalize_to": ("泛化到", "generalize to"),
    "provider.param.band": ("年龄段宽度", "band width"),
    "provider.param.decimals": ("坐标保留小数位", "coordinate decimals"),
    "provider.param.grid": ("坐标网格（度）", "coordinate grid (degrees)"),
    "provider.param.length": ("保留长度", "length"),
    "provider.param.epsilon": ("ε", "ε"),
    "provider.param.sensitivity": ("敏感度", "sensitivity"),
    "provider.param.max_days": ("最大偏移天数", "max days"),
    "provider.gen.age_band": ("年龄段", "age band"),
    "provider.gen.month": ("月份", "month"),
    "provider.gen.year": ("年份", "year"),
    "provider.gen.province": ("省", "province"),
    "provider.gen.city": ("市", "city"),
    "provider.gen.district": ("区县", "district"),
    "provider.gen.region_birth_year": ("地区+出生年", "region and birth year"),
    "provider.gen.gps": ("经纬度取整", "GPS coordinates rounded"),
    "provider.normalize_none": ("无", "none"),
    "provider.normalize_mobile": ("规范手机号", "mobile numbers"),
    "provider.submit_title": ("提交审核", "Submit for review"),
    "provider.submit_intro": (
        "提交前请说明数据来源与发布的法律依据，并提出分类分级。",
        "State where the data comes from and the legal basis for publishing it, and propose "
        "its grade.",
    ),
    "provider.source": ("数据来源", "Source of the data"),
    "provider.legal_basis": ("发布的法律依据", "Legal basis for publishing"),
    "provider.grade_level": ("级别（一般数据）", "Level (general data)"),
    "provider.grade_level_hint": (
        "1–4 级，4 级为泄露后影响最严重；重要数据不设级别。",
        "1–4, 4 being the most harmful if leaked; important data has no level.",
    ),
    "provider.grade_reason": ("分级理由（可选）", "Why this grade (optional)"),
    "provider.submit_button": ("提交审核", "Submit for review"),
    "provider.plans_caption": (
        "本数据集的套餐（含已下架）",
        "Plans on this dataset, withdrawn too",
    ),
    "provider.plan_edit": ("修改", "Edit"),
    "provider.withdrawn": ("已下架", "withdrawn"),
    "provider.price_major": ("价格（{currency}）", "Price ({currency})"),
    "provider.price_major_plain": ("价格（元等主单位）", "Price (in major units, e.g. yuan)"),
    "provider.plan_active": ("在售", "on offer"),
    "provider.new_plan": ("新建套餐", "New plan"),
    "provider.plan_units": ("额度数量", "Units granted"),
    "provider.plan_unit": ("计量单位", "Unit"),
    "provider.plan_valid_days": ("有效天数", "Valid days"),
    "provider.plan_term_months": ("订阅月数", "Months (subscriptions)"),
    "provider.plan_epsilon": ("总 ε（沙箱）", "Total ε (sandbox)"),
    "provider.plan_delta": ("总 δ（沙箱）", "Total δ (sandbox)"),
    "provider.currency": ("币种", "Currency"),
    "provider.overage_price": ("超额单价（可选）", "Overage price per call (optional)"),
    "provider.create_plan": ("创建套餐", "Create the plan"),
    "provider.done.uploaded": (
        "上传成功，已识别各列类型。",
        "Uploaded; each column's kind has been detected.",
    ),
    "provider.done.policy_saved": (
        "脱敏策略已保存为新版本。",
        "The policy is saved as a new version.",
    ),
    "provider.done.submitted": ("已提交审核。", "Submitted for review."),
    "provider.done.delivery_mode": ("交付方式已更新。", "The delivery mode is saved."),
    "provider.done.deleted": (
        "数据集已删除，其文件和相关记录已一并移除。",
        "The dataset is deleted, with its files and records.",
    ),
    "provider.delete.title": ("删除数据集", "Delete the dataset"),
    "provider.delete.intro": (
        "草稿、被驳回、导入失败或导入停滞的数据集可以删除。",
        "A draft, rejected, failed or stuck dataset can be deleted.",
    ),
    "provider.delete.open": ("删除…", "Delete…"),
    "provider.delete.listed": (
        "已上架的数据集不能删除：买方持有其使用权。如需下架，请联系合规部门暂停该数据集。",
        "A listed dataset cannot be deleted: buyers hold entitlements to it. To take it "
        "down, ask compliance to suspend it.",
    ),
    "provider.delete.not_now": (
        "审核中或仍在导入的数据集暂不能删除。",
        "A dataset in review or still being ingested cannot be deleted now.",
    ),
    "provider.delete.confirm": (
        "确定删除数据集“{title}”（{status}）吗？此操作无法撤销。",
        "Delete the dataset “{title}” ({status})? This cannot be undone.",
    ),
    "provider.delete.what": (
        "将删除其数据文件、附件、脱敏策略版本、审核记录、套餐和沙箱配置；审计日志保留全部记录。",
        "Its data file, attachments, policy versions, reviews, plans and sandbox profile are "
        "deleted; the audit log keeps every record.",
    ),
    "provider.delete.button": ("删除数据集", "Delete the dataset"),
    "provider.delete.keep": ("保留，返回数据集", "Keep it and go back"),
    "provider.delivery_mode": ("交付方式", "Delivery mode"),
    "provider.delivery_help.rows": (
        "买方通过数据接口获取按获批策略脱敏的明细，不提供沙箱",
        "buyers read rows masked by the approved policy through the data API; no sandbox",
    ),
    "provider.delivery_help.sandbox": (
        "原始数据只以差分隐私聚合结果离开平台；免费样例为合成数据，不提供明细套餐",
        "raw values leave only as differentially private aggregates; the free sample is "
        "synthetic and no plan serves rows",
    ),
    "provider.delivery_help.both": (
        "同时提供脱敏明细和隐私沙箱：明细原样发布的列，沙箱无法再保护其聚合结果（合规审核时会列出）",
        "masked rows and the sandbox: the sandbox cannot protect aggregates of what the rows "
        "release exactly (compliance sees the list when reviewing)",
    ),
    "provider.delivery_hint": (
        "提交审核前可以修改；提交后固定，因为买方按此声明订购。",
        "You can change it until you submit; afterwards it is fixed, since buyers order what "
        "it declares.",
    ),
    "provider.delivery_save": ("保存交付方式", "Save the delivery mode"),
    "provider.delivery_fixed": (
        "已提交，交付方式不可再修改。",
        "Submitted: the delivery mode can no longer change.",
    ),
    "provider.done.plan_created": ("套餐已创建。", "The plan is created."),
    "provider.done.plan_updated": ("套餐已更新。", "The plan is updated."),
    "provider.done.sandbox_declared": (
        "沙箱隐私配置已提交，等待合规审核。",
        "The sandbox privacy profile is declared and waits for compliance approval.",
    ),
    "provider.done.attachment_added": ("附件已上传。", "The document is attached."),
    "provider.done.columns_renamed": (
        "列已重命名，脱敏策略已按新列名另存为新版本。",
        "The columns are renamed; the policy is saved under the new names as a new version.",
    ),
    "provider.columns_title": ("列名", "Column names"),
    "provider.columns_intro": (
        "提交审核前可以重命名列，例如为没有表头的文件中的 column_1 等列命名。"
        "列名会展示给所有买方，不能是个人信息（身份证号、手机号、人名等）。",
        "Before review you can rename columns, e.g. name the column_1 … of a file without a "
        "header row. Every buyer sees column names, so they cannot be personal data (an ID, "
        "a mobile, a person's name …).",
    ),
    "provider.columns_caption": ("当前列名与新列名", "Current and new column names"),
    "provider.column_current": ("当前列名", "Current name"),
    "provider.column_new": ("新列名", "New name"),
    "provider.column_new_for": ("列“{column}”的新名称", "New name for “{column}”"),
    "provider.rename_button": ("保存列名", "Save the names"),
    # The sandbox privacy profile ("usable but not visible").
    "provider.sandbox.link": ("沙箱隐私配置", "Sandbox privacy profile"),
    "provider.sandbox.link_hint": (
        "声明差分隐私查询所需的元数据：个人标识列、每人最大行数、数值范围与公开取值域。",
        "Declare what differentially private queries need: the person column, max rows per "
        "person, numeric bounds and public values.",
    ),
    "provider.sandbox.title": ("沙箱隐私配置：{title}", "Sandbox privacy profile: {title}"),
    "provider.sandbox.back": ("返回数据集", "Back to the dataset"),
    "provider.sandbox.intro": (
        "沙箱只返回加噪的聚合结果，噪声大小由这里声明的元数据决定。配置须经合规审核通过后才能查询；"
        "修改后，已通过的配置继续生效，直到新配置获批。",
        "The sandbox releases only noisy aggregates, with noise calibrated from what you "
        "declare here. Queries need an approved profile; after a change, the approved profile "
        "keeps serving until compliance approves the new one.",
    ),
    "provider.sandbox.status": ("当前状态", "Current status"),
    "provider.sandbox.status.pending": ("待合规审核", "awaiting compliance"),
    "provider.sandbox.status.approved": ("已审核通过", "approved"),
    "provider.sandbox.approved_at": ("审核通过于 {when}", "approved on {when}"),
    "provider.sandbox.old_serves": (
        "新的声明正在等待审核；在此之前，沙箱查询仍使用下方已通过的配置。",
        "The new declaration waits for review; until then, queries use the approved profile below.",
    ),
    "provider.sandbox.none": ("尚未声明沙箱隐私配置。", "No sandbox privacy profile declared yet."),
    "provider.sandbox.declared": ("最近的声明", "Latest declaration"),
    "provider.sandbox.declared_caption": (
        "最近声明的数值范围与公开取值域",
        "Bounds and public values as last declared",
    ),
    "provider.sandbox.approved": ("生效中的配置", "Approved profile in use"),
    "provider.sandbox.approved_caption": (
        "已审核通过的数值范围与公开取值域",
        "Approved bounds and public values",
    ),
    "provider.sandbox.declare": ("声明或修改配置", "Declare or revise the profile"),
    "provider.sandbox.privacy_unit": ("个人标识列", "Person identifier column"),
    "provider.sandbox.unit_hint": (
        "标识同一个人的列（如身份证号）；隐私保护以人为单位。",
        "The column that identifies one person (e.g. the ID number); privacy is per person.",
    ),
    "provider.sandbox.max_rows": ("每人最大行数", "Max rows per person"),
    "provider.sandbox.rows_hint": (
        "任一聚合中每人最多计入的行数（1–1000），超出的行不参与计算。",
        "At most this many rows of one person enter any aggregate (1–1000); extra rows are left "
        "out.",
    ),
    "provider.sandbox.columns_caption": (
        "各列的取值范围（数值列）与公开取值域（分组列）",
        "Bounds of numeric columns and public values of group-by columns",
    ),
    "provider.sandbox.bounds": ("取值范围", "Bounds"),
    "provider.sandbox.domain": ("公开取值域", "Public values"),
    "provider.sandbox.lower_for": ("“{column}”下界", "Lower bound of {column}"),
    "provider.sandbox.upper_for": ("“{column}”上界", "Upper bound of {column}"),
    "provider.sandbox.domain_for": ("“{column}”的公开取值", "Public values of {column}"),
    "provider.sandbox.domain_hint": (
        "每行一个值。只有声明了公开取值域的列才能用于 GROUP BY；超出范围的数值会被截断。",
        "One value per line. Only columns with public values can be grouped by; numbers outside "
        "the bounds are clamped.",
    ),
    "provider.sandbox.type.number": ("数值", "number"),
    "provider.sandbox.type.string": ("文本", "text"),
    "provider.sandbox.type.date": ("日期", "date"),
    "provider.sandbox.type.bool": ("布尔", "boolean"),
    "provider.sandbox.submit": ("提交审核", "Submit for approval"),
    "provider.sandbox.no_data": (
        "数据集尚无已存储的数据，暂不能声明。",
        "The dataset has no stored data yet, so nothing can be declared.",
    ),
    # Documents behind the authorization to publish.
    "provider.attachments": ("授权证明材料", "Authorization documents"),
    "provider.attachments_intro": (
        "上传支持数据来源与授权的文件（合同、批复等），供合规审核查阅。",
        "Attach documents supporting the authorization (contracts, approval letters) for "
        "compliance to read.",
    ),
    "provider.attachments_caption": ("已上传的材料", "Documents attached"),
    "provider.attachment_file": ("文件", "File"),
    "provider.attachment_type": ("类型", "Type"),
    "provider.attachment_size": ("大小", "Size"),
    "provider.attachment_uploaded": ("上传时间", "Uploaded"),
    "provider.no_attachments": ("尚未上传材料。", "No document attached yet."),
    "provider.attachment_input": ("选择文件", "Choose a file"),
    "provider.attachment_hint": (
        "PDF、PNG 或 JPEG，不超过 20 MB；按文件内容校验。",
        "PDF, PNG or JPEG, at most 20 MB; checked by content.",
    ),
    "provider.attachment_upload": ("上传材料", "Attach"),
}
