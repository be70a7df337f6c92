// 政策试算: the policy what-if in the auditor's console. A candidate bundle (.tar.gz) is
// uploaded with the scan date, item and division (POST /v1/whatif, then the job polled); the hub runs the district
// scan with the live policy and with the candidate (never activated) and answers who would
// gain and who would lose eligibility. Shown as totals, a per-item table, a chart per village
// (inline SVG, nothing loaded from elsewhere) and the changes with masked ID numbers; the CSV
// and XLSX downloads read the finished job (GET /v1/whatif/{id}?format=csv or xlsx).

import { getToken, ProblemError } from "./api.js";
import { h, divisionLabel } from "./labels.js";
import { showProblem, clearProblem, items, itemName, itemLabel, busy } from "./ui.js";
import { t } from "./i18n.js";

const CHANGE = { gain: "新增符合", loss: "不再符合", cleared: "预警消除" };
const COLOR = { gain: "#2e7d32", loss: "#b3261e", cleared: "#2f6fd6" };

export function initWhatIf() {
  const at = document.getElementById("whatif-at");
  if (!at.value) at.value = new Date().toISOString().slice(0, 10);
  items().then((m) => {
    const sel = document.getElementById("whatif-item");
    sel.append(...[...m.values()].filter((it) => it.proactive).map((it) => h("option", { value: it.code, class: "item-name" }, itemName(it))));
  }).catch(() => {});
  document.getElementById("whatif-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(document.getElementById("whatif-run"), run);
  });
}

function query() {
  const p = new URLSearchParams();
  for (const [k, id] of [["at", "whatif-at"], ["item", "whatif-item"], ["division", "whatif-division"]]) {
    const v = document.getElementById(id).value.trim();
    if (v) p.set(k, v);
  }
  return "/v1/whatif?" + p.toString();
}

let jobURL = ""; // the finished job the downloads read

async function call(method, path, body, contentType) {
  const headers = { Authorization: "Bearer " + getToken(), Accept: "application/json, application/problem+json" };
  if (contentType) headers["Content-Type"] = contentType;
  let resp;
  try {
    resp = await fetch(path, { method, credentials: "omit", cache: "no-store", body, headers });
  } catch {
    throw new ProblemError(0, { title: "网络错误 / Network error" }, "");
  }
  if (!resp.ok) {
    let p;
    try { p = await resp.json(); } catch { p = { title: `HTTP ${resp.status}` }; }
    throw new ProblemError(resp.status, p, resp.headers.get("X-Request-Id") || "");
  }
  return resp;
}

