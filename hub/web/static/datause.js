// 数据使用记录: who used a resident's data, when, for which item and purpose.

import { request } from "./api.js";
import { validateIDNumber } from "./idnumber.js";
import { h, fmtTime, ROLE } from "./labels.js";
import { showProblem, clearProblem, itemLabel, busy } from "./ui.js";

export function initDataUse() {
  const form = document.getElementById("datause-form");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearProblem();
    const input = document.getElementById("datause-id");
    const err = document.getElementById("datause-id-error");
    const r = validateIDNumber(input.value);
    err.textContent = r.message;
    input.classList.toggle("invalid", !r.ok);
    if (!r.ok) return;
    input.value = r.value;
    const box = document.getElementById("datause-view");
    await busy(form.querySelector("button"), async () => {
      try {
        const d = await request("GET", `/v1/residents/${encodeURIComponent(r.value)}/data-use?limit=200`);
        const recs = d.records || [];
        box.hidden = false;
        box.replaceChildren(h("div", { class: "panel" },
          h("h2", {}, `共 ${recs.length} 条记录`),
          recs.length ? h("table", { class: "grid", id: "datause-table" },
            h("thead", {}, h("tr", {}, ["时间", "使用方", "角色", "机构", "事项", "用途", "申请编号"].map((t) => h("th", {}, t)))),
            h("tbody", {}, recs.map((x) => h("tr", {},
              h("td", {}, fmtTime(x.at)), h("td", {}, x.who), h("td", {}, ROLE[x.role] || x.role), h("td", {}, x.org || ""),
              h("td", {}, x.item ? itemLabel(x.item) : ""), h("td", {}, x.purpose),
              h("td", { class: "mono" }, x.application_id ? x.application_id.slice(0, 12) + "…" : "")))))
            : h("p", {}, "暂无使用记录。")));
      } catch (e) {
        showProblem(e, "查询数据使用记录");
      }
    });
  });
}
