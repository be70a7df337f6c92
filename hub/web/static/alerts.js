// 监督预警: the supervision alerts of the latest district scan for auditors — each with the
// rule, the evidence and the platform each fact came from, ID numbers masked — filtered by
// resolution, and resolved with a note (written to the audit chain).

import { request } from "./api.js";
import { h, fmtTime, ROLE, platformTag, divisionLabel } from "./labels.js";
import { showProblem, clearProblem, items, itemName, itemLabel, busy } from "./ui.js";
import { reasonList } from "./proactive.js";

let next = "";

export function initAlerts() {
  document.getElementById("alerts-refresh").addEventListener("click", (ev) => busy(ev.target, () => load(false)));
  document.getElementById("alerts-more").addEventListener("click", (ev) => busy(ev.target, () => load(true)));
  document.getElementById("alerts-resolved").addEventListener("change", () => load(false));
  document.getElementById("alerts-item").addEventListener("change", () => load(false));
  items().then((m) => {
    const sel = document.getElementById("alerts-item");
    const list = [...m.values()].sort((a, b) => itemName(a).localeCompare(itemName(b), "zh-CN"));
    sel.append(...list.map((it) => h("option", { value: it.code, class: "item-name" }, itemName(it))));
  }).catch(() => {});
}

/** showAlerts loads the list afresh each time the page is shown (contacts and resolutions change). */
export function showAlerts() {
  load(false);
}

// VILLAGE_ROLL is an entry of a village's roll, "<item>:<masked ID>@<village code>": shown with
// the village's name.
const VILLAGE_ROLL = /^(.+)@(\d{12})$/;

function evidence(f) {
  const ev = f.evidence || [];
  if (!ev.length) return h("span", {}, "—");
  return h("ul", { class: "evidence" }, ev.map((e, i) => {
    const m = VILLAGE_ROLL.exec(e);
    const fact = m ? [h("span", { class: "mono" }, m[1]), " ", divisionLabel(m[2])] : [h("span", { class: "mono" }, e)];
    return h("li", {}, platformTag((f.sources || [])[i] || ""), " ", ...fact);
  }));
}

function resolution(r) {
  return h("div", { class: "resolved" },
    h("div", { class: "tag resolved-tag" }, "✔ 已处理"),
    h("div", { class: "data" }, r.note),
    h("div", { class: "time" }, h("span", { class: "mono" }, r.by), " ", ROLE[r.role] || r.role, " ", fmtTime(r.at)));
}

function row(f) {
  const tr = h("tr", { "data-id": f.id, "data-resolved": f.resolution ? "true" : "false" });
  const cell = h("td", { class: "resolve" });
  if (f.resolution) {
    cell.append(resolution(f.resolution));
  } else {
    const note = h("input", { class: "note-input resolve-note", maxlength: 1000, autocomplete: "off", placeholder: "处理说明（必填，记入审计链）" });
    const err = h("div", { class: "field-error", role: "alert" });
    const btn = h("button", { type: "button", class: "primary resolve-submit" }, "处理");
    btn.addEventListener("click", () => busy(btn, async () => {
      clearProblem();
      if (!note.value.trim()) { err.textContent = "请填写处理说明。"; note.focus(); return; }
      err.textContent = "";
      try {
        const done = await request("POST", `/v1/alerts/${encodeURIComponent(f.id)}/resolve`, { body: { note: note.value.trim() } });
        tr.replaceWith(row(done));
      } catch (e) {
        showProblem(e, "处理预警");
      }
    }));
    cell.append(note, h("div", { class: "actions" }, btn), err);
  }
  tr.append(
    h("td", { class: "mono" }, f.id_number),
    h("td", {}, divisionLabel(f.village)),
    h("td", {}, itemLabel(f.item)),
    h("td", {}, h("div", { class: "reason-text" }, f.rule || ""), reasonList(f)),
    h("td", {}, evidence(f)),
    cell);
  return tr;
}

async function load(more) {
  clearProblem();
  const status = document.getElementById("alerts-status");
  const tbody = document.querySelector("#alerts-table tbody");
  const moreBtn = document.getElementById("alerts-more");
  if (!more) { next = ""; tbody.replaceChildren(); }
  status.textContent = "正在加载…";
  const q = new URLSearchParams({ limit: "100" });
  const resolved = document.getElementById("alerts-resolved").value;
  const item = document.getElementById("alerts-item").value;
  if (resolved) q.set("resolved", resolved);
  if (item) q.set("item", item);
  if (more && next) q.set("after", next);
  try {
    const d = await request("GET", "/v1/alerts?" + q.toString());
    tbody.append(...(d.alerts || []).map(row));
    next = d.next || "";
    moreBtn.hidden = !next;
    const n = tbody.children.length;
    status.textContent = n ? `共 ${n} 条` : "暂无";
  } catch (e) {
    status.textContent = "";
    if (e.status === 403) { status.textContent = "无权查看监督预警（仅审计人员）"; return; }
    showProblem(e, "加载监督预警");
  }
}
