// The chat page. Every string from the server (answers, passages, titles, file names, errors) is
// put into the page with textContent or text nodes, never as HTML, so markup inside a document
// cannot run.
"use strict";

const $ = (id) => document.getElementById(id);

// The conversation's id is the server's: a new conversation sends none, and the id in the
// answer's `final` event is sent with the follow-ups (the server refuses ids it did not make for
// this key). `conversationEpoch` changes with "New conversation", so an answer still streaming
// from the old conversation cannot bring its id back.
let conversationId = null;
let conversationEpoch = 0;
let busy = false;
let csrfToken = null; // set when the page is signed in with a session cookie (assistant/auth)
let docsBySource = new Map(); // source -> GET /v1/documents entry (for links to originals)
let role = null; // the signed-in key's role (reader, writer, admin); admin when there are no keys

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

// ---- the API, with the session's CSRF token on state-changing requests ----
function api(url, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  const method = (opts.method || "GET").toUpperCase();
  if (csrfToken && method !== "GET") headers["x-csrf-token"] = csrfToken;
  return fetch(url, Object.assign({}, opts, { headers, credentials: "same-origin" }));
}

async function loadSession() {
  try {
    const r = await fetch("/v1/session", { credentials: "same-origin" });
    if (r.ok) {
      const body = await r.json();
      csrfToken = body.csrf_token || null;
      $("sign-out").hidden = !csrfToken; // signed in with a key through the session cookie
      applyRole(body.role);
      return true;
    }
    if (r.status === 401) { applyRole(null); showSignIn(); return false; }
  } catch (e) { /* the document list reports an unreachable server */ }
  return true;
}

async function signIn(e) {
  e.preventDefault();
  const status = $("sign-in-status");
  const r = await fetch("/v1/session", {
    method: "POST", headers: { "content-type": "application/json" }, credentials: "same-origin",
    body: JSON.stringify({ key: $("api-key").value }),
  }).catch(() => null);
  if (!r) { status.textContent = "The server could not be reached."; return; }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {  // the sign-in route's own words are meant for people
    status.textContent = r.status === 401 && body.detail ? body.detail : errorText(r.status, body);
    return;
  }
  csrfToken = body.csrf_token || null;
  $("api-key").value = "";
  $("sign-in").hidden = true;
  $("sign-out").hidden = !csrfToken;
  status.textContent = "";
  applyRole(body.role);
  refreshDocuments();
}

async function signOut() {
  await api("/v1/session", { method: "DELETE" }).catch(() => null);
  csrfToken = null;
  conversationId = null; // it was the signed-out key's: the next key starts its own
  conversationEpoch += 1;
  $("sign-out").hidden = true;
  showSignIn();
  $("sign-in-status").textContent = "Signed out.";
  applyRole(null);
}

// ---- errors in words ----
function errorText(status, body) {
  const d = body && body.detail;
  if (Array.isArray(d)) {
    return "The question was not accepted: " + d.map((x) => (x.msg || "").replace(/^Value error, /, ""))
      .filter(Boolean).join("; ") + ".";
  }
  if (status === 401) return SIGN_IN_WORDS; // the API's wording is for programs, not people
  if (typeof d === "string") return d;
  if (status === 403) return "Your key is not allowed to do this.";
  if (status === 413) return "The file is too large.";
  if (status === 503) return "The assistant is not ready: the document index is unavailable.";
  return `The server answered with an error (HTTP ${status}).`;
}

// ---- who is signed in: what the page offers (red-team row 14) ----
const SIGN_IN_WORDS = "Please sign in: paste the API key your administrator gave you.";
const RANKS = { reader: 0, writer: 1, admin: 2 };

function applyRole(newRole) {
  role = newRole || null;
  const writer = role !== null && RANKS[role] >= RANKS.writer;
  $("drop").hidden = !writer; // readers cannot add documents: no upload area
  if (!writer) $("upload").hidden = true;
  $("audit-open").hidden = role !== "admin";
  document.querySelectorAll("#doc-list .remove").forEach((b) => { b.hidden = !writer; });
}

