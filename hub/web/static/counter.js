// 窗口受理: choose an item, check the ID number, create the application (pre-filled form and
// decision), let the applicant decline fields and sign, confirm, show the outcome.

import { request, Attempt } from "./api.js";
import { validateIDNumber } from "./idnumber.js";
import { h, LEVEL, STATUS, fmtTime, divisionLabel } from "./labels.js";
import { showProblem, clearProblem, items, itemLabel, itemName, busy } from "./ui.js";
import { fieldsTable, decisionPanel, summary } from "./form.js";
import { SignaturePad } from "./signature.js";

const createAttempt = new Attempt();
const confirmAttempt = new Attempt();

export async function initCounter() {
  const select = document.getElementById("item-select");
  const idInput = document.getElementById("id-number");
  const idError = document.getElementById("id-error");
  const form = document.getElementById("create-form");
  const status = document.getElementById("create-status");

  try {
    const m = await items();
    const list = [...m.values()].sort((a, b) => itemName(a).localeCompare(itemName(b), "zh-CN"));
    select.replaceChildren(h("option", { value: "" }, "— 请选择办理事项 —"),
      ...list.map((it) => h("option", { value: it.code }, `${itemName(it)}${it.instant ? "（可秒批）" : ""}`)));
  } catch (e) {
    select.replaceChildren(h("option", { value: "" }, "（事项加载失败）"));
    showProblem(e, "加载事项");
  }

  document.getElementById("returned-refresh").addEventListener("click", loadReturned);
  document.getElementById("returned-panel").addEventListener("toggle", (e) => { if (e.target.open) loadReturned(); });

  const checkID = () => {
    const r = validateIDNumber(idInput.value);
    idError.textContent = idInput.value.trim() === "" ? "" : r.message;
    idInput.classList.toggle("invalid", !r.ok && idInput.value.trim() !== "");
    return r;
  };
  idInput.addEventListener("input", () => { if (idInput.value.trim().length >= 18) checkID(); else { idError.textContent = ""; idInput.classList.remove("invalid"); } });
  idInput.addEventListener("blur", checkID);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearProblem();
    const id = validateIDNumber(idInput.value);
    if (!id.ok) { idError.textContent = id.message; idInput.classList.add("invalid"); idInput.focus(); return; }
    idInput.value = id.value;
    if (!select.value) { showProblem(new Error("请选择办理事项。"), "窗口受理"); select.focus(); return; }
    const purpose = document.getElementById("purpose").value.trim();
    if (!purpose) { showProblem(new Error("请填写办理用途（将记入居民的数据使用记录）。"), "窗口受理"); document.getElementById("purpose").focus(); return; }
    const body = { item: select.value, applicant: { id_number: id.value }, purpose };
    const key = createAttempt.keyFor(body);
    status.textContent = "正在从省、市、区平台获取数据…";
    const btn = document.getElementById("create-submit");
    await busy(btn, async () => {
      try {
        const app = await request("POST", "/v1/applications", { body, key });
        createAttempt.done();
        status.textContent = "";
        renderApplication(app);
        document.getElementById("application").scrollIntoView({ block: "start" });
      } catch (e) {
        status.textContent = "未完成：可直接再次点击重试（不会重复受理）。";
        showProblem(e, "受理失败");
      }
    });
  });
}

// loadReturned lists this counter's applications that wait for it: returned by a reviewer
// (to correct and confirm again) or created and not yet confirmed.
async function loadReturned() {
  clearProblem();
  const status = document.getElementById("returned-status");
  const tbody = document.querySelector("#returned-table tbody");
  status.textContent = "正在加载…";
  try {
    const lists = await Promise.all(["returned", "draft"].map((s) => request("GET", `/v1/applications?status=${s}&limit=50`)));
    const apps = lists.flatMap((d) => d.applications || []);
    tbody.replaceChildren(...apps.map((a) => h("tr", { "data-id": a.id },
      h("td", { class: "mono" }, a.id.slice(0, 12) + "…"),
      h("td", {}, itemLabel(a.item)),
      h("td", { class: "applicant" }, h("span", { class: "data applicant-name" }, (a.applicant && a.applicant.name) || ""), " ", h("span", { class: "mono" }, a.applicant && a.applicant.id_number)),
      h("td", {}, STATUS[a.status] || a.status),
      h("td", {}, fmtTime(a.updated_at)),
      h("td", {}, h("button", { type: "button", onclick: () => openApplication(a.id) }, "打开")))));
    status.textContent = apps.length ? `共 ${apps.length} 件` : "暂无";
  } catch (e) {
    status.textContent = "";
    showProblem(e, "加载退回件");
  }
}

