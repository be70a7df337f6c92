// Entry point: the token panel, the caller shown in the top bar, and hash routing between
// the pages (#counter, #proactive, #review, #permit[/id], #datause, #audit, #alerts). Nothing secret goes in the hash.

import { getToken, setToken, decodeToken } from "./api.js";
import { h, ROLE, divisionLabel } from "./labels.js";
import { clearProblem } from "./ui.js";
import { initCounter } from "./counter.js";
import { initReview, loadList } from "./review.js";
import { initPermit, showPermit } from "./permit.js";
import { initDataUse } from "./datause.js";
import { initConsole, showConsole } from "./console.js";
import { initWhatIf } from "./whatif.js";
import { initLanguage } from "./i18n.js";
import { initProactive, showProactive } from "./proactive.js";
import { initAlerts, showAlerts } from "./alerts.js";

const PAGES = ["counter", "proactive", "review", "permit", "datause", "audit", "alerts"];

function showCaller() {
  const who = document.getElementById("who");
  const panel = document.getElementById("token-panel");
  const claims = decodeToken(getToken());
  if (!claims) {
    who.replaceChildren("未登录：请粘贴访问令牌");
    panel.hidden = false;
    return null;
  }
  const exp = claims.exp ? new Date(claims.exp * 1000) : null;
  const expired = exp && exp < new Date();
  who.replaceChildren(
    h("div", {}, h("span", { class: "role", id: "who-role" }, ROLE[claims.role] || claims.role || "未知角色"), "　",
      claims.jurisdiction ? divisionLabel(claims.jurisdiction) : "（无辖区）"),
    h("div", {}, h("small", {}, (claims.sub || ""), exp ? (expired ? "　令牌已过期" : `　有效至 ${exp.toLocaleString("zh-CN", { hour12: false })}`) : ""),
      "　", h("button", { type: "button", id: "switch-token", onclick: () => { panel.hidden = !panel.hidden; } }, "更换令牌")));
  panel.hidden = !expired;
  return claims;
}

function route() {
  clearProblem();
  const [page, arg] = (location.hash.slice(1) || "").split("/");
  let name = PAGES.includes(page) ? page : "";
  if (!name) {
    const role = (decodeToken(getToken()) || {}).role;
    name = role === "reviewer" ? "review" : role === "auditor" ? "audit" : "counter";
  }
  for (const p of PAGES) document.getElementById("page-" + p).hidden = p !== name;
  for (const a of document.querySelectorAll(".tabs a")) a.classList.toggle("active", a.dataset.page === name);
  if (name === "permit" && arg) showPermit(decodeURIComponent(arg));
  if (name === "review" && getToken()) loadList();
  if (name === "audit" && getToken()) showConsole();
  if (name === "proactive" && getToken()) showProactive();
  if (name === "alerts" && getToken()) showAlerts();
}

function init() {
  // A blocked load (an asset from elsewhere, an inline script) is a bug: count it where a test
  // and a support call can see it.
  initLanguage();
  let violations = 0;
  document.addEventListener("securitypolicyviolation", (e) => {
    violations++;
    document.body.dataset.cspViolations = String(violations);
    console.warn("CSP violation:", e.violatedDirective, e.blockedURI);
  });
  const input = document.getElementById("token-input");
  const err = document.getElementById("token-error");
  document.getElementById("token-save").addEventListener("click", () => {
    const t = input.value.trim().replace(/^Bearer\s+/i, "");
    const c = decodeToken(t);
    if (!c) { err.textContent = "这不是有效的访问令牌（应为三段以“.”分隔的 JWT）。"; return; }
    err.textContent = "";
    setToken(t);
    input.value = "";
    showCaller();
    route();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    setToken("");
    input.value = "";
    showCaller();
  });
  showCaller();
  initCounter();
  initReview();
  initPermit();
  initDataUse();
  initConsole();
  initProactive();
  initAlerts();
  initWhatIf();
  window.addEventListener("hashchange", route);
  route();
  document.body.dataset.ready = "true";
}

init();
