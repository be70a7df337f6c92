// 审计监督: the auditor's console — the audit chain (checkpoint, linkage check, entries with
// a refusals filter), a recorded decision replayed, a resident's data-use record, and permit
// revocation with a reason. Full ID numbers are never shown: the one typed for a data-use
// query is cleared from its input once sent and shown masked.

import { request, Attempt, getToken } from "./api.js";
import { validateIDNumber } from "./idnumber.js";
import { h, fmtTime, ROLE, PERMIT_STATUS, divisionLabel, AUDIT_ACTION } from "./labels.js";
import { showProblem, clearProblem, items, itemName, itemLabel, busy } from "./ui.js";
import { t } from "./i18n.js";

const revokeAttempt = new Attempt();
let entries = []; // all loaded audit entries, oldest first
let loadedFor = null; // the token the chain was loaded with

export function initConsole() {
  document.getElementById("chain-verify").addEventListener("click", (ev) => busy(ev.target, loadChain));
  document.getElementById("audit-action").addEventListener("change", renderEntries);
  document.getElementById("audit-refusals").addEventListener("change", renderEntries);
  for (const id of ["dec-item", "dec-division", "dec-outcome", "dec-from", "dec-to", "dec-revision"]) {
    document.getElementById(id).addEventListener("change", () => renderDecisions(false));
  }
  document.getElementById("dec-more").addEventListener("click", (ev) => busy(ev.target, () => renderDecisions(true)));
  items().then((m) => {
    const sel = document.getElementById("dec-item");
    sel.append(...[...m.values()].map((it) => h("option", { value: it.code, class: "item-name" }, itemName(it))));
  }).catch(() => {});
  document.getElementById("decision-form").addEventListener("submit", (ev) => { ev.preventDefault(); openDecision(); });
  document.getElementById("audit-datause-form").addEventListener("submit", (ev) => { ev.preventDefault(); dataUse(); });
  document.getElementById("revoke-lookup").addEventListener("click", (ev) => busy(ev.target, lookupPermit));
  document.getElementById("revoke-form").addEventListener("submit", (ev) => { ev.preventDefault(); revoke(); });
}

/** showConsole loads the chain when the page is opened for the first time with a token. */
export function showConsole() {
  const tok = getToken();
  if (tok !== loadedFor) { loadedFor = tok; loadChain(); }
}

export function maskID(id) {
  return id && id.length === 18 ? id.slice(0, 6) + "********" + id.slice(14) : id;
}

// loadChain has the hub verify the whole chain and every checkpoint signature (GET
// /v1/audit/verify, itself audited), reads the latest signed checkpoint and every entry, and
// checks again in the browser that each entry links to the one before it and that the
// checkpoint's head is in the chain.
async function loadChain() {
  clearProblem();
  const status = document.getElementById("chain-status");
  const view = document.getElementById("chain-view");
  status.textContent = t("正在加载…");
  let cp = null, rep = null;
  try {
    rep = await request("GET", "/v1/audit/verify");
    cp = await request("GET", "/v1/audit/checkpoint");
  } catch (e) {
    if (e.status === 403) {
      // A supervisor without audit.read still uses the rest of the page.
      status.textContent = t("无权查看审计链（仅审计人员）");
      view.replaceChildren();
      return;
    }
    if (e.status !== 404) { status.textContent = ""; showProblem(e, "审计检查点"); return; }
  }
  const all = [];
  try {
    let after = 0;
    for (let page = 0; page < 50; page++) {
      const d = await request("GET", `/v1/audit/entries?after=${after}&limit=1000`);
      const got = d.entries || [];
      all.push(...got);
      if (got.length < 1000) break;
      after = d.last_seq;
    }
  } catch (e) {
    status.textContent = "";
    showProblem(e, "审计日志");
    return;
  }
  entries = all;
  const broken = [];
  for (let i = 1; i < all.length; i++) {
    if (all[i].prev_hash !== all[i - 1].hash || all[i].seq !== all[i - 1].seq + 1) broken.push(all[i].seq);
  }
  const head = all.length ? all[all.length - 1] : null;
  let cpOK = null;
  if (cp) {
    const at = all.find((e) => e.seq === cp.seq);
    cpOK = !!at && at.hash === cp.head_hash;
  }
  const ok = rep.intact && broken.length === 0 && cpOK !== false;
  view.replaceChildren(
    h("div", { class: "result " + (ok ? "ok" : "bad"), id: "chain-result" },
      ok ? "✔ 审计链完整：每条记录的摘要与链接、每个检查点的签名均核验通过" : "✘ 审计链异常",
      !rep.intact ? h("div", {}, h("span", {}, "首个异常记录："), String(rep.first_bad_seq || "—"), "　", h("span", { class: "data" }, rep.problem || "")) : "",
      broken.length ? h("div", {}, "断链位置：" + broken.slice(0, 20).join("、")) : "",
      cpOK === false ? h("div", {}, "检查点与链不一致") : ""),
    h("dl", { class: "kv", id: "chain-facts" },
      h("dt", {}, "记录条数"), h("dd", {}, String(all.length)),
      h("dt", {}, "已核验检查点"), h("dd", {}, String(rep.checkpoints)),
      h("dt", {}, "链头序号"), h("dd", {}, head ? String(head.seq) : "—"),
      h("dt", {}, "链头摘要"), h("dd", { class: "mono" }, head ? head.hash : "—"),
      h("dt", {}, "最新签名检查点"), h("dd", { id: "checkpoint" }, cp
        ? [h("span", {}, "序号 "), String(cp.seq), "　", fmtTime(cp.at), h("div", { class: "mono" }, cp.head_hash),
          h("div", { class: "mono" }, h("span", {}, "密钥 "), cp.kid || "")]
        : h("span", {}, "尚无检查点"))));
  status.textContent = t("核验时间") + " " + fmtTime(new Date().toISOString());
  renderEntries();
  const revs = [...new Set(all.filter((e) => e.action === "decision" && e.details && e.details.revision).map((e) => e.details.revision))].sort();
  const rsel = document.getElementById("dec-revision");
  const keep = rsel.value;
  rsel.replaceChildren(rsel.options[0], ...revs.map((r) => h("option", { value: r }, r)));
  rsel.value = revs.includes(keep) ? keep : "";
  renderDecisions(false);
}