// The sign-in form lives in the documents panel, which a phone folds away: unfold it.
function showSignIn() {
  $("sign-in").hidden = false;
  $("docs-panel").open = true;
}

function canWrite() {
  return role !== null && RANKS[role] >= RANKS.writer;
}

function plural(n, word, words) {
  return `${n} ${n === 1 ? word : (words || word + "s")}`;
}

// ---- documents: the list, the filter, example questions ----
const STATUS_WORDS = {
  indexed: "ready", queued: "waiting to be read", ingesting: "being read", deleting: "being removed",
  failed: "could not be read", removed: "removed", duplicate: "already uploaded",
  rejected: "refused", uploading: "uploading",
};

async function refreshDocuments() {
  const status = $("doc-status");
  const picked = new Set(selectedSources() || []);
  let sources, docs;
  try {
    const [rs, rd] = await Promise.all([api("/v1/sources"), api("/v1/documents")]);
    const bs = await rs.json().catch(() => ({}));
    const bd = await rd.json().catch(() => ({}));
    if (rs.status === 401 || rd.status === 401) showSignIn();
    sources = rs.ok ? bs.sources : [];
    docs = rd.ok ? bd.documents : [];
    if (!rs.ok) status.textContent = errorText(rs.status, bs);
  } catch (e) {
    status.textContent = "Could not load the document list: the server did not answer.";
    return;
  }
  const bySource = new Map(sources.map((s) => [s.source, s]));
  docsBySource = new Map(docs.map((d) => [d.source, d]));
  for (const s of sources) {  // indexed documents the documents API does not list (never expected)
    if (!docsBySource.has(s.source)) docs.push({ source: s.source, title: s.title, status: "indexed",
      chunks: s.chunks, name: s.source, origin: {} });
  }
  const list = $("doc-list");
  list.replaceChildren();
  const titles = titleCounts(docs, bySource);
  for (const d of docs) {
    const s = bySource.get(d.source);
    const title = (s && s.title) || d.title || d.name || d.source;
    const li = el("li", { "data-document-id": d.id || "", "data-status": d.status });
    const label = el("label", { title: d.source });
    if (s) {
      const box = el("input", { type: "checkbox", value: d.source, "data-source": d.source });
      if (picked.has(d.source)) box.checked = true;
      label.append(box);
    }
    const text = el("span", { class: "doc-title", text: title });
    const state = d.status === "indexed"
      ? plural(s ? s.chunks : d.chunks, "passage")
      : (STATUS_WORDS[d.status] || d.status) + (d.reason ? `: ${d.reason}` : "");
    label.append(el("span", {}, text, el("span", { class: `doc-state st-${d.status}`, text: state }),
      ...originNote(d, title, titles)));
    li.append(label);
    if (canWrite() && d.origin && d.origin.kind === "upload" && d.status !== "deleting") {
      li.append(el("button", { type: "button", class: "link remove", text: "Remove",
        "aria-label": `Remove ${title}`, onclick: () => confirmRemove(d, title) }));
    }
    list.append(li);
  }
  if (sources.length || docs.length) {
    status.textContent = plural(sources.length, "document");
  }
  $("doc-count").textContent = sources.length ? `(${sources.length})` : "";
  loadExamples(sources);
}

// Two documents with one title (the same file added from a folder and uploaded): each says
// where it came from (red-team row 15).
function titleOf(d, bySource) {
  const s = bySource.get(d.source);
  return (s && s.title) || d.title || d.name || d.source;
}

function titleCounts(docs, bySource) {
  const counts = new Map();
  for (const d of docs) counts.set(titleOf(d, bySource), (counts.get(titleOf(d, bySource)) || 0) + 1);
  return counts;
}

