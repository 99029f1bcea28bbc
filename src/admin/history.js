// Hotline console, call history: fills the form from the page's URL, runs the search against
// /api/calls/search with the same query, lists the calls (each linking to its page), pages
// through them and points "Download CSV" at the same search as CSV.
"use strict";

const PAGE = 50;
const FIELDS = ["number", "from", "to", "flow", "intent", "outcome", "min_anger"];

function when(ms) {
  return ms == null ? "" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function cell(row, text) {
  row.insertCell().textContent = text == null ? "" : String(text);
}

function query(offset) {
  const params = new URLSearchParams(window.location.search);
  const q = new URLSearchParams();
  for (const name of FIELDS) {
    const value = (params.get(name) || "").trim();
    if (value) q.set(name, value);
  }
  q.set("limit", String(PAGE));
  if (offset > 0) q.set("offset", String(offset));
  return q;
}

function pageLink(id, offset) {
  const link = document.getElementById(id);
  const params = new URLSearchParams(window.location.search);
  params.set("offset", String(offset));
  link.href = "/console/history?" + params.toString();
  link.hidden = false;
}

function show(calls) {
  const tbody = document.querySelector("#results tbody");
  tbody.replaceChildren();
  if (calls.length === 0) {
    const row = tbody.insertRow();
    row.className = "none";
    const c = row.insertCell();
    c.colSpan = 8;
    c.textContent = "No call matches";
    return;
  }
  for (const call of calls) {
    const row = tbody.insertRow();
    row.className = "call-row";
    row.dataset.callId = call.id;
    const link = document.createElement("a");
    link.href = "/console/calls/" + encodeURIComponent(call.id);
    link.title = call.id;
    link.textContent = call.id.slice(0, 8);
    row.insertCell().append(link);
    cell(row, call.caller);
    cell(row, when(call.started_at));
    cell(row, call.ended_at != null ? ((call.ended_at - call.started_at) / 1000).toFixed(1) + " s" : "in progress");
    cell(row, call.flow_name);
    cell(row, call.outcome.replace("_", " ") + (call.transfer_reason ? " (" + call.transfer_reason + ")" : ""));
    cell(row, call.max_anger != null ? Number(call.max_anger).toFixed(2) : "");
    cell(row, call.intents.split(",").filter(Boolean).join(", "));
  }
}

async function search() {
  const params = new URLSearchParams(window.location.search);
  for (const name of FIELDS) {
    const input = document.getElementById(name);
    if (params.has(name)) input.value = params.get(name);
  }
  const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  const q = query(offset);
  const csv = query(0);
  csv.set("limit", "5000");
  document.getElementById("csv").href = "/api/calls/search.csv?" + csv.toString();
  const message = document.getElementById("message");
  const response = await fetch("/api/calls/search?" + q.toString(), { credentials: "same-origin" });
  if (response.status === 401) {
    window.location = "/login";
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = answer.error || "HTTP " + response.status;
    show([]);
    return;
  }
  show(answer);
  message.textContent = answer.length === 0 ? "" : "Calls " + (offset + 1) + " to " + (offset + answer.length) + ", newest first.";
  if (offset > 0) pageLink("previous", Math.max(0, offset - PAGE));
  if (answer.length === PAGE) pageLink("next", offset + PAGE);
}

search().catch((e) => (document.getElementById("message").textContent = "Cannot search: " + e.message));
