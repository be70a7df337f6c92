// The hub's REST API as the pages use it: the caller token (kept in sessionStorage, sent only
// in the Authorization header, never in a URL), JSON requests, problem documents and
// idempotency keys.

const TOKEN_KEY = "sanmian.token";

/** Error thrown for a non-2xx answer; carries the RFC 9457 problem and the request id. */
export class ProblemError extends Error {
  constructor(status, problem, requestId) {
    super(problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.requestId = problem.request_id || requestId || "";
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** decodeToken reads (without verifying: the hub does that) a JWT's claims, or returns null. */
export function decodeToken(t) {
  const parts = (t || "").split(".");
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** newKey returns a random Idempotency-Key (works without a secure context). */
export function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return "ui-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * request calls the API. opts: {body, key (Idempotency-Key), auth (default true)}.
 * Resolves to the parsed JSON body; rejects with ProblemError (HTTP errors) or
 * ProblemError with status 0 (network failure).
 */
export async function request(method, path, opts = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  if (opts.auth !== false) {
    const t = getToken();
    if (t) headers.Authorization = "Bearer " + t;
  }
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.key) headers["Idempotency-Key"] = opts.key;
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, credentials: "omit", cache: "no-store",
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (e) {
    throw new ProblemError(0, { title: "网络错误 / Network error", detail: "无法连接服务器，请检查网络后重试（将使用同一幂等键，不会重复办理）。" }, "");
  }
  const rid = resp.headers.get("X-Request-Id") || "";
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const p = data && typeof data === "object" ? data : { title: `HTTP ${resp.status}`, detail: text.slice(0, 300) };
    throw new ProblemError(resp.status, p, rid);
  }
  return data;
}

/**
 * fetchHTML fetches an authenticated HTML page (the printable permit) and returns a blob URL
 * for it, so the token still never appears in a URL.
 */
export async function fetchHTML(path) {
  const headers = { Accept: "text/html" };
  const t = getToken();
  if (t) headers.Authorization = "Bearer " + t;
  const resp = await fetch(path, { headers, credentials: "omit", cache: "no-store" });
  if (!resp.ok) {
    const rid = resp.headers.get("X-Request-Id") || "";
    let p;
    try { p = await resp.json(); } catch { p = { title: `HTTP ${resp.status}` }; }
    throw new ProblemError(resp.status, p, rid);
  }
  const blob = new Blob([await resp.text()], { type: "text/html;charset=utf-8" });
  return URL.createObjectURL(blob);
}

/**
 * Attempt pairs a request body with its Idempotency-Key: the same body retried after a
 * failure reuses the key (the hub replays instead of acting twice); a changed body, or a new
 * attempt after a success, gets a fresh key.
 */
export class Attempt {
  constructor() { this.body = null; this.key = ""; }
  keyFor(body) {
    const s = JSON.stringify(body);
    if (s !== this.body || !this.key) { this.body = s; this.key = newKey(); }
    return this.key;
  }
  done() { this.body = null; this.key = ""; }
}
