// Chinese labels for the API's codes, and small DOM helpers shared by the pages.

export const PLATFORM = {
  province: "省平台", city: "市平台", district: "区平台", policy: "政策计算", hub: "本系统", counter: "窗口录入",
};
export const PLATFORM_FULL = {
  province: "省一体化大数据平台", city: "市大数据平台", district: "区数据要素融合赋能平台",
};
export const LEVEL = { village: "村级", work_area: "工作区", town: "镇街" };
export const STATUS = {
  draft: "待申请人确认", confirmed: "已确认", in_review: "审核中", approved: "已批准",
  rejected: "已驳回", returned: "已退回窗口",
};
export const ROLE = {
  counter: "村级窗口", reviewer: "审核人员", department: "部门应用", auditor: "审计人员", admin: "管理员",
};
export const MISSING = {
  "province.person": "省平台人口基础信息",
  "province.licences": "省平台电子证照",
  "province.kinship": "省平台亲属关系（子女）",
  "city.insurance": "市平台社会保险信息",
  "district.household": "区平台户籍家庭信息",
  "district.rolls": "区平台村民及救助名册",
};
export const PERMIT_STATUS = { active: "有效", revoked: "已撤销", expired: "已过期", invalid: "无效" };

/** h builds an element: h("td", {class: "x"}, "text", child, ...). Text is never parsed as HTML. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** fmtTime shows an RFC 3339 time in local time, to the second. */
export function fmtTime(s) {
  if (!s) return "";
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function platformTag(platform) {
  const cls = PLATFORM_FULL[platform] ? platform : "other";
  return h("span", { class: "tag " + cls, title: PLATFORM_FULL[platform] || platform }, PLATFORM[platform] || platform);
}

export function fmtValue(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "boolean") return v ? "是" : "否";
  if (Array.isArray(v)) return v.map(fmtValue).join("、");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const divisionNames = new Map();

/** divisionName resolves a division code to its full Chinese name (cached); "" if unknown. */
export async function divisionName(code) {
  if (!code) return "";
  if (divisionNames.has(code)) return divisionNames.get(code);
  const p = fetch("/ui/division/" + encodeURIComponent(code), { credentials: "omit" })
    .then((r) => (r.ok ? r.json() : null)).then((j) => (j && j.name) || "").catch(() => "");
  divisionNames.set(code, p);
  return p;
}

/** divisionLabel is an element showing a division code, then "name（code）" once the name is known. */
export function divisionLabel(code) {
  const el = h("span", { class: "division", "data-code": code }, code || "—");
  if (code) divisionName(code).then((n) => { if (n) el.textContent = `${n}（${code}）`; });
  return el;
}

export const AUDIT_ACTION = {
  lookup: "数据查询", decision: "政策判定", refusal: "拒绝访问", confirmation: "申请人确认", review: "审核",
  permit: "签发批文", revocation: "撤销批文", replay: "判定重放", key: "密钥", sync: "数据同步", verify: "核验审计链",
  contact: "主动服务联系", alert_resolution: "预警处理",
  policy: "政策试算与启用",
};
export const CONTACT_STATUS = { contacted: "已联系", unreachable: "联系不上", declined: "本人放弃", applied: "已申请" };