function originNote(d, title, titles) {
  if ((titles.get(title) || 0) < 2) return [];
  const kind = d.origin && d.origin.kind;
  const words = kind === "upload" ? `uploaded as ${d.name}`
    : kind === "file" ? `added as a file: ${d.source}` : `from the folder: ${d.source}`;
  return [el("span", { class: "doc-origin", text: words })];
}

function selectedSources() {
  const picked = [...document.querySelectorAll("#doc-list input:checked")].map((b) => b.value);
  return picked.length ? picked : null;
}

// Example questions built by the server from the documents' own sentences (red-team row 16).
async function loadExamples(sources) {
  let questions = [];
  if (sources.length) {
    const r = await api("/v1/examples").catch(() => null);
    const body = r && r.ok ? await r.json().catch(() => ({})) : {};
    questions = body.questions || [];
  }
  const list = $("examples");
  list.replaceChildren();
  for (const q of questions) {
    list.append(el("li", {}, el("button", { type: "button", class: "example", text: q,
      onclick: () => ask(q) })));
  }
  if (!sources.length) {
    list.append(el("li", { class: "hint",
      text: canWrite() ? "No documents yet: upload some." : "No documents yet." }));
  }
  updateEmpty();
}

function updateEmpty() {
  $("empty").hidden = $("log").children.length > 0;
}

// ---- upload: drag and drop or the file picker, progress, then the job until it is done ----
function uploadFiles(files) {
  files = [...files];
  if (!files.length) return;
  const box = $("upload");
  const bar = $("upload-progress");
  const msg = $("upload-message");
  const rows = $("upload-files");
  box.hidden = false;
  bar.value = 0;
  bar.max = 100;
  rows.replaceChildren();
  const rowFor = new Map();
  for (const f of files) {
    const state = el("span", { class: "file-state", text: STATUS_WORDS.uploading });
    const row = el("li", { "data-name": f.name, "data-status": "uploading" },
      el("span", { class: "file-name", text: f.name }), state);
    rowFor.set(f.name, row);
    rows.append(row);
  }
  const setRow = (name, status, reason) => {
    const row = rowFor.get(name);
    if (!row) return;
    row.setAttribute("data-status", status);
    row.querySelector(".file-state").textContent =
      (STATUS_WORDS[status] || status) + (reason ? ` — ${reason}` : "");
  };
  msg.textContent = `Uploading ${files.length} file${files.length > 1 ? "s" : ""}…`;

  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/v1/documents");
  if (csrfToken) xhr.setRequestHeader("x-csrf-token", csrfToken);
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) {
      bar.value = Math.round((100 * e.loaded) / e.total);
      msg.textContent = `Uploading… ${bar.value}%`;
    }
  });
  xhr.addEventListener("error", () => {
    msg.textContent = "The upload failed: the server could not be reached.";
    files.forEach((f) => setRow(f.name, "failed"));
  });
  xhr.addEventListener("load", () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (e) { /* shown below */ }
    bar.value = 100;
    for (const f of body.files || []) setRow(f.name, f.status, f.reason);
    if (xhr.status !== 202) {
      msg.textContent = "Upload refused: " + errorText(xhr.status, body);
      if (!body.files) files.forEach((f) => setRow(f.name, "rejected"));
      return;
    }
    if (!body.job_id) { msg.textContent = "Nothing new to read."; refreshDocuments(); return; }
    msg.textContent = "Uploaded. Reading and indexing…";
    refreshDocuments();
    pollJob(body.job_id, (job) => {
      for (const f of job.files) setRow(f.name, f.status, f.reason);
    }).then((job) => {
      const failed = job.files.filter((f) => f.status === "failed").length;
      msg.textContent = job.status === "done" && !failed ? "Done: the documents are ready to ask about."
        : job.status === "done" ? `Done, but ${failed} file${failed > 1 ? "s" : ""} could not be read.`
          : `The upload could not be indexed${job.message ? ": " + job.message : "."}`;
      refreshDocuments();
    });
  });
  xhr.send(form);
}

