// Interface language: Chinese (the default) or English. The pages are written in Chinese;
// in English every interface text node and placeholder/title/aria-label is translated through
// the table below, as it is rendered (a MutationObserver), so no page module needs to know
// the language. Data (names, division names, purposes, item names the hub sends) is not in
// the table and stays as it is. The choice is kept in localStorage ("sanmian.lang"), which is
// written only when someone switches.

const LANG_KEY = "sanmian.lang";

/** EN maps an interface text (trimmed) to its English. */
export const EN = {
  "三免": "Sanmian", "章丘区免证办服务台": "Zhangqiu District Certificate-Free Service Counter",
  "三免 · 章丘区免证办服务台": "Sanmian · Zhangqiu District Certificate-Free Service Counter",
  "主菜单": "Main menu", "窗口受理": "Counter", "审核": "Review", "审批结果": "Permit", "数据使用记录": "Data use",
  "审计监督": "Audit console", "统计报表": "Statistics", "未登录": "Not signed in", "未登录：请粘贴访问令牌": "Not signed in: paste a caller token",
  "访问令牌": "Access token", "请粘贴本岗位的访问令牌（只需一次；仅保存在本浏览器标签页中，关闭后清除）。":
    "Paste this post's caller token (once; kept in this browser tab only and cleared when it closes).",
  "使用此令牌": "Use this token", "清除令牌": "Clear token", "更换令牌": "Change token", "令牌已过期": "token expired",
  "有效至": "valid until", "未知角色": "Unknown role", "（无辖区）": "(no jurisdiction)",
  "这不是有效的访问令牌（应为三段以“.”分隔的 JWT）。": "This is not a valid caller token (a JWT has three parts separated by \".\").",
  "办理事项": "Item", "居民身份证号码": "Resident ID number", "18位公民身份号码": "18-character citizen ID number",
  "办理用途": "Purpose", "例如：高龄补贴申请": "e.g. elderly allowance application", "查询并预填": "Look up and pre-fill",
  "（正在加载事项…）": "(loading items…)", "— 请选择办理事项 —": "— choose an item —", "（事项加载失败）": "(items failed to load)",
  "（可秒批）": "(instant approval)", "退回件与未确认的申请": "Returned and unconfirmed applications", "刷新": "Refresh",
  "申请编号": "Application", "事项": "Item", "申请人": "Applicant", "状态": "Status", "更新时间": "Updated", "打开": "Open",
  "所在村": "Village", "待审层级": "Awaiting level", "刷新待审列表": "Refresh the review list", "非本级": "other level",
  "审批编号": "Permit ID", "审批（电子批文）编号": "Permit (electronic approval) ID", "查询": "Look up",
  "核验电子批文": "Verify a permit token", "粘贴电子批文（JWS）": "Paste the permit token (JWS)", "核验": "Verify",
  "查询使用记录": "Show data use", "三免：表单免填写 · 证明免提交 · 盖章免跑腿　｜　遇到问题请记录“请求编号”并联系管理员。":
    "Sanmian: no forms to fill · no certificates to bring · no trips for stamps | If something goes wrong, note the request ID and contact the administrator.",
  "正在加载…": "Loading…", "暂无": "None", "正在从省、市、区平台获取数据…": "Fetching data from the province, city and district platforms…",
  "未完成：可直接再次点击重试（不会重复受理）。": "Not done: click again to retry (it will not be processed twice).",
  "请选择办理事项。": "Choose an item.", "请填写办理用途（将记入居民的数据使用记录）。": "Enter the purpose (it goes into the resident's data-use record).",
  "申请信息": "Application", "预填表单": "Pre-filled form", "申请人确认": "Applicant confirmation",
  "数据来自权威平台，请申请人逐项核对": "data from the authoritative platforms; the applicant checks each line",
  "请申请人核对上方信息。如不同意使用某项自动获取的数据，请勾选“不使用自动填充”并说明；确认无误后在下方签名。":
    "The applicant checks the information above. To refuse a fetched value, tick \"Do not auto-fill\" and explain; then sign below.",
  "申请人确认并提交": "Applicant confirms and submits", "重新签名": "Sign again", "申请人签名区": "Applicant signature area",
  "请申请人在签名区签名后再提交。": "The applicant must sign in the signature area first.", "确认失败": "Confirmation failed",
  "受理失败": "Could not create the application", "加载事项": "Loading items", "加载退回件": "Loading returned applications",
  "打开申请": "Opening the application", "加载待审列表": "Loading the review list", "审核失败": "Review failed",
  "申请详情": "Application", "审核意见（驳回或退回时必填）": "Review comment (required to reject or return)",
  "驳回或退回时必须填写审核意见。": "A comment is required to reject or return.", "同意": "Approve", "退回窗口": "Return to counter",
  "驳回": "Reject", "审核意见": "Review comment", "已同意，审批完成，已签发电子批文。": "Approved; the permit has been issued.",
  "已退回窗口。": "Returned to the counter.", "已驳回。": "Rejected.", "已提交。": "Submitted.", "已同意，转": "Approved, passed to",
  "审核。": "review.", "审核：": "review:", "本级暂无待审申请": "Nothing awaits this level",
  "字段": "Field", "预填内容": "Value", "来源": "Source", "记录": "Record", "获取时间": "Fetched", "申请人意见": "Applicant's choice",
  "平台暂不可用，使用缓存数据": "Platform unavailable, cached data used", "⚠ 缓存数据，可能过期": "⚠ cached data, may be out of date",
  "申请人拒绝自动填充": "Applicant refused auto-fill", "需窗口录入": "Counter enters it", "不使用自动填充": "Do not auto-fill",
  "说明（如：申请人提交原件核验）": "Note (e.g. original document checked)", "窗口录入": "Counter entry",
  "符合": "Eligible", "不符合": "Not eligible", "待定": "Undetermined", "可秒批": "Instant approval", "依据与理由": "Reasons and basis",
  "缺少的证明材料": "Missing evidence", "数据不一致": "Conflicting data", "⚠ 部分数据来自缓存，需人工审核": "⚠ Some data is cached; a person must review",
  "资格判断": "Decision", "决定编号": "Decision", "政策版本": "Policy revision", "✔ 已批准": "✔ Approved", "✘ 已驳回": "✘ Rejected",
  "（秒批）": "(instant)", "审批编号：": "Permit ID:", "查看并打印": "view and print", "⏳ 已提交，待": "⏳ Submitted, awaiting",
  "状态：": "Status:", "电子批文": "Permit", "签发时间": "Issued", "有效期至": "Valid until", "签发机关": "Issuer",
  "签章密钥": "Signing key", "撤销时间": "Revoked", "打开可打印的审批结果（含二维码）": "Open the printable permit (with QR code)",
  "核验此批文": "Verify this permit", "电子批文原文（JWS）": "Permit token (JWS)", "查询审批结果": "Looking up the permit",
  "打印页面": "Printable page", "✔ 核验通过：批文真实有效": "✔ Verified: the permit is genuine and valid", "✘ 核验未通过：": "✘ Not verified:",
  "密钥": "key", "签发": "issuer",
  "时间": "Time", "使用方": "User", "角色": "Role", "机构": "Organisation", "用途": "Purpose", "暂无使用记录。": "No data use recorded.",
  "查询数据使用记录": "Looking up data use", "共": "Total", "件": "", "条记录": "records", "条": "",
  "页面错误": "Page error", "出错了": "Something went wrong", "请在上方重新粘贴有效的访问令牌。": "Paste a valid caller token above again.",
  "请求编号（联系技术支持时请提供）：": "Request ID (give it to support):", "现有许可 / Active permit：": "Active permit:",
  "网络错误 / Network error": "Network error", "无法连接服务器，请检查网络后重试（将使用同一幂等键，不会重复办理）。":
    "Cannot reach the server; check the network and retry (the same idempotency key is used, nothing is done twice).",
  "请输入18位公民身份号码。": "Enter the 18-character ID number.", "前17位必须是数字，最后一位是数字或X。":
    "The first 17 characters must be digits, the last a digit or X.",
  // codes shown as labels
  "省平台": "Province", "市平台": "City", "区平台": "District", "政策计算": "Policy", "本系统": "Hub",
  "省一体化大数据平台": "Provincial integrated big-data platform", "市大数据平台": "City big-data platform",
  "区数据要素融合赋能平台": "District data platform", "村级": "Village", "工作区": "Work area", "镇街": "Town",
  "待申请人确认": "Awaiting applicant", "已确认": "Confirmed", "审核中": "In review", "已批准": "Approved", "已驳回": "Rejected",
  "已退回窗口": "Returned to counter", "村级窗口": "Village counter", "审核人员": "Reviewer", "部门应用": "Department app",
  "审计人员": "Auditor", "管理员": "Administrator", "省平台人口基础信息": "Province: population register",
  "省平台电子证照": "Province: e-licences", "省平台亲属关系（子女）": "Province: kinship (children)",
  "市平台社会保险信息": "City: social insurance", "区平台户籍家庭信息": "District: household register",
  "区平台村民及救助名册": "District: villager and assistance rolls", "有效": "Valid", "已撤销": "Revoked", "已过期": "Expired", "无效": "Invalid",
  "是": "Yes", "否": "No",
  // audit console
  "审计链": "Audit chain", "立即核验": "Verify now", "操作类型": "Action", "全部": "All", "数据查询": "Data lookup",
  "政策判定": "Decision", "拒绝访问": "Refusal", "签发批文": "Permit issued", "撤销批文": "Revoke permit", "判定重放": "Replay",
  "数据同步": "Data sync", "只看拒绝访问": "Refusals only", "序号": "Seq", "操作": "Action", "操作人": "Actor", "详情": "Details",
  "判定复核": "Decision replay", "判定编号": "Decision ID", "打开并重放": "Open and replay", "居民数据使用记录": "Resident's data use",
  "批文撤销": "Permits", "撤销理由": "Revocation reason", "撤销理由（必填，记入审计日志）": "Reason (required; written to the audit log)",
  "审计检查点": "Audit checkpoint", "审计日志": "Audit log", "核验时间": "Verified at",
  "✔ 审计链完整：每条记录的摘要与链接、每个检查点的签名均核验通过": "✔ Audit chain intact: every entry's hash and link and every checkpoint signature verify",
  "首个异常记录：": "First bad entry:", "已核验检查点": "Checkpoints verified", "核验审计链": "Verification",
  "✘ 审计链异常": "✘ Audit chain broken", "断链位置：": "Broken at:", "检查点与链不一致": "The checkpoint does not match the chain",
  "记录条数": "Entries", "链头序号": "Head sequence", "链头摘要": "Head hash", "最新签名检查点": "Latest signed checkpoint",
  "尚无检查点": "No checkpoint yet", "显示最新": "showing newest", "未找到该判定": "No such decision",
  "输入记录已被改动，未重放": "The recorded input was altered; not replayed", "判定结果不同": "The verdict differs",
  "判定理由不同": "The reasons differ", "政策版本不同": "The policy revision differs",
  "✔ 重放结果与原判定完全一致": "✔ The replay is identical to the recorded decision",
  "✘ 重放结果与原判定不一致": "✘ The replay differs from the recorded decision", "原判定": "Recorded decision",
  "判定结果": "Verdict", "判定时间": "Decided", "输入摘要": "Input digest", "重放结果": "Replay", "未重放": "Not replayed",
  "输入记录完整": "Input record intact", "重放时间": "Replayed", "的数据使用记录": "— data use",
  "请填写审批编号。": "Enter the permit ID.", "撤销批文必须填写理由。": "A reason is required to revoke a permit.",
  "✔ 已撤销，已记入审计日志": "✔ Revoked and written to the audit log",
  "来自审计链中的判定记录；点击判定编号可重放复核。": "Decisions recorded in the audit chain; click a decision ID to replay it.",
  "起始日期": "From", "截止日期": "To",
  "无权查看审计链（仅审计人员）": "Not permitted to read the audit chain (auditors only)",
  // proactive service and supervision alerts
  "主动服务": "Proactive service", "监督预警": "Supervision alerts",
  "最近一次全区扫描发现的可能符合条件但尚未享受待遇的居民（本辖区）。请逐一联系并记录结果；“办理”按实时数据重新判定并生成预填申请。":
    "Residents of your villages the latest district scan found likely eligible and not yet enrolled. Contact each and log the outcome; \"Apply\" decides again on live data and pre-fills the application.",
  "最近一次全区扫描发现的在册但已不符合条件的居民，以及事项间的冲突；每条预警列明依据、证据及数据来源。核查后填写处理说明（记入审计链）。":
    "Residents on a roll the latest district scan no longer finds eligible, and conflicts between items; each alert names its basis, evidence and sources. After checking, enter a resolution note (written to the audit chain).",
  "刷新名单": "Refresh the list", "身份证号": "ID number", "理由": "Reasons", "最近联系": "Last contact", "加载更多": "Load more",
  "处理状态": "Resolution", "待处理": "Open", "已处理": "Resolved", "刷新预警": "Refresh alerts", "依据": "Basis",
  "证据与来源": "Evidence and sources", "处理": "Resolve", "主动服务联系": "Proactive contact", "预警处理": "Alert resolution",
  "已联系": "Contacted", "联系不上": "Unreachable", "本人放弃": "Declined", "已申请": "Applied", "尚未联系": "Not contacted yet",
  "联系记录": "Contact log", "办理": "Apply", "加载主动服务名单": "Loading the worklist", "加载联系记录": "Loading the contact log",
  "例如：已电话告知政策，本人同意办理": "e.g. told about the policy by phone; wishes to apply", "保存联系记录": "Save the entry",
  "联系结果": "Outcome", "备注": "Note", "记录人": "Logged by", "✔ 已保存，已记入审计日志": "✔ Saved and written to the audit log",
  "尚无联系记录。": "No contact logged yet.", "办理：按实时数据预填申请": "Apply: pre-fill the application from live data",
  "办理失败": "Could not make the application", "✔ 已处理": "✔ Resolved",
  "处理说明（必填，记入审计链）": "Resolution note (required; written to the audit chain)", "请填写处理说明。": "Enter a resolution note.",
  "处理预警": "Resolving the alert", "无权查看监督预警（仅审计人员）": "Not permitted to read supervision alerts (auditors only)",
  "加载监督预警": "Loading alerts",
  // statistics
  "三免 · 统计报表": "Sanmian · Statistics", "替代表单报送": "replaces the hand-compiled monthly returns",
  "返回服务台": "Back to the service counter", "查询条件": "Query", "区划代码": "Division code",
  "默认：本人辖区": "default: own jurisdiction", "全部事项": "All items", "起始月份": "From month", "截止月份": "To month",
  "按": "Rows by", "分列": "", "本区划汇总": "the division as a whole", "镇（街道）": "town (subdistrict)", "管区": "Work area",
  "村（居）": "village (community)", "下载": "Download", "统计结果": "Results",
  "各月申请数（按办理结果）": "Applications per month (by outcome)", "申请到发证时长（小时，按审核层级）": "Time from application to permit (hours, by review level)",
  "主动服务覆盖": "Proactive coverage", "已享受": "Enrolled",
  "主动服务名单对象的跟进（按联系记录的月份统计）：已联系（含本人放弃），已申请，已享受（申请已批准）。":
    "Follow-up of the proactive worklist's candidates (counted by the month of the contact-log entry): contacted (including those who declined), applied, enrolled (application approved).",
  "各月申请数": "Applications per month", "办结时长": "Time to permit", "中位数": "Median", "小时": "hours",
  "申请数": "Applications", "不予批准": "Rejected", "退回": "Returned", "草稿": "Draft", "即时办结": "Instant",
  "即时办结率": "Instant-approval share", "退回/不予批准审核意见": "Return and rejection reviews", "镇级": "Town",
  "区划": "Division", "月份": "Month", "合计": "Total", "审核层级": "Review level", "类型": "Type", "原因": "Reason",
  "件数": "Count", "退回及不予批准的主要原因": "Main reasons for returns and rejections",
  "请先在服务台页面粘贴访问令牌，再打开统计报表。": "Paste a caller token on the service counter page first, then open the statistics.",
  "上一页": "Previous", "下一页": "Next", "完整表格请下载 CSV 或 Excel": "the whole table is in the CSV and Excel downloads",
  "已记录的政策判定（按申请所在村筛选时，不含未形成申请的资格查询）；点击判定编号可重放复核。":
    "Recorded policy decisions (filtering by division leaves out eligibility checks without an application); click a decision ID to replay it.",
  "区划代码": "Division code", "镇、管区或村代码": "Town, work-area or village code", "加载更多": "Load more",
  "已显示": "Showing", "无权查看判定列表（仅审计人员）": "Not permitted to list decisions (auditors only)",
  "政策试算": "Policy what-if", "正在加载候选政策包…": "Loading the candidate bundle…", "试算失败": "The what-if failed", "政策试算与启用": "Policy what-if and activation",
  "上传候选政策包（.tar.gz），在同一测算日期、同一批同步数据上与现行政策对比：谁将新增符合、谁将不再符合。候选政策不会启用；每次试算记入审计日志。":
    "Upload a candidate policy bundle (.tar.gz) to compare it with the live policy on the same synced data at the same date: who would gain and who would lose eligibility. The candidate is never activated; every run is audited.",
  "候选政策包": "Candidate bundle", "测算日期": "Scan date", "全部主动服务事项": "Every proactive item", "镇或村代码，空为全区": "Town or village code; empty for the district",
  "开始试算": "Run what-if", "请选择候选政策包（.tar.gz）": "Choose a candidate bundle (.tar.gz)",
  "正在试算…（现行政策与候选政策各扫描一遍）": "Running… (one scan with the live policy, one with the candidate)",
  "现行政策版本": "Live revision", "候选政策版本": "Candidate revision", "居民数": "Residents", "新增符合": "Gains", "不再符合": "Losses",
  "预警消除": "Alerts cleared", "用时": "Time", "按事项": "By item", "按村（社区）": "By village", "名单变化": "Changes",
  "现行名单": "Live worklist", "试算名单": "Candidate worklist", "现行预警": "Live alerts", "试算预警": "Candidate alerts",
  "身份证号": "ID number", "变化": "Change", "已在册": "Enrolled", "原因": "Reasons", "政策依据": "Legal basis",
  "候选政策与现行政策的结果没有差别。": "The candidate and the live policy give the same results.", "仅显示前": "Showing the first",
  "条，完整名单请下载。": "rows; download for the full list.", "下载 CSV": "Download CSV", "下载 XLSX": "Download XLSX",
  "没有村（社区）发生变化。": "No village changes.", "各村试算变化": "What-if changes per village",
};

