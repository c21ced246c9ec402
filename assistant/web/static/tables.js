// The Tables view (issue 20 point 6): the deals, regulatory events and facilities extracted from
// the documents (GET /v1/records), sortable, filtered by company and date, every cell opening the
// sentence it was read from. Reached by the header's "Tables" link (#tables, #tables/regulatory,
// #tables/facility). Uses the page's helpers from app.js ($, el, api, errorText, plural,
// openPassage, fileName); every value and quote goes into the page as text, never as HTML.
"use strict";

// The columns of each type, in the order of assistant/service/records.py FIELDS.
const RECORD_FIELDS = {
  deal: ["parties", "kind", "asset", "upfront", "milestones", "total", "announced"],
  regulatory: ["agency", "action", "designation", "product", "sponsor", "indication", "date"],
  facility: ["company", "site", "country", "capacity_liters", "investment", "jobs", "status", "date"],
};
const RECORD_TYPES = Object.keys(RECORD_FIELDS);
const MONEY_FIELDS = new Set(["upfront", "milestones", "total", "investment"]);
const NUMBER_FIELDS = new Set(["capacity_liters", "jobs"]);
const FIELD_LABELS = { capacity_liters: "Capacity (L)", kind: "Kind of deal" };
const TYPE_WORDS = { deal: ["deal", "deals"], regulatory: ["regulatory event", "regulatory events"],
  facility: ["facility", "facilities"] };
const VALUE_WORDS = { ind_clearance: "IND clearance", fast_track: "fast track", bla: "BLA", nda: "NDA",
  maa: "MAA", crl: "complete response letter" };

const tables = {
  type: "deal", records: [], sort: null, // sort: {field, dir: 1 | -1}
  titles: new Map(), // source -> document title (GET /v1/sources)
  loaded: null, // the query last shown, so that coming back to the view does not reload it
  opener: null, // the cell whose quote is open
};

function fieldLabel(name) {
  return FIELD_LABELS[name] || name[0].toUpperCase() + name.slice(1).replace(/_/g, " ");
}

// ---- values as words: "$1.2 billion", "up to CHF 650 million", lists joined ----
function moneyText(cell) {
  const v = Number(cell.value);
  if (!Number.isFinite(v)) return String(cell.value);
  const cur = cell.currency || "USD";
  const sign = cur === "USD" ? "$" : `${cur} `;
  let text = `${sign}${Math.round(v).toLocaleString("en-US")}`;
  for (const [scale, word] of [[1e12, "trillion"], [1e9, "billion"], [1e6, "million"]]) {
    if (v >= scale) {
      text = `${sign}${(v / scale).toFixed(2).replace(/\.?0+$/, "")} ${word}`;
      break;
    }
  }
  return cell.qualifier ? `${cell.qualifier} ${text}` : text;
}

function cellText(name, cell) {
  const v = cell.value;
  if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return "";
  if (MONEY_FIELDS.has(name)) return moneyText(cell);
  if (Array.isArray(v)) return v.map(String).join(", ");
  if (typeof v === "number") {
    const text = v.toLocaleString("en-US");
    return cell.qualifier ? `${cell.qualifier} ${text}` : text;
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  const s = String(v);
  return VALUE_WORDS[s] || (/^[a-z_]+$/.test(s) ? s.replace(/_/g, " ") : s);
}

function sortKey(name, cell) {
  if (!cell) return null;
  const v = cell.value;
  if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return null;
  if (typeof v === "number") return v;
  return cellText(name, cell).toLowerCase();
}

// ---- the query: the type and the filters, for the table and the CSV link ----
function recordsQuery(format) {
  const q = new URLSearchParams({ type: tables.type });
  for (const [param, id] of [["company", "records-company"], ["since", "records-since"],
    ["until", "records-until"]]) {
    const value = $(id).value.trim();
    if (value) q.set(param, value);
  }
  if (format) q.set("format", format);
  return "/v1/records?" + q.toString();
}

async function loadTitles() {
  const r = await api("/v1/sources").catch(() => null);
  const body = r && r.ok ? await r.json().catch(() => ({})) : {};
  tables.titles = new Map((body.sources || []).map((s) => [s.source, s.title || s.source]));
}

async function showRecords(force) {
  const url = recordsQuery();
  $("records-csv").href = recordsQuery("csv");
  if (!force && tables.loaded === url) return;
  tables.loaded = url;
  const status = $("records-status");
  status.classList.remove("records-error");
  status.textContent = "Loading…";
  if (!tables.titles.size) await loadTitles();
  const r = await api(url).catch(() => null);
  if (url !== tables.loaded) return; // a newer query was asked meanwhile
  let body = {};
  if (r) body = await r.json().catch(() => ({}));
  if (!r || !r.ok) {
    tables.loaded = null;
    tables.records = [];
    renderTable();
    status.classList.add("records-error");
    // The API's 422 names the filter and what it accepts ("since must be a date as YYYY, …").
    status.textContent = !r ? "The server could not be reached."
      : typeof body.detail === "string" ? `Not shown: ${body.detail}.` : errorText(r.status, body);
    return;
  }
  tables.records = body.records || [];
  renderTable();
  status.textContent = countText(tables.records.length);
}

function countText(n) {
  const [one, many] = TYPE_WORDS[tables.type];
  const said = [];
  const company = $("records-company").value.trim();
  const since = $("records-since").value.trim();
  const until = $("records-until").value.trim();
  if (company) said.push(`of ${company}`);
  if (since && until) said.push(`from ${since} to ${until}`);
  else if (since) said.push(`from ${since} on`);
  else if (until) said.push(`up to ${until}`);
  return `${plural(n, one, many)}${said.length ? " " + said.join(", ") : ""}` +
    (n === 0 && !said.length ? ": the documents state none." : ".");
}

// ---- the table ----
function sortedRecords() {
  const rows = tables.records.slice();
  const s = tables.sort;
  if (!s) return rows; // the API's order: newest event first, undated last
  const key = (r) => (s.field === "source" ? (tables.titles.get(r.source) || r.source).toLowerCase()
    : sortKey(s.field, (r.fields || {})[s.field]));
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null || y === null) return (x === null) - (y === null); // empty cells last
    if (typeof x === "number" && typeof y === "number") return s.dir * (x - y);
    return s.dir * String(x).localeCompare(String(y), "en", { numeric: true });
  });
  return rows;
}