// localDay is an entry's date (YYYY-MM-DD) in local time, as the date inputs give it.
function localDay(s) {
  return fmtTime(s).slice(0, 10);
}

// renderDecisions lists the recorded decisions through GET /v1/decisions, filtered by item,
// division, outcome, date and policy revision, newest first, a page at a time; each opens in
// the replay panel. The applicant's ID number comes masked.
let decNext = "";
let decSeq = 0;
async function renderDecisions(more) {
  const params = new URLSearchParams();
  for (const [k, id] of [["item", "dec-item"], ["division", "dec-division"], ["outcome", "dec-outcome"], ["from", "dec-from"], ["to", "dec-to"], ["revision", "dec-revision"]]) {
    const v = document.getElementById(id).value.trim();
    if (v) params.set(k, v);
  }
  params.set("limit", "100");
  if (more === true && decNext) params.set("after", decNext);
  const seq = ++decSeq;
  const tbody = document.querySelector("#decisions-table tbody");
  let d;
  try {
    d = await request("GET", "/v1/decisions?" + params.toString());
  } catch (e) {
    if (seq !== decSeq) return;
    if (e.status === 403) { tbody.replaceChildren(); document.getElementById("dec-count").replaceChildren(h("span", {}, "无权查看判定列表（仅审计人员）")); return; }
    showProblem(e, "政策判定");
    return;
  }
  if (seq !== decSeq) return; // a newer filter answered first
  decNext = d.next || "";
  const rows = (d.decisions || []).map((x) => h("tr", { "data-decision": x.decision_id, "data-village": x.village || "" },
    h("td", {}, fmtTime(x.decided_at)), h("td", {}, x.item ? itemLabel(x.item) : ""),
    h("td", {}, x.village ? divisionLabel(x.village) : "—"), h("td", { class: "mono" }, x.applicant || "—"),
    h("td", {}, h("span", {}, OUTCOME[x.outcome] || x.outcome)), h("td", { class: "mono" }, x.revision || ""),
    h("td", {}, h("a", { href: "#audit", class: "mono open-decision", onclick: (ev) => { ev.preventDefault(); document.getElementById("decision-id").value = x.decision_id; openDecision(); } }, x.decision_id))));
  if (more === true) tbody.append(...rows); else tbody.replaceChildren(...rows);
  const n = tbody.querySelectorAll("tr").length;
  document.getElementById("dec-more").hidden = !decNext;
  document.getElementById("dec-count").replaceChildren(h("span", {}, "已显示"), ` ${n} `, h("span", {}, "条"));
  document.getElementById("decisions-table").dataset.query = params.toString(); // the filter the rows answer
}

const OUTCOME = { eligible: "符合", ineligible: "不符合", undetermined: "待定" };

