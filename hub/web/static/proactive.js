// 主动服务: the proactive-service worklist of the caller's villages (the latest district
// scan's candidates, ID numbers masked, with the reasons in Chinese), the contact log of each
// candidate with a form to add an entry, and one click to the candidate's application, which
// the hub decides again on live evidence and the counter page then shows for confirmation.

import { request, Attempt } from "./api.js";
import { h, fmtTime, ROLE, CONTACT_STATUS, divisionLabel } from "./labels.js";
import { showProblem, clearProblem, items, itemName, itemLabel, busy } from "./ui.js";
import { currentLang } from "./i18n.js";
import { renderApplication } from "./counter.js";

const applyAttempts = new Map(); // candidate id -> Attempt (a retry reuses the key)
let next = "";

export function initProactive() {
  document.getElementById("proactive-refresh").addEventListener("click", (ev) => busy(ev.target, () => load(false)));
  document.getElementById("proactive-more").addEventListener("click", (ev) => busy(ev.target, () => load(true)));
  document.getElementById("proactive-item").addEventListener("change", () => load(false));
  items().then((m) => {
    const sel = document.getElementById("proactive-item");
    const list = [...m.values()].filter((it) => it.proactive).sort((a, b) => itemName(a).localeCompare(itemName(b), "zh-CN"));
    sel.append(...list.map((it) => h("option", { value: it.code, class: "item-name" }, itemName(it))));
  }).catch(() => {});
}

/** showProactive loads the list afresh each time the page is shown (contacts and resolutions change). */
export function showProactive() {
  load(false);
}

/** reasonList shows a finding's reasons in the interface language (data from the catalogue). */
export function reasonList(f) {
  const texts = f.reason_texts || [];
  if (!texts.length) return h("span", {}, "—");
  return h("ul", { class: "reasons" }, texts.map((r) =>
    h("li", { class: "reason-text", "data-code": r.code }, (currentLang() === "en" && r.en) || r.zh || r.code)));
}

function contactCell(c) {
  if (!c) return h("span", { class: "status-text" }, "尚未联系");
  return h("span", {}, h("span", { class: "tag contact-" + c.status }, CONTACT_STATUS[c.status] || c.status), " ",
    h("span", { class: "time" }, fmtTime(c.at)));
}

function row(f) {
  return h("tr", { "data-id": f.id, "data-item": f.item },
    h("td", { class: "mono" }, f.id_number),
    h("td", {}, divisionLabel(f.village)),
    h("td", {}, itemLabel(f.item)),
    h("td", {}, reasonList(f)),
    h("td", { class: "contact" }, contactCell(f.contact)),
    h("td", { class: "nowrap" },
      h("button", { type: "button", class: "open-log", onclick: () => openLog(f) }, "联系记录"), " ",
      h("button", { type: "button", class: "ok apply", onclick: (ev) => busy(ev.target, () => apply(f)) }, "办理")));
}

async function load(more) {
  clearProblem();
  const status = document.getElementById("proactive-status");
  const tbody = document.querySelector("#proactive-table tbody");
  const moreBtn = document.getElementById("proactive-more");
  const item = document.getElementById("proactive-item").value;
  if (!more) { next = ""; tbody.replaceChildren(); document.getElementById("proactive-detail").hidden = true; }
  status.textContent = "正在加载…";
  const q = new URLSearchParams({ limit: "100" });
  if (item) q.set("item", item);
  if (more && next) q.set("after", next);
  try {
    const d = await request("GET", "/v1/worklists?" + q.toString());
    const rows = d.candidates || [];
    tbody.append(...rows.map(row));
    next = d.next || "";
    moreBtn.hidden = !next;
    const n = tbody.children.length;
    const at = rows.length ? rows[0].scanned_at : "";
    status.textContent = n ? `共 ${n} 人` + (at ? `（扫描日期 ${at}）` : "") : "暂无";
  } catch (e) {
    status.textContent = "";
    showProblem(e, "加载主动服务名单");
  }
}