// Texts with numbers or codes inside.
const PATTERNS = [
  [/^共 (\d+) 件$/, "$1 in all"], [/^共 (\d+) 条记录$/, "$1 records"], [/^本级待审 (\d+) 件$/, "$1 awaiting this level"],
  [/^（另有 (\d+) 件在其他层级审核中）$/, " ($1 more in review at other levels)"],
  [/^身份证号码应为18位，当前为(\d+)位。$/, "An ID number has 18 characters; this has $1."],
  [/^出生日期“(\w+)”无效，请核对号码。$/, "Birth date \"$1\" is not valid; check the number."],
  [/^校验位不符（按 GB 11643 计算应为“(\w)”，输入为“(\w)”），请核对是否输错。$/, "Wrong check character (GB 11643 gives \"$1\", entered \"$2\"); check for a typo."],
  [/^决定编号 (.*) · 政策版本 (.*)$/, "Decision $1 · policy revision $2"],
  [/^状态 (.*) · 密钥 (.*)$/, "Status $1 · key $2"],
  [/^([\w.]+)：(.*) 数据不一致，以(.*)为准$/, (_, f, ps, a) => `${f}: ${ps.split("、").map(en).join(", ")} disagree; ${en(a)} is authoritative`],
  [/^（待(.+)审核：$/, (_, l) => ` (awaiting ${en(l)} review: `], [/^⏳ 已提交，待(.+)审核：$/, (_, l) => `⏳ Submitted, awaiting ${en(l)} review: `],
  [/^已同意，转(.+)审核。$/, (_, l) => `Approved, passed to ${en(l)} review.`], [/^审核意见（(.+)）$/, (_, l) => `Review comment (${en(l)})`],
  [/^共 (\d+) 人$/, "$1 people"], [/^共 (\d+) 人（扫描日期 ([\d-]+)）$/, "$1 people (scanned $2)"], [/^共 (\d+) 条$/, "$1 in all"],
  [/^(\S+) 至 (\S+) 统计$/, "statistics $1 to $2"], [/^第 (\d+) \/ (\d+) 页，共 (\d+) 行$/, "page $1 of $2, $3 rows"],
  [/^有效至 (.*)$/, "valid until $1"], [/^序号 (.*)$/, "Seq $1"], [/^核验时间 (.*)$/, "Verified at $1"],
];

