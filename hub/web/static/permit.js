// 审批结果: the permit, its printable page, and verification of a permit token.

import { request, fetchHTML } from "./api.js";
import { h, fmtTime, PERMIT_STATUS, divisionLabel } from "./labels.js";
import { showProblem, clearProblem, itemLabel, busy } from "./ui.js";

export function initPermit() {
  document.getElementById("permit-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = document.getElementById("permit-id").value.trim();
    if (id) location.hash = "#permit/" + encodeURIComponent(id);
  });
  document.getElementById("verify-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const tok = document.getElementById("verify-token").value.trim();
    if (tok) await verify(tok, ev.submitter || ev.target.querySelector("button"));
  });
}

/** showPermit loads and shows a permit (route #permit/<id>). */
export async function showPermit(id) {
  clearProblem();
  document.getElementById("permit-id").value = id;
  const box = document.getElementById("permit-view");
  box.hidden = false;
  box.replaceChildren(h("p", {}, "正在加载…"));
  let p;
  try {
    p = await request("GET", "/v1/permits/" + encodeURIComponent(id));
  } catch (e) {
    box.replaceChildren();
    showProblem(e, "查询审批结果");
    return;
  }
  const printPath = `/v1/permits/${encodeURIComponent(p.id)}/print`;
  const printLink = h("a", { href: printPath, id: "print-link", target: "_blank", rel: "noopener" }, "打开可打印的审批结果（含二维码）");
  printLink.addEventListener("click", async (ev) => {
    ev.preventDefault();
    const w = window.open("", "_blank");
    try {
      const url = await fetchHTML(printPath);
      if (w) w.location = url; else location.href = url;
    } catch (e) {
      if (w) w.close();
      showProblem(e, "打印页面");
    }
  });
  const verifyBtn = h("button", { type: "button", id: "permit-verify" }, "核验此批文");
  verifyBtn.addEventListener("click", () => verify(p.token, verifyBtn));
  const st = p.status || "";
  box.replaceChildren(h("div", { class: "panel", id: "permit" },
    h("h2", {}, "电子批文 ", h("small", {}, "Permit")),
    h("div", { class: "result " + (st === "active" ? "ok" : "bad"), id: "permit-status" }, (st === "active" ? "✔ " : "✘ ") + (PERMIT_STATUS[st] || st)),
    h("dl", { class: "kv" },
      h("dt", {}, "审批编号"), h("dd", { class: "mono" }, p.id),
      h("dt", {}, "办理事项"), h("dd", {}, itemLabel(p.item)),
      h("dt", {}, "签发时间"), h("dd", {}, fmtTime(p.issued_at)),
      p.expires_at ? [h("dt", {}, "有效期至"), h("dd", {}, fmtTime(p.expires_at))] : null,
      h("dt", {}, "签发机关"), h("dd", {}, divisionLabel(p.issuer)),
      h("dt", {}, "签章密钥"), h("dd", { class: "mono" }, p.kid || ""),
      p.application_id ? [h("dt", {}, "申请编号"), h("dd", { class: "mono" }, p.application_id)] : null,
      p.revoked_at ? [h("dt", {}, "撤销时间"), h("dd", {}, fmtTime(p.revoked_at), "　", h("span", { class: "data" }, p.revocation_reason || ""))] : null),
    h("div", { class: "actions" }, printLink, verifyBtn),
    h("details", {}, h("summary", {}, "电子批文原文（JWS）"), h("textarea", { rows: 4, readonly: true, class: "mono" }, p.token))));
}

async function verify(token, btn) {
  clearProblem();
  const out = document.getElementById("verify-result");
  await busy(btn, async () => {
    try {
      const r = await request("POST", "/v1/permits/verify", { body: { token }, auth: false });
      const c = r.claims || {};
      out.replaceChildren(h("div", { class: "result " + (r.valid ? "ok" : "bad"), id: "verify-outcome" },
        r.valid ? "✔ 核验通过：批文真实有效" : "✘ 核验未通过：" + (PERMIT_STATUS[r.status] || r.status || "") + (r.reason ? "（" + r.reason + "）" : ""),
        h("div", {}, h("small", {}, `状态 ${r.status || ""} · 密钥 ${r.kid || ""}`,
          c.item ? [" · 事项 ", itemLabel(c.item)] : "", c.iss ? [" · 签发机关 ", divisionLabel(c.iss)] : ""))));
      document.getElementById("verify-form").scrollIntoView({ block: "nearest" });
    } catch (e) {
      showProblem(e, "核验");
    }
  });
}
