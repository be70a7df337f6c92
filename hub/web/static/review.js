// 审核: the reviewer's list of applications awaiting its level, and approve / reject / return.

import { request, Attempt, decodeToken, getToken } from "./api.js";
import { h, fmtTime, LEVEL, divisionLabel } from "./labels.js";
import { showProblem, clearProblem, itemLabel, busy } from "./ui.js";
import { fieldsTable, decisionPanel, summary } from "./form.js";
import { outcome } from "./counter.js";

const reviewAttempt = new Attempt();

export function initReview() {
  document.getElementById("review-refresh").addEventListener("click", loadList);
}

export async function loadList() {
  clearProblem();
  const status = document.getElementById("review-status");
  const tbody = document.querySelector("#review-table tbody");
  status.textContent = "正在加载…";
  try {
    const d = await request("GET", "/v1/applications?status=in_review&limit=100");
    // Those awaiting this reviewer's own level first; the others (awaiting a level above or
    // below) are shown greyed, for information.
    const mine = (decodeToken(getToken()) || {}).jurisdiction || "";
    const own = (a) => (a.awaiting && a.awaiting.division === mine ? 0 : 1);
    const apps = (d.applications || []).slice().sort((a, b) => own(a) - own(b));
    const n = apps.filter((a) => own(a) === 0).length;
    tbody.replaceChildren(...apps.map((a) => h("tr", { "data-id": a.id, class: own(a) ? "other-level" : "" },
      h("td", { class: "mono" }, a.id.slice(0, 12) + "…"),
      h("td", {}, itemLabel(a.item)),
      h("td", { class: "applicant" }, h("span", { class: "data applicant-name" }, (a.applicant && a.applicant.name) || ""), " ", h("span", { class: "mono" }, a.applicant && a.applicant.id_number)),
      h("td", {}, divisionLabel(a.village)),
      h("td", {}, a.awaiting ? LEVEL[a.awaiting.level] || a.awaiting.level : "", own(a) ? h("div", {}, h("small", {}, "非本级")) : ""),
      h("td", {}, fmtTime(a.updated_at)),
      h("td", {}, h("button", { type: "button", class: "open-app", onclick: () => openApp(a.id) }, "打开")))));
    // Two text nodes, each translated on its own (the first is already English once rendered).
    status.replaceChildren(n ? `本级待审 ${n} 件` : "本级暂无待审申请",
      apps.length > n ? `（另有 ${apps.length - n} 件在其他层级审核中）` : "");
  } catch (e) {
    status.textContent = "";
    showProblem(e, "加载待审列表");
  }
}

async function openApp(id) {
  clearProblem();
  try {
    renderDetail(await request("GET", "/v1/applications/" + encodeURIComponent(id)));
  } catch (e) {
    showProblem(e, "打开申请");
  }
}

function renderDetail(app) {
  const box = document.getElementById("review-detail");
  box.hidden = false;
  box.replaceChildren();
  box.append(h("div", { class: "two-col" },
    h("div", { class: "panel" }, h("h2", {}, "申请详情"), summary(app)),
    decisionPanel(app)));
  box.append(h("div", { class: "panel" }, h("h2", {}, "预填表单"), fieldsTable(app, false)));
  if (app.status !== "in_review") { box.append(outcome(app)); return; }
  const comment = h("textarea", { id: "review-comment", rows: 3, maxlength: 2000, placeholder: "审核意见（驳回或退回时必填）" });
  const msg = h("div", { class: "field-error", id: "review-error", role: "alert" });
  const act = (action) => async (ev) => {
    clearProblem();
    const text = comment.value.trim();
    if (action !== "approve" && !text) { msg.textContent = "驳回或退回时必须填写审核意见。"; comment.focus(); return; }
    msg.textContent = "";
    const body = { action, comment: text };
    const key = reviewAttempt.keyFor({ id: app.id, ...body });
    await busy(ev.target, async () => {
      try {
        const done = await request("POST", `/v1/applications/${encodeURIComponent(app.id)}/review`, { body, key });
        reviewAttempt.done();
        renderDetail(done);
        box.append(h("div", { class: "result ok", id: "review-done" }, reviewSummary(done)));
        loadList();
      } catch (e) {
        showProblem(e, "审核失败");
      }
    });
  };
  box.append(h("div", { class: "panel", id: "review-panel" },
    h("h2", {}, `审核意见（${LEVEL[app.awaiting.level] || app.awaiting.level}）`), comment, msg,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "ok big", id: "review-approve", onclick: act("approve") }, "同意"),
      h("button", { type: "button", class: "danger", id: "review-return", onclick: act("return") }, "退回窗口"),
      h("button", { type: "button", class: "danger", id: "review-reject", onclick: act("reject") }, "驳回"))));
}

function reviewSummary(app) {
  if (app.status === "in_review" && app.awaiting) return `已同意，转${LEVEL[app.awaiting.level] || app.awaiting.level}审核。`;
  if (app.status === "approved") return "已同意，审批完成，已签发电子批文。";
  if (app.status === "returned") return "已退回窗口。";
  if (app.status === "rejected") return "已驳回。";
  return "已提交。";
}