const HAN = /[\u3400-\u9fff]/;
const en = (s) => (Object.hasOwn(EN, s) ? EN[s] : s);
const SEP = /(\s+|[：:（）()、·|｜，,。“”"]+)/;

let lang = "zh";
try { lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh"; } catch { lang = "zh"; }

export function currentLang() { return lang; }

/** t translates one interface text into the current language (unchanged in Chinese or when unknown). */
export function t(s) {
  if (lang !== "en" || typeof s !== "string" || !HAN.test(s)) return s;
  const k = s.trim();
  if (Object.hasOwn(EN, k)) return s.replace(k, EN[k]);
  for (const [re, to] of PATTERNS) if (re.test(k)) return s.replace(k, k.replace(re, to));
  // A text built from labels and separators: translate each known label.
  const parts = k.split(SEP);
  if (parts.some((p) => Object.hasOwn(EN, p))) {
    return s.replace(k, parts.map((p) => (Object.hasOwn(EN, p) ? EN[p] : p)).join(""));
  }
  return s;
}

const ATTRS = ["placeholder", "title", "aria-label"];

// skip: data the hub sends is left as it is.
function skip(node) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return !el || !!el.closest(".division, .item-name, .data, .mono, .reason-text, .en, textarea, script, style");
}

function translateTree(root) {
  if (lang !== "en" || !root) return;
  if (root.nodeType === Node.TEXT_NODE) {
    if (!skip(root)) { const v = t(root.nodeValue); if (v !== root.nodeValue) root.nodeValue = v; }
    return;
  }
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!skip(n)) { const v = t(n.nodeValue); if (v !== n.nodeValue) n.nodeValue = v; }
  }
  for (const el of [root, ...root.querySelectorAll("[placeholder], [title], [aria-label]")]) {
    if (skip(el) && !el.matches("input, textarea")) continue;
    for (const a of ATTRS) {
      const v = el.getAttribute(a);
      if (v && HAN.test(v)) { const w = t(v); if (w !== v) el.setAttribute(a, w); }
    }
  }
}

/** initLanguage applies the language to the page, follows what the pages render, and wires the switch. */
export function initLanguage() {
  const btn = document.getElementById("lang-switch");
  if (btn) {
    btn.textContent = lang === "en" ? "中文" : "English";
    btn.setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    btn.addEventListener("click", () => {
      try { localStorage.setItem(LANG_KEY, lang === "en" ? "zh" : "en"); } catch { /* private mode: not kept */ }
      location.reload();
    });
  }
  if (lang !== "en") return;
  document.documentElement.lang = "en";
  document.title = t(document.title);
  translateTree(document.body);
  new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === "characterData") translateTree(m.target);
      else if (m.type === "attributes") translateTree(m.target);
      else for (const n of m.addedNodes) translateTree(n);
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ATTRS });
}