async function openApplication(id) {
  clearProblem();
  try {
    renderApplication(await request("GET", "/v1/applications/" + encodeURIComponent(id)));
    document.getElementById("application").scrollIntoView({ block: "start" });
  } catch (e) {
    showProblem(e, "打开申请");
  }
}

/** renderApplication shows an application with its form, decision and confirmation. */
export function renderApplication(app) {
  const box = document.getElementById("application");
  box.replaceChildren();
  box.hidden = false;
  const canConfirm = app.status === "draft" || app.status === "returned";
  const pad = h("canvas", { id: "sigpad", width: 560, height: 170, "aria-label": "申请人签名区" });
  box.append(h("div", { class: "two-col" },
    h("div", { class: "panel" }, h("h2", {}, "申请信息 ", h("small", {}, "Application")), summary(app)),
    decisionPanel(app)));
  box.append(h("div", { class: "panel" },
    h("h2", {}, "预填表单 ", h("small", {}, "Pre-filled form — 数据来自权威平台，请申请人逐项核对")),
    fieldsTable(app, canConfirm)));
  if (!canConfirm) { box.append(outcome(app)); return; }

  const confirmBtn = h("button", { type: "button", class: "primary big", id: "confirm-submit" }, "申请人确认并提交");
  const clearBtn = h("button", { type: "button", id: "sig-clear" }, "重新签名");
  const sigMsg = h("div", { class: "field-error", id: "sig-error", role: "alert" });
  const result = h("div", { id: "confirm-result" });
  box.append(h("div", { class: "panel", id: "confirm-panel" },
    h("h2", {}, "申请人确认 ", h("small", {}, "Applicant confirmation")),
    h("p", { class: "hint" }, "请申请人核对上方信息。如不同意使用某项自动获取的数据，请勾选“不使用自动填充”并说明；确认无误后在下方签名。"),
    h("div", { class: "sigpad-wrap" }, pad),
    h("div", { class: "actions" }, clearBtn, confirmBtn), sigMsg, result));
  const sig = new SignaturePad(pad);
  pad.addEventListener("signed", () => { sigMsg.textContent = ""; });
  clearBtn.addEventListener("click", () => sig.reset());
  confirmBtn.addEventListener("click", async () => {
    clearProblem();
    if (sig.isEmpty()) { sigMsg.textContent = "请申请人在签名区签名后再提交。"; return; }
    const declined = [], notes = {};
    for (const cb of box.querySelectorAll("input[type=checkbox][name^=decline-]:checked")) {
      declined.push(cb.value);
      const note = box.querySelector(`input[name="note-${CSS.escape(cb.value)}"]`);
      if (note && note.value.trim()) notes[cb.value] = note.value.trim();
    }
    const values = {};
    for (const input of box.querySelectorAll("input[name^=value-]")) {
      if (input.value.trim()) values[input.name.slice("value-".length)] = input.value.trim();
    }
    const body = { signature: sig.dataURL(), declined, notes, values };
    const key = confirmAttempt.keyFor(body);
    await busy(confirmBtn, async () => {
      try {
        const done = await request("POST", `/v1/applications/${encodeURIComponent(app.id)}/confirm`, { body, key });
        confirmAttempt.done();
        renderApplication(done);
      } catch (e) {
        showProblem(e, "确认失败");
      }
    });
  });
}

/** outcome shows what happened after confirmation. */
export function outcome(app) {
  if (app.status === "approved") {
    return h("div", { class: "result ok", id: "outcome" }, "✔ 已批准",
      app.permit_id ? ["（秒批）　审批编号：", h("a", { href: "#permit/" + encodeURIComponent(app.permit_id), id: "permit-link" }, app.permit_id), "　查看并打印"] : "");
  }
  if (app.status === "in_review" && app.awaiting) {
    return h("div", { class: "result wait", id: "outcome" }, `⏳ 已提交，待${LEVEL[app.awaiting.level] || app.awaiting.level}审核：`, divisionLabel(app.awaiting.division));
  }
  if (app.status === "rejected") return h("div", { class: "result bad", id: "outcome" }, "✘ 已驳回");
  return h("div", { class: "result wait", id: "outcome" }, "状态：" + app.status);
}
