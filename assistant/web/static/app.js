// The chat page. Every string from the server (answers, passages, titles, errors) is put into the
// page with textContent or text nodes, never as HTML, so markup inside a document cannot run.
"use strict";

const $ = (id) => document.getElementById(id);
const STOP = new Set(("that this with from were have been which their they there than into also " +
  "such other these those about would could should will what when where while after before over " +
  "under more most some only very just each both between through during").split(" "));

function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  (window.crypto || {}).getRandomValues ? crypto.getRandomValues(bytes)
    : bytes.forEach((_, i) => { bytes[i] = Math.floor(Math.random() * 256); });
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let conversationId = newId();
let busy = false;

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

// ---- documents and the filter ----
async function loadSources() {
  const status = $("doc-status");
  try {
    const r = await fetch("/v1/sources");
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { status.textContent = errorText(r.status, body); return; }
    const list = $("doc-list");
    list.replaceChildren();
    for (const s of body.sources) {
      const box = el("input", { type: "checkbox", value: s.source, "data-source": s.source });
      list.append(el("li", {}, el("label", {}, box,
        el("span", { text: `${s.title} (${s.chunks} passages)`, title: s.source }))));
    }
    status.textContent = `${body.sources.length} documents`;
  } catch (e) {
    status.textContent = "Could not load the document list: the server did not answer.";
  }
}

function selectedSources() {
  const picked = [...document.querySelectorAll("#doc-list input:checked")].map((b) => b.value);
  return picked.length ? picked : null;
}

// ---- errors in words ----
function errorText(status, body) {
  const d = body && body.detail;
  if (Array.isArray(d)) {
    return "The question was not accepted: " + d.map((x) => (x.msg || "").replace(/^Value error, /, ""))
      .filter(Boolean).join("; ") + ".";
  }
  if (typeof d === "string") return d;
  if (status === 503) return "The assistant is not ready: the document index is unavailable.";
  return `The server answered with an error (HTTP ${status}).`;
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
  item.scrollIntoView({ block: "end" });

  const payload = { question, conversation_id: conversationId };
  const sources = selectedSources();
  if (sources) payload.sources = sources;
  try {
    const r = await fetch("/v1/chat/stream", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload),
    });
    if (!r.ok) {
      const err = await r.json().catch(() => ({}));
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
  }
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

// ---- the final answer ----
function renderAnswer(box, data, asked) {
  box.className = "answer" + (data.abstained ? " abstained" : "");
  box.replaceChildren();
  const byN = new Map(data.citations.map((c) => [c.n, c]));
  if (data.abstained) box.append(el("div", { class: "badge", text: "The documents don't cover this" }));
  const body = el("div", { class: "body" });
  let last = 0;
  const re = /\[(\d+)\]/g;
  let m;
  while ((m = re.exec(data.answer)) !== null) {
    body.append(document.createTextNode(data.answer.slice(last, m.index)));
    const c = byN.get(Number(m[1]));
    if (c) {
      body.append(el("button", {
        type: "button", class: "marker", text: `[${c.n}]`, "data-n": String(c.n),
        "aria-label": `Source ${c.n}: ${c.title}`,
        onclick: (ev) => openPassage(c, data.answer, ev.currentTarget),
      }));
    } else {
      body.append(document.createTextNode(m[0]));
    }
    last = re.lastIndex;
  }
  body.append(document.createTextNode(data.answer.slice(last)));
  box.append(body);

  if (data.citations.length) {
    const list = el("ol", { class: "sources", "aria-label": "Sources" });
    for (const c of data.citations) {
      const where = [c.section !== c.title ? c.section : "", c.page ? `page ${c.page}` : ""]
        .filter(Boolean).join(", ");
      list.append(el("li", { value: String(c.n) }, el("button", {
        type: "button", text: c.title + (where ? ` — ${where}` : ""),
        onclick: (ev) => openPassage(c, data.answer, ev.currentTarget),
      })));
    }
    box.append(list);
  }
  if (data.fallback) {
    box.append(el("div", { class: "hint", text: `Answered without the language model (${data.fallback.reason}).` }));
  }
  box.append(feedbackRow(data, asked));
}

function feedbackRow(data, asked) {
  const row = el("div", { class: "feedback" }, el("span", { class: "hint", text: "Was this useful?" }));
  const send = async (helpful) => {
    row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const r = await fetch("/v1/feedback", {
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

// ---- the passage view, with the answer's words highlighted ----
let returnFocus = null;

function openPassage(c, answer, opener) {
  returnFocus = opener;
  $("passage-title").textContent = `[${c.n}] ${c.title}`;
  $("passage-meta").textContent = [c.source, c.section !== c.title ? c.section : "",
    c.page ? `page ${c.page}` : ""]
    .filter(Boolean).join(" · ");
  const words = new Set((answer.toLowerCase().match(/[a-z0-9$%][a-z0-9.$%-]*/g) || [])
    .map((w) => w.replace(/[.-]+$/, "")).filter((w) => (w.length >= 4 || /\d/.test(w)) && !STOP.has(w)));
  const box = $("passage-text");
  box.replaceChildren();
  const parts = c.text.split(/([A-Za-z0-9$%][A-Za-z0-9.$%-]*)/);
  for (let i = 0; i < parts.length; i++) {
    const word = parts[i].replace(/[.-]+$/, "");
    if (i % 2 === 1 && words.has(word.toLowerCase())) {
      box.append(el("mark", { text: word }), document.createTextNode(parts[i].slice(word.length)));
    } else {
      box.append(document.createTextNode(parts[i]));
    }
  }
  const dlg = $("passage");
  if (!dlg.open) dlg.showModal();
  $("passage-close").focus();
}

function closePassage() {
  $("passage").close();
}

// ---- wiring ----
document.addEventListener("DOMContentLoaded", () => {
  loadSources();
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("question").value;
    if (!q.trim()) return;
    $("question").value = "";
    ask(q);
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("passage-close").addEventListener("click", closePassage);
  $("passage").addEventListener("close", () => { if (returnFocus) returnFocus.focus(); });
  $("new-conversation").addEventListener("click", () => {
    conversationId = newId();
    $("log").replaceChildren();
    $("question").focus();
  });
  $("question").focus();
});