function renderEntries() {
  const action = document.getElementById("audit-action").value;
  const refusals = document.getElementById("audit-refusals").checked;
  const want = refusals ? "refusal" : action;
  const list = entries.filter((e) => !want || e.action === want).reverse();
  const shown = list.slice(0, 500);
  document.querySelector("#audit-table tbody").replaceChildren(...shown.map((e) => h("tr", { "data-seq": e.seq, "data-action": e.action, class: e.action },
    h("td", {}, String(e.seq)), h("td", {}, fmtTime(e.at)),
    h("td", {}, h("span", {}, AUDIT_ACTION[e.action] || e.action)),
    h("td", { class: "mono" }, e.actor || ""), h("td", {}, h("span", {}, ROLE[e.role] || e.role || "")),
    h("td", {}, e.item ? itemLabel(e.item) : ""), h("td", { class: "data" }, e.purpose || ""),
    h("td", { class: "details" }, detailsCell(e)))));
  const count = document.getElementById("audit-count");
  count.replaceChildren(h("span", {}, "共"), ` ${list.length} `, h("span", {}, "条"),
    list.length > shown.length ? [" · ", h("span", {}, "显示最新"), ` ${shown.length}`] : "");
}

// detailsCell shows an entry's details; a decision id opens the replay.
function detailsCell(e) {
  const d = e.details && typeof e.details === "object" ? e.details : null;
  const parts = [];
  if (e.application_id) parts.push(h("div", { class: "mono" }, e.application_id));
  if (d && typeof d.decision_id === "string") {
    parts.push(h("a", { href: "#audit", class: "decision-link", onclick: (ev) => { ev.preventDefault(); document.getElementById("decision-id").value = d.decision_id; openDecision(); } }, d.decision_id));
  }
  if (d) parts.push(h("div", { class: "mono" }, JSON.stringify(d)));
  return parts;
}

const DECISION_QUERY = `query($id: ID!) { decision(id: $id) { id itemCode eligible revision decidedAt applicationId inputDigest
  reasonDetails { code rule zh en }
  replay { eligible identical inputIntact recordedRevision revision sameRevision replayedAt reasonDetails { code rule zh en } } } }`;

async function openDecision() {
  clearProblem();
  const id = document.getElementById("decision-id").value.trim();
  const view = document.getElementById("decision-view");
  if (!id) return;
  await busy(document.getElementById("decision-replay"), async () => {
    try {
      const r = await request("POST", "/graphql", { body: { query: DECISION_QUERY, variables: { id } } });
      if (r && r.errors && r.errors.length) {
        const e = r.errors[0];
        throw Object.assign(new Error(e.message), { name: "GraphQLError" });
      }
      const d = r && r.data && r.data.decision;
      if (!d) { view.replaceChildren(h("p", { class: "result bad", id: "decision-result" }, "未找到该判定")); return; }
      renderDecision(d, view);
      view.scrollIntoView({ block: "nearest" });
    } catch (e) {
      showProblem(e, "判定复核");
    }
  });
}

function verdict(v) {
  return v === true ? "符合" : v === false ? "不符合" : "待定";
}

function reasonList(rs) {
  return h("ul", { class: "reasons" }, (rs || []).map((x) => h("li", {}, h("span", { class: "reason-text" }, x.zh || x.code),
    x.rule ? h("small", { class: "data" }, "　" + x.rule) : "", x.en ? h("div", { class: "en" }, x.en) : "")));
}

function renderDecision(d, view) {
  const rp = d.replay || {};
  const codes = (rs) => (rs || []).map((x) => x.code).join(",");
  const diffs = [];
  if (!rp.inputIntact) diffs.push("输入记录已被改动，未重放");
  if (rp.inputIntact && rp.eligible !== d.eligible) diffs.push("判定结果不同");
  if (rp.inputIntact && codes(rp.reasonDetails) !== codes(d.reasonDetails)) diffs.push("判定理由不同");
  if (!rp.sameRevision) diffs.push("政策版本不同");
  view.replaceChildren(
    h("div", { class: "result " + (rp.identical ? "ok" : "bad"), id: "decision-result" },
      rp.identical ? "✔ 重放结果与原判定完全一致" : "✘ 重放结果与原判定不一致",
      diffs.length ? h("ul", { class: "diff" }, diffs.map((x) => h("li", {}, x))) : ""),
    h("div", { class: "two-col" },
      h("div", {}, h("h3", {}, "原判定"),
        h("dl", { class: "kv" },
          h("dt", {}, "判定编号"), h("dd", { class: "mono" }, d.id),
          h("dt", {}, "办理事项"), h("dd", {}, itemLabel(d.itemCode)),
          h("dt", {}, "判定结果"), h("dd", { id: "decision-recorded" }, verdict(d.eligible)),
          h("dt", {}, "政策版本"), h("dd", { class: "mono" }, d.revision || "—"),
          h("dt", {}, "判定时间"), h("dd", {}, fmtTime(d.decidedAt)),
          h("dt", {}, "申请编号"), h("dd", { class: "mono" }, d.applicationId || "—"),
          h("dt", {}, "输入摘要"), h("dd", { class: "mono" }, d.inputDigest || "—")),
        h("h3", {}, "依据与理由"), reasonList(d.reasonDetails)),
      h("div", {}, h("h3", {}, "重放结果"),
        h("dl", { class: "kv" },
          h("dt", {}, "判定结果"), h("dd", { id: "decision-replayed" }, rp.inputIntact ? verdict(rp.eligible) : "未重放"),
          h("dt", {}, "政策版本"), h("dd", { class: "mono" }, rp.revision || "—"),
          h("dt", {}, "输入记录完整"), h("dd", {}, rp.inputIntact ? "是" : "否"),
          h("dt", {}, "重放时间"), h("dd", {}, fmtTime(rp.replayedAt))),
        h("h3", {}, "依据与理由"), reasonList(rp.reasonDetails))));
}