async function pollJob(id, onUpdate) {
  for (;;) {
    const r = await api(`/v1/jobs/${encodeURIComponent(id)}`).catch(() => null);
    if (r && r.ok) {
      const job = await r.json();
      onUpdate(job);
      if (job.status === "done" || job.status === "failed") return job;
    }
    await new Promise((res) => setTimeout(res, 400));
  }
}

// ---- removing an uploaded document, after a confirmation in the page ----
let pendingRemoval = null;

function confirmRemove(doc, title) {
  pendingRemoval = doc;
  $("confirm-text").textContent =
    `“${title}” (${doc.name}) will be removed from the index and its file deleted. ` +
    "Answers will no longer use it.";
  $("confirm").showModal();
  $("confirm-cancel").focus();
}

async function removeConfirmed() {
  const doc = pendingRemoval;
  pendingRemoval = null;
  $("confirm").close();
  if (!doc) return;
  const status = $("doc-status");
  status.textContent = `Removing ${doc.name}…`;
  const r = await api(`/v1/documents/${encodeURIComponent(doc.id)}`, { method: "DELETE" }).catch(() => null);
  if (!r) { status.textContent = "The server could not be reached."; return; }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { status.textContent = "Not removed: " + errorText(r.status, body); return; }
  refreshDocuments();
  await pollJob(body.job_id, () => {});
  await refreshDocuments();
  status.textContent = `Removed ${doc.name}.`;
}

// ---- asking ----
async function ask(question) {
  if (busy || !question.trim()) return;
  busy = true;
  $("send").disabled = true;
  const item = el("li", { class: "turn" }, el("div", { class: "q", text: question }));
  const searched = el("div", { class: "searched", hidden: "" });
  const box = el("div", { class: "answer streaming", role: "region", "aria-label": "Answer" });
  const body = el("div", { class: "body", text: "Searching the documents…" });
  box.append(body);
  item.append(searched, box);
  $("log").append(item);
  updateEmpty();
  showTurn(item);

  const payload = { question };
  if (conversationId) payload.conversation_id = conversationId;
  const epoch = conversationEpoch;
  const sources = selectedSources();
  if (sources) payload.sources = sources;
  try {
    const r = await api("/v1/chat/stream", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload),
    });
    if (!r.ok) {
      const err = await r.json().catch(() => ({}));
      if (r.status === 404 && payload.conversation_id && epoch === conversationEpoch) {
        // expired (or no longer this key's): the next question starts a new conversation
        conversationId = null;
        showError(box, "This conversation has expired. Ask again to start a new one.");
        return;
      }
      showError(box, errorText(r.status, err));
      return;
    }
    let draft = "";
    let finished = false;
    await readEvents(r, (event, data) => {
      if (event === "question") {
        if (data.standalone && data.standalone !== data.question) {
          searched.textContent = "Searched: " + data.standalone;
          searched.hidden = false;
        }
      } else if (event === "delta") {
        draft += data.text;
        body.textContent = draft;
        box.setAttribute("data-streamed", "yes");
      } else if (event === "final") {
        finished = true;
        if (data.conversation_id && epoch === conversationEpoch) conversationId = data.conversation_id;
        renderAnswer(box, data, question);
      } else if (event === "error") {
        finished = true;
        showError(box, data.detail || "The answer could not be produced.");
      }
    });
    if (!finished) showError(box, "The connection closed before the answer was complete.");
  } catch (e) {
    showError(box, "The server could not be reached. Check that it is running and try again.");
  } finally {
    busy = false;
    $("send").disabled = false;
    showTurn(item);
  }
}

// The newest turn's start at the top of the window (as far as the page can scroll); the
// question box stays on screen because it is sticky at the bottom of the conversation.
function showTurn(item) {
  item.scrollIntoView({ block: "start" });
}

async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
    if (done) return;
  }
}

function showError(box, message) {
  box.className = "answer error";
  box.setAttribute("role", "alert");
  box.replaceChildren(el("div", { class: "body", text: message }));
}

