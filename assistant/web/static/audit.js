// The audit log view, for admins (issue 22, row 17): filter by key, route and time; newest
// first; download as CSV. Uses the page's helpers from app.js ($, el, api, errorText, plural);
// the "Audit log" button is shown by app.js's applyRole for admins only.
"use strict";

// ---- the audit log, for admins: filter by key, route and time; download as CSV (row 17) ----
function auditQuery(format) {
  const q = new URLSearchParams({ limit: "500" });
  const key = $("audit-key").value;
  const route = $("audit-route").value.trim();
  const since = $("audit-since").value;
  const until = $("audit-until").value;
  if (key) q.set("key", key);
  if (route) q.set("route", route);
  if (since) q.set("since", new Date(since).toISOString());
  if (until) q.set("until", new Date(until).toISOString());
  if (format) q.set("format", format);
  return "/v1/audit?" + q.toString();
}

async function openAudit() {
  $("audit").showModal();
  const r = await api("/v1/keys").catch(() => null);
  const body = r && r.ok ? await r.json().catch(() => ({})) : {};
  const select = $("audit-key");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: "Any key" }));
  for (const k of body.keys || []) {
    select.append(el("option", { value: k.name, text: k.revoked ? `${k.name} (revoked)` : k.name }));
  }
  select.value = chosen;
  await showAudit();
}

async function showAudit(e) {
  if (e) e.preventDefault();
  const status = $("audit-status");
  $("audit-csv").href = auditQuery("csv");
  const r = await api(auditQuery()).catch(() => null);
  if (!r) { status.textContent = "The server could not be reached."; return; }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { status.textContent = errorText(r.status, body); return; }
  const rows = $("audit-table").querySelector("tbody");
  rows.replaceChildren();
  for (const a of (body.entries || []).slice().reverse()) {  // newest first
    rows.append(el("tr", {},
      el("td", { text: a.at ? new Date(a.at).toLocaleString() : "" }),
      el("td", { text: a.key || "—" }), el("td", { text: `${a.method || ""} ${a.route || ""}` }),
      el("td", { text: String(a.status ?? "") }), el("td", { text: a.question || "" })));
  }
  status.textContent = `${plural((body.entries || []).length, "entry", "entries")} (newest first).`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("audit-open").addEventListener("click", openAudit);
  $("audit-close").addEventListener("click", () => $("audit").close());
  $("audit-filter").addEventListener("submit", showAudit);
});
