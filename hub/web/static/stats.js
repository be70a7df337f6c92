// Statistics page (统计报表): GET /v1/statistics as JSON for the charts and the table, and as
// CSV/XLSX downloads. Charts are inline SVG built here; nothing is loaded from elsewhere. The
// caller token is the one the counter page keeps in this tab (sessionStorage), sent only in
// the Authorization header.

import { request, getToken, ProblemError } from "./api.js";
import { initLanguage } from "./i18n.js";
import { items, itemName } from "./ui.js";

const $ = (id) => document.getElementById(id);

const STATUS = [
  ["approved", "已批准", "#1d7a35"],
  ["rejected", "不予批准", "#b3261e"],
  ["returned", "退回", "#e08a00"],
  ["in_review", "审核中", "#2f6fd6"],
  ["confirmed", "已确认", "#7a8aa0"],
  ["draft", "草稿", "#c9d0da"],
];
const LEVELS = [["instant", "即时办结"], ["village", "村级"], ["work_area", "管区"], ["town", "镇级"]];
const levelName = (l) => (LEVELS.find(([k]) => k === l) || [l, l])[1];

// itemsByCode maps item codes to the catalogue's items (names in both languages), once loaded.
let itemsByCode = new Map();
const itemText = (code, fallback) => { const it = itemsByCode.get(code); return it ? itemName(it) : fallback || code; };

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function query(format) {
  const p = new URLSearchParams();
  for (const [k, id] of [["division", "stats-division"], ["item", "stats-item"], ["from", "stats-from"], ["to", "stats-to"], ["by", "stats-by"]]) {
    const v = $(id).value.trim();
    if (v) p.set(k, v);
  }
  if (format) p.set("format", format);
  return "/v1/statistics?" + p.toString();
}

function showProblem(err) {
  const el = $("stats-problem");
  if (!err) { el.hidden = true; el.textContent = ""; return; }
  const p = err instanceof ProblemError ? err.problem : { title: String(err) };
  el.textContent = [p.title, p.detail].filter(Boolean).join("：");
  el.hidden = false;
}

/** byMonth sums the rows per month. */
function byMonth(rows) {
  const m = new Map();
  for (const r of rows) {
    const a = m.get(r.month) || { month: r.month };
    for (const [k] of STATUS) a[k] = (a[k] || 0) + r[k];
    a.applications = (a.applications || 0) + r.applications;
    m.set(r.month, a);
  }
  return [...m.values()].sort((a, b) => a.month.localeCompare(b.month));
}

/** monthChart draws stacked bars of applications per month by status. */
function monthChart(months) {
  const W = 640, H = 260, L = 48, B = 28, T = 10;
  const max = Math.max(1, ...months.map((m) => m.applications));
  const bw = (W - L - 10) / Math.max(1, months.length);
  let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="各月申请数">`;
  for (let i = 0; i <= 4; i++) {
    const y = T + (H - T - B) * (1 - i / 4);
    s += `<line x1="${L}" x2="${W - 5}" y1="${y}" y2="${y}" stroke="#e3e7ec"/><text x="${L - 4}" y="${y + 4}" text-anchor="end">${Math.round(max * i / 4)}</text>`;
  }
  months.forEach((m, i) => {
    let y = H - B;
    const x = L + i * bw + bw * 0.15;
    for (const [k, label, color] of STATUS) {
      const h = (H - T - B) * (m[k] || 0) / max;
      if (h > 0) s += `<rect x="${x.toFixed(1)}" y="${(y - h).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${esc(m.month)} ${label}：${m[k]}</title></rect>`;
      y -= h;
    }
    s += `<text x="${(x + bw * 0.35).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${esc(m.month.slice(2))}</text>`;
  });
  s += "</svg><div class=\"legend\">";
  for (const [, label, color] of STATUS) s += `<span class="legend-swatch" data-color="${color}"></span>${label}`;
  return s + "</div>";
}