function renderTable() {
  const table = $("records-table");
  const names = RECORD_FIELDS[tables.type];
  const head = el("tr");
  for (const name of [...names, "source"]) {
    const label = name === "source" ? "Document" : fieldLabel(name);
    const th = el("th", { scope: "col", "data-field": name,
      class: MONEY_FIELDS.has(name) || NUMBER_FIELDS.has(name) ? "num" : "" });
    const sorted = tables.sort && tables.sort.field === name;
    if (sorted) th.setAttribute("aria-sort", tables.sort.dir > 0 ? "ascending" : "descending");
    th.append(el("button", { type: "button", class: "sort", onclick: () => sortBy(name) },
      el("span", { text: label }),
      el("span", { class: "sort-mark", "aria-hidden": "true", text: sorted ? (tables.sort.dir > 0 ? "▲" : "▼") : "↕" })));
    head.append(th);
  }
  table.querySelector("thead").replaceChildren(head);
  $("records-panel").hidden = !tables.records.length; // the status line says why
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const r of sortedRecords()) {
    const tr = el("tr", { "data-id": r.id });
    for (const name of names) {
      const cell = (r.fields || {})[name];
      const text = cell ? cellText(name, cell) : "";
      const td = el("td", { "data-field": name,
        class: MONEY_FIELDS.has(name) || NUMBER_FIELDS.has(name) ? "num" : "" });
      if (text && cell.quote) {
        td.append(el("button", { type: "button", class: "cell", title: cell.quote, text,
          "aria-haspopup": "dialog", onclick: (ev) => showQuote(r, name, cell, ev.currentTarget) }));
      } else {
        td.append(el("span", { class: "empty-cell", text: text || "—" }));
      }
      tr.append(td);
    }
    const title = tables.titles.get(r.source) || r.source;
    tr.append(el("td", { "data-field": "source", class: "doc-cell", title: r.source, text: title }));
    body.append(tr);
  }
}

function sortBy(name) {
  const s = tables.sort;
  tables.sort = s && s.field === name ? { field: name, dir: -s.dir } : { field: name, dir: 1 };
  renderTable();
  const th = $("records-table").querySelector(`th[data-field="${name}"] button`);
  if (th) th.focus();
}

// ---- a cell's quote: a small panel by the cell (a tap works too), then the passage ----
function showQuote(record, name, cell, opener) {
  const pop = $("quote-pop");
  tables.opener = opener;
  tables.quoted = { record, name, cell };
  $("quote-what").textContent = `${fieldLabel(name)}: ${cellText(name, cell)}`;
  $("quote-text").textContent = cell.quote;
  const title = tables.titles.get(record.source) || record.source;
  $("quote-source").textContent = [title, fileName(record.source),
    cell.page ? `page ${cell.page}` : ""].filter(Boolean).join(" · ");
  if (pop.matches(":popover-open")) pop.hidePopover();
  pop.showPopover();
  placeQuote(opener);
  $("quote-passage").focus();
}