// ---- sentences: which sentences of a passage the answer used ----
function sentences(text) {
  // A sentence ends at . ! ? (and any closing quote or bracket) followed by space and a capital,
  // a digit or an opening quote; a blank line ends one too.
  const out = [];
  const re = /[.!?]["”’)\]]*(?=\s+["“‘(\[]?[A-Z0-9])|\n\s*\n/g;
  let start = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    out.push({ start, end: m.index + m[0].length });
    start = m.index + m[0].length;
  }
  if (start < text.length) out.push({ start, end: text.length });
  return out;
}

const words = (s) => (s.toLowerCase().match(/[\p{L}\p{N}$%]+/gu) || []);

// The answer's claims per citation number: the text before each group of [n] markers.
function claimsByN(answer) {
  const claims = new Map();
  const re = /((?:\s*\[\d+\])+)/g;
  let last = 0;
  let m;
  while ((m = re.exec(answer)) !== null) {
    const claim = answer.slice(last, m.index).trim();
    for (const n of m[1].match(/\d+/g)) {
      if (!claims.has(Number(n))) claims.set(Number(n), []);
      if (claim) claims.get(Number(n)).push(claim);
    }
    last = re.lastIndex;
  }
  return claims;
}

// Spans of the passage that the claims come from: a passage sentence is used when most of its
// words (or most of the claim's) are in one claim.
function usedSpans(text, claims) {
  const spans = [];
  for (const s of sentences(text)) {
    const sw = words(text.slice(s.start, s.end));
    // a bare item number ("2.") is not the sentence a card should quote
    if (!sw.length || !/\p{L}/u.test(text.slice(s.start, s.end))) continue;
    for (const claim of claims) {
      const cw = new Set(words(claim));
      const hit = sw.filter((w) => cw.has(w)).length;
      if (hit / sw.length >= 0.6 || (cw.size >= 6 && hit / cw.size >= 0.8)) { spans.push(s); break; }
    }
  }
  return spans;
}

function trimSpan(text, s) {
  let { start, end } = s;
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return { start, end };
}

// ---- the final answer ----
function renderAnswer(box, data, asked) {
  const hedged = data.answer_type === "hedged" || (data.abstained && data.citations.length > 0);
  box.className = "answer" + (hedged ? " hedged" : data.abstained ? " abstained" : "");
  box.replaceChildren();
  if (data.abstained && !hedged) {
    // Said once: the heading, then the reason in words (the answer text repeats both).
    box.append(el("div", { class: "badge", text: "The documents don't cover this" }));
    const reason = (data.reason || "").trim();
    box.append(el("div", { class: "body reason",
      text: reason ? reason[0].toUpperCase() + reason.slice(1).replace(/\.?$/, ".")
        : "No passage answers the question." }));
    box.append(answerTools(data, asked, []));
    return;
  }
  if (hedged) {
    box.append(el("div", { class: "badge", text: "Not stated plainly: the closest passages" }));
  }
  const claims = claimsByN(data.answer);
  // One card per passage: citations of the same passage share it.
  const cards = [];
  const cardOf = new Map();
  for (const c of data.citations) {
    const key = c.source + "\u0000" + c.text;
    let card = cards.find((x) => x.key === key);
    if (!card) { card = { key, c, ns: [], claims: [] }; cards.push(card); }
    card.ns.push(c.n);
    card.claims.push(...(claims.get(c.n) || []));
    cardOf.set(c.n, card);
  }
  for (const card of cards) card.spans = usedSpans(card.c.text, card.claims);
  box.append(answerBody(data.answer, cardOf));

  if (cards.length) {
    const list = el("ol", { class: "sources", "aria-label": "Sources" });
    for (const card of cards) {
      const c = card.c;
      const s = card.spans.length ? trimSpan(c.text, card.spans[0]) : { start: 0, end: c.text.length };
      card.snippet = c.text.slice(s.start, s.end).replace(/\s+/g, " ");
      const where = [fileName(c.source), c.page ? `page ${c.page}` : ""].filter(Boolean).join(" · ");
      list.append(el("li", {}, el("button", {
        type: "button", class: "card", "data-source": c.source, "data-n": card.ns.join(","),
        onclick: (ev) => openPassage(card, ev.currentTarget),
      }, el("span", { class: "card-head" },
        el("span", { class: "card-n", text: card.ns.map((n) => `[${n}]`).join("") }),
        el("span", { class: "card-title", text: c.title })),
      el("span", { class: "card-where", text: where }),
      el("span", { class: "card-snippet", text: card.snippet }))));
    }
    box.append(list);
  }
  if (data.fallback) {
    box.append(el("div", { class: "hint", text: `Answered without the language model (${data.fallback.reason}).` }));
  }
  box.append(answerTools(data, asked, cards));
}