/** durationChart draws median and p90 hours per review level. */
function durationChart(total) {
  const W = 640, H = 260, L = 48, B = 28, T = 10;
  const ds = LEVELS.map(([k, label]) => ({ label, d: (total.durations || []).find((x) => x.level === k) })).filter((x) => x.d);
  const max = Math.max(1, ...ds.map((x) => x.d.p90_hours));
  const gw = (W - L - 10) / Math.max(1, ds.length);
  let s = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="办结时长">`;
  for (let i = 0; i <= 4; i++) {
    const y = T + (H - T - B) * (1 - i / 4);
    s += `<line x1="${L}" x2="${W - 5}" y1="${y}" y2="${y}" stroke="#e3e7ec"/><text x="${L - 4}" y="${y + 4}" text-anchor="end">${(max * i / 4).toFixed(1)}</text>`;
  }
  ds.forEach((x, i) => {
    const x0 = L + i * gw + gw * 0.15;
    [["中位数", x.d.median_hours, "#2f6fd6"], ["P90", x.d.p90_hours, "#b3261e"]].forEach(([name, v, color], j) => {
      const h = (H - T - B) * v / max;
      s += `<rect x="${(x0 + j * gw * 0.35).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${(gw * 0.33).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${x.label} ${name}：${v} 小时 · ${x.d.permits} 件</title></rect>`;
    });
    s += `<text x="${(x0 + gw * 0.35).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${x.label}</text>`;
  });
  s += "</svg><div class=\"legend\"><span class=\"legend-swatch\" data-color=\"#2f6fd6\"></span>中位数<span class=\"legend-swatch\" data-color=\"#b3261e\"></span>P90</div>";
  return s;
}

function cards(t) {
  const refusals = (t.refusals || []).reduce((n, r) => n + r.count, 0);
  const c = [["申请数", t.applications], ["已批准", t.approved], ["即时办结率", (t.instant_share * 100).toFixed(1) + "%"],
    ["不予批准", t.rejected], ["退回", t.returned], ["退回/不予批准审核意见", refusals]];
  return c.map(([k, v]) => `<div class="stats-card"><div class="v">${esc(v)}</div><div class="k">${k}</div></div>`).join("");
}

/** coverageCards shows the proactive coverage of the report (worklist follow-up). */
function coverageCards(t) {
  const c = t.proactive_coverage || {};
  return [["已联系", c.contacted], ["已申请", c.applied], ["已享受", c.enrolled]]
    .map(([k, v]) => `<div class="stats-card" data-coverage="${k}"><div class="v">${esc(v ?? 0)}</div><div class="k">${k}</div></div>`).join("");
}

// PAGE_ROWS is how many rows the table shows at a time: a browser lays out a table of
// thousands of rows for seconds, and the whole table is in the CSV and Excel downloads.
const PAGE_ROWS = 200;
let report = null; // the report shown
let tablePage = 0;

/** showTable renders page p of the report's table and the pager. */
function showTable(p) {
  const pages = Math.max(1, Math.ceil(report.rows.length / PAGE_ROWS));
  tablePage = Math.min(Math.max(0, p), pages - 1);
  $("stats-table").innerHTML = table(report, tablePage * PAGE_ROWS, PAGE_ROWS);
  $("stats-pager").hidden = pages === 1;
  $("stats-page-info").textContent = `第 ${tablePage + 1} / ${pages} 页，共 ${report.rows.length} 行`;
  $("stats-prev").disabled = tablePage === 0;
  $("stats-next").disabled = tablePage === pages - 1;
}

function table(rep, from, count) {
  const head = ["区划", "事项", "月份", "申请数", "已批准", "不予批准", "退回", "审核中", "即时办结率"];
  for (const [, l] of LEVELS) head.push(`${l} 中位数（小时）`, `${l} P90（小时）`);
  head.push("主动服务 已联系", "主动服务 已申请", "主动服务 已享受");
  let s = "<thead><tr>" + head.map((h) => `<th>${h}</th>`).join("") + "</tr></thead><tbody>";
  const line = (r, cls, label) => {
    const d = (k) => (r.durations || []).find((x) => x.level === k);
    let tr = `<tr class="${cls}"><td class="t division">${esc(label ? rep.division_name : r.division_name)}</td>`;
    tr += label ? `<td class="t">${esc(label)}</td><td class="t"></td>` :
      `<td class="t item-name">${esc(itemText(r.item, r.item_name))}</td><td class="t">${esc(r.month)}</td>`;
    for (const v of [r.applications, r.approved, r.rejected, r.returned, r.in_review, (r.instant_share * 100).toFixed(1) + "%"]) tr += `<td>${esc(v)}</td>`;
    for (const [k] of LEVELS) { const x = d(k); tr += `<td>${x ? x.median_hours : ""}</td><td>${x ? x.p90_hours : ""}</td>`; }
    const pc = r.proactive_coverage || {};
    for (const v of [pc.contacted, pc.applied, pc.enrolled]) tr += `<td class="coverage">${esc(v ?? 0)}</td>`;
    return tr + "</tr>";
  };
  for (const r of rep.rows.slice(from, from + count)) s += line(r, "", "");
  s += line(rep.total, "total", "合计");
  return s + "</tbody>";
}