function placeQuote(opener) {
  const pop = $("quote-pop");
  const at = opener.getBoundingClientRect();
  const width = pop.offsetWidth;
  const height = pop.offsetHeight;
  const left = Math.max(8, Math.min(at.left, window.innerWidth - width - 8));
  const below = at.bottom + 6;
  const top = below + height <= window.innerHeight - 8 ? below : Math.max(8, at.top - height - 6);
  pop.style.left = `${left}px`;
  pop.style.top = `${top}px`;
}

async function openQuotePassage() {
  const q = tables.quoted;
  if (!q) return;
  const opener = tables.opener;
  $("quote-pop").hidePopover();
  const { record, name, cell } = q;
  const title = tables.titles.get(record.source) || record.source;
  let c = { title, source: record.source, page: cell.page, text: cell.quote };
  let spans = [{ start: 0, end: cell.quote.length }];
  const r = await api(`/v1/records/${encodeURIComponent(record.id)}/passage?field=${encodeURIComponent(name)}`)
    .catch(() => null);
  if (r && r.ok) {
    const p = await r.json();
    c = { title: p.title || title, source: p.source, section: p.section, page: p.page, text: p.text };
    spans = [{ start: p.start, end: p.end }];
  }
  openPassage({ c, ns: [], spans }, opener);
}

// ---- the view: #tables (and #tables/<type>) shows it, anything else the chat ----
function viewFromHash() {
  const m = /^#tables(?:\/(\w+))?$/.exec(location.hash);
  const tablesOn = Boolean(m);
  const entering = tablesOn && $("tables-view").hidden; // from the chat: documents may have changed
  document.querySelector(".layout").hidden = tablesOn;
  $("tables-view").hidden = !tablesOn;
  $("new-conversation").hidden = tablesOn;
  (tablesOn ? $("view-chat") : $("view-tables")).removeAttribute("aria-current");
  (tablesOn ? $("view-tables") : $("view-chat")).setAttribute("aria-current", "page");
  if (!tablesOn) {
    if ($("quote-pop").matches(":popover-open")) $("quote-pop").hidePopover();
    return;
  }
  const type = m[1] && RECORD_TYPES.includes(m[1]) ? m[1] : "deal";
  selectTab(type);
  if (entering) tables.titles = new Map();
  showRecords(entering);
}

function selectTab(type) {
  if (type !== tables.type) {
    tables.type = type;
    tables.sort = null;
  }
  for (const tab of document.querySelectorAll(".table-tabs [role=tab]")) {
    const on = tab.dataset.type === type;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
  }
  $("records-panel").setAttribute("aria-labelledby", `tab-${type}`);
  $("records-table").setAttribute("aria-label", fieldLabel(TYPE_WORDS[type][1]));
}

function goToTab(type, focus) {
  const hash = type === "deal" ? "#tables" : `#tables/${type}`;
  selectTab(type); // the tab shows selected at once; the hashchange then loads its rows
  if (location.hash !== hash) location.hash = hash; else viewFromHash();
  if (focus) $(`tab-${type}`).focus();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const tab of document.querySelectorAll(".table-tabs [role=tab]")) {
    tab.addEventListener("click", () => goToTab(tab.dataset.type, false));
    tab.addEventListener("keydown", (e) => {  // arrow keys move between the tabs
      const i = RECORD_TYPES.indexOf(tab.dataset.type);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: RECORD_TYPES.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      goToTab(RECORD_TYPES[(to + RECORD_TYPES.length) % RECORD_TYPES.length], true);
    });
  }
  $("records-filter").addEventListener("submit", (e) => { e.preventDefault(); showRecords(true); });
  $("quote-passage").addEventListener("click", openQuotePassage);
  $("quote-close").addEventListener("click", () => $("quote-pop").hidePopover());
  $("quote-pop").addEventListener("toggle", (e) => {
    const inside = $("quote-pop").contains(document.activeElement) || document.activeElement === document.body;
    if (e.newState === "closed" && inside && tables.opener && !$("passage").open) tables.opener.focus();
  });
  // the panel stays by its cell when the table or the page scrolls
  const follow = () => {
    if ($("quote-pop").matches(":popover-open") && tables.opener) placeQuote(tables.opener);
  };
  $("records-panel").addEventListener("scroll", follow, { passive: true });
  window.addEventListener("resize", follow);
  window.addEventListener("scroll", follow, { passive: true });
  window.addEventListener("hashchange", viewFromHash);
  viewFromHash();
});
