// Resident ID number check (GB 11643-1999, ISO 7064 MOD 11-2), done before anything is sent.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";

/** checkCharacter returns the check character for the first 17 digits. */
export function checkCharacter(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/**
 * validateIDNumber returns {ok, value, message}: value normalised (trimmed, x → X), message a
 * Chinese explanation when not ok.
 */
export function validateIDNumber(raw) {
  const v = (raw || "").trim().toUpperCase();
  if (v === "") return { ok: false, value: v, message: "请输入18位公民身份号码。" };
  if (v.length !== 18) return { ok: false, value: v, message: `身份证号码应为18位，当前为${v.length}位。` };
  if (!/^\d{17}[\dX]$/.test(v)) return { ok: false, value: v, message: "前17位必须是数字，最后一位是数字或X。" };
  const y = +v.slice(6, 10), m = +v.slice(10, 12), d = +v.slice(12, 14);
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (y < 1880 || dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d || dt > new Date()) {
    return { ok: false, value: v, message: `出生日期“${v.slice(6, 14)}”无效，请核对号码。` };
  }
  const want = checkCharacter(v.slice(0, 17));
  if (want !== v[17]) {
    return { ok: false, value: v, message: `校验位不符（按 GB 11643 计算应为“${want}”，输入为“${v[17]}”），请核对是否输错。` };
  }
  return { ok: true, value: v, message: "" };
}