// run uploads the bundle (POST /v1/whatif answers 202 with the job's Location) and polls the
// job until it is done, showing its progress.
async function run() {
  clearProblem();
  const status = document.getElementById("whatif-status");
  const file = document.getElementById("whatif-bundle").files[0];
  try {
    if (!file) throw new ProblemError(400, { title: t("请选择候选政策包（.tar.gz）") }, "");
    status.textContent = t("正在加载候选政策包…");
    const resp = await call("POST", query(), file, "application/gzip");
    const loc = resp.headers.get("Location");
    status.textContent = t("正在试算…（现行政策与候选政策各扫描一遍）");
    for (;;) {
      const job = await (await call("GET", loc)).json();
      if (job.status === "done") { jobURL = loc; render(job.report); status.textContent = ""; return; }
      if (job.status === "failed") throw new ProblemError(500, { title: t("试算失败"), detail: job.error || "" }, "");
      status.replaceChildren(h("span", {}, "正在试算…（现行政策与候选政策各扫描一遍）"), " ", h("span", { class: "data" }, job.progress || ""));
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (e) {
    status.textContent = "";
    showProblem(e, "政策试算");
  }
}

// download fetches the finished job's report as CSV or XLSX.
async function download(format) {
  clearProblem();
  const status = document.getElementById("whatif-status");
  try {
    const resp = await call("GET", `${jobURL}?format=${format}`);
    const cd = resp.headers.get("Content-Disposition") || "";
    const name = (cd.match(/filename="([^"]+)"/) || [])[1] || "whatif." + format;
    const url = URL.createObjectURL(await resp.blob());
    const a = h("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status.dataset.downloaded = name;
  } catch (e) {
    showProblem(e, "政策试算");
  }
}

function render(rep) {
  const view = document.getElementById("whatif-view");
  const facts = h("dl", { class: "kv", id: "whatif-facts" },
    h("dt", {}, "现行政策版本"), h("dd", { class: "mono" }, rep.live_revision),
    h("dt", {}, "候选政策版本"), h("dd", { class: "mono", id: "whatif-candidate" }, rep.candidate_revision),
    h("dt", {}, "测算日期"), h("dd", { class: "mono" }, rep.at),
    h("dt", {}, "居民数"), h("dd", {}, String(rep.residents)),
    h("dt", {}, "新增符合"), h("dd", { id: "whatif-gains" }, String(rep.gains)),
    h("dt", {}, "不再符合"), h("dd", { id: "whatif-losses" }, String(rep.losses)),
    h("dt", {}, "预警消除"), h("dd", { id: "whatif-cleared" }, String(rep.cleared)),
    h("dt", {}, "用时"), h("dd", {}, `${rep.elapsed_ms} ms`));
  const changed = rep.items.filter((it) => it.gains || it.losses || it.cleared);
  const itemTable = h("table", { class: "grid", id: "whatif-items" },
    h("thead", {}, h("tr", {}, ["事项", "现行名单", "试算名单", "新增符合", "不再符合", "预警消除", "现行预警", "试算预警"].map((x) => h("th", {}, x)))),
    h("tbody", {}, changed.map((it) => h("tr", { "data-item": it.item },
      h("td", {}, itemLabel(it.item)), h("td", {}, String(it.live_candidates)), h("td", {}, String(it.candidate_candidates)),
      h("td", { class: "gain" }, String(it.gains)), h("td", { class: "loss" }, String(it.losses)), h("td", {}, String(it.cleared)),
      h("td", {}, String(it.live_alerts)), h("td", {}, String(it.candidate_alerts))))));
  const shown = rep.changes.slice(0, 500);
  const changes = h("table", { class: "grid", id: "whatif-changes" },
    h("thead", {}, h("tr", {}, ["事项", "所在村", "身份证号", "变化", "已在册", "原因", "政策依据"].map((x) => h("th", {}, x)))),
    h("tbody", {}, shown.map((c) => h("tr", { "data-change": c.change, "data-village": c.village },
      h("td", {}, itemLabel(c.item)), h("td", {}, divisionLabel(c.village)), h("td", { class: "mono" }, c.id_number),
      h("td", {}, h("span", {}, CHANGE[c.change] || c.change)), h("td", {}, h("span", {}, c.enrolled ? "是" : "否")),
      h("td", { class: "mono" }, (c.reasons || []).join(", ")), h("td", { class: "data" }, c.rule || "")))));
  view.replaceChildren(facts,
    h("h3", {}, "按事项"), changed.length ? itemTable : h("p", { class: "hint", id: "whatif-none" }, "候选政策与现行政策的结果没有差别。"),
    h("h3", {}, "按村（社区）"), chart(rep.villages),
    h("h3", {}, "名单变化"), changes,
    rep.changes.length > shown.length ? h("p", { class: "hint" }, h("span", {}, "仅显示前"), " 500 ", h("span", {}, "条，完整名单请下载。")) : "",
    h("div", { class: "actions" },
      h("button", { type: "button", id: "whatif-csv", onclick: (ev) => busy(ev.target, () => download("csv")) }, "下载 CSV"),
      h("button", { type: "button", id: "whatif-xlsx", onclick: (ev) => busy(ev.target, () => download("xlsx")) }, "下载 XLSX")));
}

// chart draws, per village (the 30 with the most changes), bars of gains, losses and cleared
// alerts, summed over the items.
function chart(villages) {
  const by = new Map();
  for (const v of villages) {
    const x = by.get(v.village) || { village: v.village, gain: 0, loss: 0, cleared: 0 };
    x.gain += v.gains; x.loss += v.losses; x.cleared += v.cleared;
    by.set(v.village, x);
  }
  const rows = [...by.values()].sort((a, b) => (b.gain + b.loss + b.cleared) - (a.gain + a.loss + a.cleared) || a.village.localeCompare(b.village)).slice(0, 30);
  if (!rows.length) return h("p", { class: "hint" }, "没有村（社区）发生变化。");
  const W = 720, L = 120, R = 40, bar = 16, gap = 8, H = rows.length * (bar + gap) + 10;
  const max = Math.max(1, ...rows.map((r) => r.gain + r.loss + r.cleared));
  // An <svg> parsed from markup is in the SVG namespace; its children are made in the same.
  const holder = document.createElement("div");
  holder.innerHTML = "<svg></svg>";
  const svg = holder.firstChild;
  const SVG = svg.namespaceURI;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("id", "whatif-chart");
  svg.setAttribute("aria-label", t("各村试算变化"));
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  rows.forEach((r, i) => {
    const y = 5 + i * (bar + gap);
    svg.append(el("text", { x: L - 6, y: y + bar - 4, "text-anchor": "end", class: "mono", "font-size": 11 }, r.village));
    let x = L;
    for (const k of ["gain", "loss", "cleared"]) {
      const w = (W - L - R) * r[k] / max;
      if (w <= 0) continue;
      const rect = el("rect", { x: x.toFixed(1), y, width: w.toFixed(1), height: bar, fill: COLOR[k], "data-kind": k });
      rect.append(el("title", { class: "data" }, `${r.village} ${CHANGE[k]} ${r[k]}`));
      svg.append(rect);
      x += w;
    }
    svg.append(el("text", { x: (x + 4).toFixed(1), y: y + bar - 4, "font-size": 11, class: "mono" }, String(r.gain + r.loss + r.cleared)));
  });
  const legend = h("div", { class: "legend" }, ["gain", "loss", "cleared"].flatMap((k) => [
    h("span", { class: "legend-swatch", "data-color": COLOR[k] }), h("span", {}, CHANGE[k])]));
  for (const s of legend.querySelectorAll(".legend-swatch")) s.style.background = s.dataset.color;
  return h("div", { class: "chart" }, svg, legend);
}