// The answer text with its [n] markers as buttons; lines starting "- " (or "1. ") are a list.
function answerBody(answer, cardOf) {
  const body = el("div", { class: "body" });
  let list = null;
  let para = null;
  for (const line of answer.split("\n")) {
    const item = /^(?:- |(\d{1,2})[.)] )(.*)$/.exec(line);
    if (item) {
      if (!list) { list = el(item[1] ? "ol" : "ul", { class: "answer-list" }); body.append(list); }
      const li = el("li", {});
      appendMarked(li, item[2], cardOf);
      list.append(li);
      para = null;
    } else if (line.trim()) {
      list = null;
      if (!para) { para = el("p", {}); body.append(para); } else { para.append(document.createTextNode(" ")); }
      appendMarked(para, line, cardOf);
    }
  }
  return body;
}

function appendMarked(parent, text, cardOf) {
  let last = 0;
  const re = /\[(\d+)\]/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    parent.append(document.createTextNode(text.slice(last, m.index)));
    const card = cardOf.get(Number(m[1]));
    if (card) {
      parent.append(el("button", {
        type: "button", class: "marker", text: m[0], "data-n": m[1],
        "aria-label": `Source ${m[1]}: ${card.c.title}`,
        onclick: (ev) => openPassage(card, ev.currentTarget),
      }));
    } else {
      parent.append(document.createTextNode(m[0]));
    }
    last = re.lastIndex;
  }
  parent.append(document.createTextNode(text.slice(last)));
}

function fileName(source) {
  return source.split("/").pop();
}

// ---- copy the answer as Markdown with its sources ----
function answerMarkdown(data, asked, cards) {
  if (data.abstained && !data.citations.length) return `**Q:** ${asked}\n\nThe documents don't cover this` +
    (data.reason ? ` (${data.reason}).` : ".") + "\n";
  const lines = [`**Q:** ${asked}`, "", data.answer.trim()];
  if (cards.length) {
    lines.push("", "**Sources**", "");
    for (const card of cards) {
      const c = card.c;
      const where = [`\`${c.source}\``, c.page ? `page ${c.page}` : ""].filter(Boolean).join(", ");
      lines.push(`${card.ns.map((n) => `[${n}]`).join("")} *${c.title}* — ${where}`);
      if (card.snippet) lines.push(`  > ${card.snippet}`);
    }
  }
  return lines.join("\n") + "\n";
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fall back */ }
  }
  const area = el("textarea", { class: "offscreen", readonly: "" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  area.remove();
  return ok;
}

function answerTools(data, asked, cards) {
  const row = el("div", { class: "feedback" });
  const copied = el("span", { class: "hint copied", role: "status" });
  row.append(el("button", { type: "button", class: "secondary copy", text: "Copy answer",
    onclick: async () => {
      const ok = await copyText(answerMarkdown(data, asked, cards));
      copied.textContent = ok ? "Copied as Markdown." : "Could not copy: select the text instead.";
    } }), copied);
  row.append(feedbackRow(data, asked));
  return row;
}

function feedbackRow(data, asked) {
  const row = el("span", { class: "rate" }, el("span", { class: "hint", text: "Was this useful?" }));
  const send = async (helpful) => {
    row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const r = await api("/v1/feedback", {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({
          helpful, question: asked, answer: data.answer, citations: data.citations,
          standalone: data.question, conversation_id: data.conversation_id || undefined,
        }),
      });
      row.replaceChildren(el("span", { class: "hint", role: "status",
        text: r.ok ? "Thanks, your feedback was recorded." : "Feedback could not be saved." }));
    } catch (e) {
      row.replaceChildren(el("span", { class: "hint", role: "status", text: "Feedback could not be saved." }));
    }
  };
  row.append(
    el("button", { type: "button", class: "secondary", text: "Helpful", onclick: () => send(true) }),
    el("button", { type: "button", class: "secondary", text: "Not helpful", onclick: () => send(false) }),
  );
  return row;
}