// openLog shows a candidate's contact log with the form for a new entry.
async function openLog(f) {
  clearProblem();
  const box = document.getElementById("proactive-detail");
  let log = [];
  try {
    log = (await request("GET", `/v1/worklists/${encodeURIComponent(f.id)}/contacts`)).contacts || [];
  } catch (e) {
    showProblem(e, "加载联系记录");
    return;
  }
  const statusSel = h("select", { id: "contact-status" },
    Object.entries(CONTACT_STATUS).map(([v, label]) => h("option", { value: v }, label)));
  const note = h("input", { id: "contact-note", maxlength: 1000, autocomplete: "off", placeholder: "例如：已电话告知政策，本人同意办理" });
  const save = h("button", { type: "submit", class: "primary", id: "contact-save" }, "保存联系记录");
  const msg = h("div", { id: "contact-result", role: "status" });
  const form = h("form", { class: "form-row audit-filter", id: "contact-form", novalidate: true },
    h("label", { for: "contact-status" }, "联系结果"), statusSel,
    h("label", { for: "contact-note" }, "备注"), note, save);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(save, async () => {
      clearProblem();
      try {
        const entry = await request("POST", `/v1/worklists/${encodeURIComponent(f.id)}/contacts`,
          { body: { status: statusSel.value, note: note.value.trim() } });
        f.contact = entry;
        note.value = "";
        const tr = document.querySelector(`#proactive-table tr[data-id="${CSS.escape(f.id)}"] td.contact`);
        if (tr) tr.replaceChildren(contactCell(entry));
        await openLog(f);
        document.getElementById("contact-result").replaceChildren(h("span", { class: "result ok" }, "✔ 已保存，已记入审计日志"));
      } catch (e) {
        showProblem(e, "保存联系记录");
      }
    });
  });
  box.replaceChildren(h("div", { class: "panel", id: "contact-panel", "data-id": f.id },
    h("h2", {}, "联系记录 ", h("small", {}, "Contact log")),
    h("dl", { class: "kv" },
      h("dt", {}, "身份证号"), h("dd", { class: "mono" }, f.id_number),
      h("dt", {}, "所在村"), h("dd", {}, divisionLabel(f.village)),
      h("dt", {}, "事项"), h("dd", {}, itemLabel(f.item)),
      h("dt", {}, "理由"), h("dd", {}, reasonList(f))),
    log.length ? h("table", { class: "grid", id: "contact-table" },
      h("thead", {}, h("tr", {}, ["时间", "联系结果", "备注", "记录人", "角色"].map((x) => h("th", {}, x)))),
      h("tbody", {}, log.map((c) => h("tr", { "data-status": c.status },
        h("td", { class: "time" }, fmtTime(c.at)), h("td", {}, CONTACT_STATUS[c.status] || c.status),
        h("td", { class: "data" }, c.note || ""), h("td", { class: "mono" }, c.by), h("td", {}, ROLE[c.role] || c.role)))))
      : h("p", { id: "contact-empty" }, "尚无联系记录。"),
    form, msg,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "ok", id: "contact-apply", onclick: (ev) => busy(ev.target, () => apply(f)) }, "办理：按实时数据预填申请"))));
  box.hidden = false;
  box.scrollIntoView({ block: "start" });
}

// apply makes the candidate's application (POST /v1/worklists/{id}/application: evidence
// fetched now, decided again) and continues on the counter page with the pre-filled form.
async function apply(f) {
  clearProblem();
  if (!applyAttempts.has(f.id)) applyAttempts.set(f.id, new Attempt());
  const attempt = applyAttempts.get(f.id);
  const body = {};
  const key = attempt.keyFor(body);
  try {
    const app = await request("POST", `/v1/worklists/${encodeURIComponent(f.id)}/application`, { body, key });
    attempt.done();
    applyAttempts.delete(f.id);
    location.hash = "#counter";
    renderApplication(app);
    document.getElementById("application").scrollIntoView({ block: "start" });
  } catch (e) {
    showProblem(e, "办理失败");
  }
}
