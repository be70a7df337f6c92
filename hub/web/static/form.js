// The pre-filled form and the decision, as the counter and the reviewers see them.

import { h, fmtTime, fmtValue, platformTag, STATUS, LEVEL, MISSING, PLATFORM, divisionLabel } from "./labels.js";
import { itemLabel } from "./ui.js";
import { currentLang } from "./i18n.js";

// fieldLabel is a form field's label: the hub's Chinese label, or in English the field's
// code made readable ("birth_date" → "Birth date"), the hub having no English labels.
function fieldLabel(f) {
  if (currentLang() !== "en" || !f.name) return f.label || f.name;
  const s = f.name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * fieldsTable renders the form. With declinable set, each pre-filled field gets a 拒绝自动填充
 * checkbox and a note input (name="decline-<field>", "note-<field>"), and each field the hub
 * did not fill gets an input for the counter to enter it (name="value-<field>").
 */
export function fieldsTable(app, declinable) {
  const rows = (app.form && app.form.fields || []).map((f) => {
    const src = f.source;
    const status = [];
    if (src && src.stale) status.push(h("span", { class: "tag stale", title: "平台暂不可用，使用缓存数据" }, "⚠ 缓存数据，可能过期"));
    if (f.declined) status.push(h("span", { class: "tag manual" }, "申请人拒绝自动填充"));
    else if (f.manual) status.push(h("span", { class: "tag manual" }, "需窗口录入"));
    if (f.note) status.push(h("div", { class: "meta data" }, f.note));
    let decline = "";
    if (declinable && src && !f.declined) {
      const note = h("input", { class: "note-input", name: "note-" + f.name, placeholder: "说明（如：申请人提交原件核验）", hidden: true });
      const cb = h("input", { type: "checkbox", name: "decline-" + f.name, value: f.name, onchange: (e) => { note.hidden = !e.target.checked; } });
      decline = h("label", {}, cb, " 不使用自动填充", note);
    }
    const entry = declinable && f.manual && !src
      ? h("input", { class: "value-input", name: "value-" + f.name, maxlength: 200, placeholder: "窗口录入" })
      : null;
    return h("tr", { "data-field": f.name, class: f.declined ? "declined" : "" },
      h("th", { scope: "row", title: currentLang() === "en" ? null : f.name }, fieldLabel(f)),
      h("td", { class: "value data" }, entry || (isDivisionCode(f) ? divisionLabel(f.value) : fmtValue(f.value))),
      h("td", {}, src ? platformTag(src.platform) : "—"),
      h("td", { class: "meta" }, src ? [h("div", { class: "mono" }, src.record || ""), src.endpoint ? h("div", {}, src.endpoint) : ""] : ""),
      h("td", { class: "time", title: src ? src.fetched_at : "" }, src ? timeCell(src.fetched_at) : ""),
      h("td", {}, status),
      declinable ? h("td", {}, decline) : null);
  });
  return h("table", { class: "grid fields", id: "fields-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "字段"), h("th", {}, "预填内容"), h("th", {}, "来源"), h("th", {}, "记录"),
      h("th", {}, "获取时间"), h("th", {}, "状态"), declinable ? h("th", {}, "申请人意见") : null)),
    h("tbody", {}, rows));
}

// isDivisionCode reports whether a field holds a district division code (the village).
function isDivisionCode(f) {
  return typeof f.value === "string" && /^370114\d{6}$/.test(f.value);
}

// timeCell shows the time of day large and the date below it.
function timeCell(s) {
  const t = fmtTime(s);
  const [date, time] = t.split(" ");
  return time ? [h("div", {}, time), h("div", {}, h("small", {}, date))] : t;
}

/** decisionPanel renders the policy decision: verdict, reasons, missing evidence, conflicts. */
export function decisionPanel(app) {
  const d = app.decision || {};
  let cls = "maybe", word = "待定", en = "Undetermined";
  if (d.eligible === true) { cls = "yes"; word = "符合"; en = "Eligible"; }
  if (d.eligible === false) { cls = "no"; word = "不符合"; en = "Not eligible"; }
  const parts = [h("div", { class: "verdict " + cls, id: "verdict" },
    h("span", { class: "big" }, word), h("span", {}, en),
    d.instant ? h("span", { class: "tag other" }, "可秒批") : null)];
  if (d.reasons && d.reasons.length) {
    parts.push(h("h3", {}, "依据与理由"), h("ul", { class: "reasons" }, d.reasons.map((r) =>
      h("li", {}, h("span", { class: "reason-text" }, r.zh || r.code), r.rule ? h("small", { class: "data" }, "　" + r.rule) : "", r.en ? h("div", { class: "en" }, r.en) : ""))));
  }
  if (d.missing && d.missing.length) {
    parts.push(h("h3", {}, "缺少的证明材料"), h("ul", { id: "missing" }, d.missing.map((m) => h("li", {}, MISSING[m] || m, " ", h("small", {}, m)))));
  }
  if (d.conflicts && d.conflicts.length) {
    parts.push(h("h3", {}, "数据不一致"), h("ul", { id: "conflicts" }, d.conflicts.map((c) =>
      h("li", {}, `${c.field}：${(c.platforms || []).map((p) => PLATFORM[p] || p).join("、")} 数据不一致，以${PLATFORM[c.authority] || c.authority}为准`))));
  }
  if (d.stale) parts.push(h("p", { class: "tag stale" }, "⚠ 部分数据来自缓存，需人工审核"));
  parts.push(h("p", { class: "meta" }, h("small", {}, `决定编号 ${d.decision_id || "—"} · 政策版本 ${d.revision || "—"}`)));
  return h("div", { class: "panel decision" }, h("h2", {}, "资格判断 ", h("small", {}, "Decision")), parts);
}

/** summary renders the application's header facts. */
export function summary(app) {
  const a = app.applicant || {};
  return h("dl", { class: "kv" },
    h("dt", {}, "申请编号"), h("dd", { class: "mono", id: "app-id" }, app.id),
    h("dt", {}, "办理事项"), h("dd", {}, itemLabel(app.item)),
    h("dt", {}, "申请人"), h("dd", {}, h("span", { class: "data" }, a.name ? a.name + "　" : ""), h("span", { class: "mono" }, a.id_number || "")),
    h("dt", {}, "所在村"), h("dd", {}, divisionLabel(app.village)),
    h("dt", {}, "状态"), h("dd", { id: "app-status" }, STATUS[app.status] || app.status,
      app.awaiting ? [`（待${LEVEL[app.awaiting.level] || app.awaiting.level}审核：`, divisionLabel(app.awaiting.division), "）"] : ""));
}
