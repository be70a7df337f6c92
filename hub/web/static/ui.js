// Shared page plumbing: the problem box, the item catalogue, busy buttons.

import { request, ProblemError } from "./api.js";
import { h } from "./labels.js";
import { currentLang } from "./i18n.js";

/** showProblem shows an error: the problem's title and detail, field errors and the request id. */
export function showProblem(err, context) {
  const box = document.getElementById("problem");
  box.replaceChildren();
  const p = err instanceof ProblemError ? err.problem : { title: "页面错误", detail: String(err && err.message || err) };
  const rid = err instanceof ProblemError ? err.requestId : "";
  box.append(h("div", { class: "title" }, (context ? context + "：" : "") + (p.title || "出错了")));
  if (p.detail) box.append(h("div", { class: "detail" }, p.detail));
  if (Array.isArray(p.errors) && p.errors.length) {
    box.append(h("ul", {}, p.errors.map((e) => h("li", {}, `${e.field}：${e.detail}`))));
  }
  if (typeof p.permit_id === "string" && p.permit_id) {
    // already-held: the resident's active permit for the item.
    box.append(h("div", {}, "现有许可 / Active permit：", h("a", { href: "#permit/" + encodeURIComponent(p.permit_id) }, p.permit_id)));
  }
  if (err instanceof ProblemError && err.status === 401) {
    box.append(h("div", {}, "请在上方重新粘贴有效的访问令牌。"));
  }
  if (rid) box.append(h("div", {}, "请求编号（联系技术支持时请提供）：", h("span", { class: "rid", id: "problem-rid" }, rid)));
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

export function clearProblem() {
  const box = document.getElementById("problem");
  box.hidden = true;
  box.replaceChildren();
}

let itemsPromise = null;

/** items loads GET /v1/items once; resolves to a Map code → item. */
export function items() {
  if (!itemsPromise) {
    itemsPromise = request("GET", "/v1/items", { auth: false })
      .then((d) => new Map((d.items || []).map((it) => [it.code, it])))
      .catch((e) => { itemsPromise = null; throw e; });
  }
  return itemsPromise;
}

/** itemName is an item's name in the interface language. */
export function itemName(it) {
  return (currentLang() === "en" && it.name_en) || it.name_zh;
}

/** itemLabel is an element showing an item's name (the code until it is known). */
export function itemLabel(code) {
  const el = h("span", { class: "item-name", title: code }, code);
  items().then((m) => { const it = m.get(code); if (it) el.textContent = itemName(it); }).catch(() => {});
  return el;
}

/** busy disables button while fn runs. */
export async function busy(button, fn) {
  const was = button.disabled;
  button.disabled = true;
  try { return await fn(); } finally { button.disabled = was; }
}