/** reasons lists the most frequent reasons of the returns and rejections over the whole report. */
function reasons(total) {
  let s = "<thead><tr><th>审核层级</th><th>类型</th><th>原因</th><th>件数</th></tr></thead><tbody>";
  let n = 0;
  for (const r of total.refusals || []) {
    for (const x of r.reasons || []) {
      n++;
      s += `<tr><td>${esc(levelName(r.level))}</td><td>${r.action === "return" ? "退回" : "不予批准"}</td>` +
        `<td class="data">${esc(x.reason || "—")}</td><td>${esc(x.count)}</td></tr>`;
    }
  }
  if (!n) s += `<tr><td colspan="4">暂无</td></tr>`;
  return s + "</tbody>";
}

function paintLegends(root) {
  for (const el of root.querySelectorAll(".legend-swatch")) el.style.background = el.dataset.color;
}

async function run() {
  showProblem(null);
  try {
    const rep = await request("GET", query(""));
    const title = $("stats-title");
    title.replaceChildren();
    const div = document.createElement("span");
    div.className = "division";
    div.textContent = rep.division_name + (rep.item ? " · " + itemText(rep.item) : "");
    title.append(div, document.createTextNode(` ${rep.from} 至 ${rep.to} 统计`));
    $("stats-cards").innerHTML = cards(rep.total);
    $("stats-coverage").innerHTML = coverageCards(rep.total);
    $("chart-months").innerHTML = monthChart(byMonth(rep.rows));
    $("chart-durations").innerHTML = durationChart(rep.total);
    report = rep;
    showTable(0);
    $("stats-reasons").innerHTML = reasons(rep.total);
    paintLegends($("stats-result"));
    $("stats-result").hidden = false;
  } catch (e) {
    showProblem(e);
  }
}

async function download(format) {
  showProblem(null);
  try {
    const resp = await fetch(query(format), { headers: { Authorization: "Bearer " + getToken() }, credentials: "omit", cache: "no-store" });
    if (!resp.ok) {
      let p;
      try { p = await resp.json(); } catch { p = { title: `HTTP ${resp.status}` }; }
      throw new ProblemError(resp.status, p, resp.headers.get("X-Request-Id") || "");
    }
    const cd = resp.headers.get("Content-Disposition") || "";
    const name = (cd.match(/filename="([^"]+)"/) || [])[1] || "statistics." + format;
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    showProblem(e);
  }
}

async function init() {
  const now = new Date();
  const to = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const f = new Date(now.getFullYear(), now.getMonth() - 11, 1);
  $("stats-to").value = to;
  $("stats-from").value = `${f.getFullYear()}-${String(f.getMonth() + 1).padStart(2, "0")}`;
  try {
    itemsByCode = await items();
    for (const it of itemsByCode.values()) {
      const o = document.createElement("option");
      o.value = it.code;
      o.className = "item-name";
      o.textContent = itemName(it);
      $("stats-item").append(o);
    }
  } catch (e) {
    showProblem(e);
  }
  $("stats-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  $("stats-prev").addEventListener("click", () => showTable(tablePage - 1));
  $("stats-next").addEventListener("click", () => showTable(tablePage + 1));
  $("stats-csv").addEventListener("click", () => download("csv"));
  $("stats-xlsx").addEventListener("click", () => download("xlsx"));
  if (!getToken()) {
    showProblem(new ProblemError(401, { title: "未登录", detail: "请先在服务台页面粘贴访问令牌，再打开统计报表。" }, ""));
  } else {
    await run();
  }
  document.body.dataset.ready = "true";
}

initLanguage();
init();