async function dataUse() {
  clearProblem();
  const form = document.getElementById("audit-datause-form");
  const input = document.getElementById("audit-datause-id");
  const err = document.getElementById("audit-datause-error");
  const r = validateIDNumber(input.value);
  err.textContent = r.ok ? "" : r.message;
  input.classList.toggle("invalid", !r.ok);
  if (!r.ok) return;
  input.value = "";
  input.placeholder = maskID(r.value);
  const box = document.getElementById("audit-datause-view");
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const d = await request("GET", `/v1/residents/${encodeURIComponent(r.value)}/data-use?limit=200`);
      const recs = d.records || [];
      box.replaceChildren(
        h("h3", {}, h("span", { class: "mono" }, maskID(r.value)), "　", h("span", {}, "的数据使用记录"), `（${recs.length}）`),
        recs.length ? h("table", { class: "grid", id: "audit-datause-table" },
          h("thead", {}, h("tr", {}, ["时间", "使用方", "角色", "机构", "事项", "用途", "申请编号"].map((x) => h("th", {}, x)))),
          h("tbody", {}, recs.map((x) => h("tr", {},
            h("td", {}, fmtTime(x.at)), h("td", { class: "mono" }, x.who), h("td", {}, h("span", {}, ROLE[x.role] || x.role)),
            h("td", { class: "data" }, x.org || ""), h("td", {}, x.item ? itemLabel(x.item) : ""), h("td", { class: "data" }, x.purpose),
            h("td", { class: "mono" }, x.application_id || "")))))
          : h("p", {}, "暂无使用记录。"));
    } catch (e) {
      showProblem(e, "查询数据使用记录");
    }
  });
}

async function lookupPermit() {
  clearProblem();
  const id = document.getElementById("revoke-permit-id").value.trim();
  const view = document.getElementById("revoke-permit-view");
  if (!id) return;
  try {
    const p = await request("GET", "/v1/permits/" + encodeURIComponent(id));
    view.replaceChildren(permitFacts(p));
  } catch (e) {
    view.replaceChildren();
    showProblem(e, "查询审批结果");
  }
}

function permitFacts(p) {
  const st = p.status || "";
  return h("dl", { class: "kv", id: "revoke-permit" },
    h("dt", {}, "状态"), h("dd", { id: "revoke-permit-status" }, PERMIT_STATUS[st] || st),
    h("dt", {}, "办理事项"), h("dd", {}, itemLabel(p.item)),
    h("dt", {}, "签发时间"), h("dd", {}, fmtTime(p.issued_at)),
    h("dt", {}, "签发机关"), h("dd", {}, divisionLabel(p.issuer)),
    p.revoked_at ? [h("dt", {}, "撤销时间"), h("dd", {}, fmtTime(p.revoked_at)), h("dt", {}, "撤销理由"), h("dd", { class: "data" }, p.revocation_reason || "")] : null);
}

async function revoke() {
  clearProblem();
  const id = document.getElementById("revoke-permit-id").value.trim();
  const reasonInput = document.getElementById("revoke-reason");
  const reason = reasonInput.value.trim();
  const out = document.getElementById("revoke-result");
  if (!id) { out.replaceChildren(h("div", { class: "field-error" }, "请填写审批编号。")); return; }
  if (!reason) { out.replaceChildren(h("div", { class: "field-error", id: "revoke-error" }, "撤销批文必须填写理由。")); reasonInput.focus(); return; }
  const body = { reason };
  const key = revokeAttempt.keyFor({ id, ...body });
  await busy(document.getElementById("revoke-submit"), async () => {
    try {
      const p = await request("POST", `/v1/permits/${encodeURIComponent(id)}/revoke`, { body, key });
      revokeAttempt.done();
      out.replaceChildren(h("div", { class: "result ok", id: "revoke-done" }, "✔ 已撤销，已记入审计日志"));
      document.getElementById("revoke-permit-view").replaceChildren(permitFacts(p));
    } catch (e) {
      showProblem(e, "撤销批文");
    }
  });
}