// ---- the passage view: the sentences the answer used are highlighted ----
let returnFocus = null;

function openPassage(card, opener) {
  const c = card.c;
  returnFocus = opener;
  // (a cell of the Tables view opens its passage with no [n])
  $("passage-title").textContent = [card.ns.map((n) => `[${n}]`).join(""), c.title].filter(Boolean).join(" ");
  $("passage-meta").textContent = [c.source, c.section && c.section !== c.title ? c.section : "",
    c.page ? `page ${c.page}` : ""].filter(Boolean).join(" · ");
  const box = $("passage-text");
  box.replaceChildren();
  let at = 0;
  for (const span of card.spans.map((s) => trimSpan(c.text, s))) {
    box.append(document.createTextNode(c.text.slice(at, span.start)),
      el("mark", { text: c.text.slice(span.start, span.end) }));
    at = span.end;
  }
  box.append(document.createTextNode(c.text.slice(at)));
  const link = $("passage-open");
  const doc = docsBySource.get(c.source);
  if (doc && doc.id) {
    link.href = `/v1/documents/${encodeURIComponent(doc.id)}/file` +
      (doc.type === "pdf" && c.page ? `?page=${c.page}` : "");
    link.textContent = `Open the original document (${fileName(doc.name || c.source)}` +
      (doc.type === "pdf" && c.page ? `, page ${c.page})` : ")");
    link.hidden = false;
  } else {
    link.hidden = true;
  }
  const dlg = $("passage");
  if (!dlg.open) dlg.showModal();
  box.scrollTop = 0;
  const first = box.querySelector("mark");
  if (first) first.scrollIntoView({ block: "center" });
  $("passage-close").focus();
}

// ---- wiring ----
document.addEventListener("DOMContentLoaded", async () => {
  if (window.matchMedia("(max-width: 700px)").matches) {  // a phone: fold the documents away
    $("docs-panel").open = false;
    $("question").placeholder = "Ask about the documents…";
  }
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("question").value;
    if (!q.trim() || busy) return;
    $("question").value = "";
    ask(q);
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("passage-close").addEventListener("click", () => $("passage").close());
  $("passage").addEventListener("close", () => { if (returnFocus) returnFocus.focus(); });
  $("new-conversation").addEventListener("click", () => {
    conversationId = null;
    conversationEpoch += 1;
    $("log").replaceChildren();
    updateEmpty();
    $("question").focus();
  });
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  // upload: the picker, and drops anywhere on the documents panel
  $("pick").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", (e) => { uploadFiles(e.target.files); e.target.value = ""; });
  const zone = document.querySelector(".docs");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); $("drop").classList.add("over"); });
  zone.addEventListener("dragleave", (e) => {
    if (!zone.contains(e.relatedTarget)) $("drop").classList.remove("over");
  });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    $("drop").classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) uploadFiles(e.dataTransfer.files);
  });
  // a file dropped elsewhere on the page must not replace the page with it
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  $("confirm-cancel").addEventListener("click", () => { pendingRemoval = null; $("confirm").close(); });
  $("confirm-ok").addEventListener("click", removeConfirmed);
  $("question").focus();
  await loadSession();
  refreshDocuments();
});
