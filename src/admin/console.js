// Hotline console: calls in progress with their transcript lines as they are stored (server-sent
// events from /api/events), waiting callers per queue, agents and their states (with buttons
// that change them, sending the page's CSRF token), and the newest calls.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const liveCalls = new Map(); // call id -> { card, transcript, seen: Set of turn seqs }
const KEEP_ENDED_MS = 120000;

function api(path, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": csrfToken }, options.headers || {});
  return fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
}

async function getJson(path) {
  const response = await api(path);
  if (response.status === 401) {
    window.location = "/login";
    throw new Error("logged out");
  }
  if (!response.ok) {
    throw new Error("HTTP " + response.status + " for " + path);
  }
  return response.json();
}

function when(ms) {
  return ms == null ? "" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function seconds(ms) {
  const s = Math.round(ms / 1000);
  return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + (s % 60) + " s";
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

function callLink(id) {
  const a = element("a", null, id.slice(0, 8));
  a.href = "/console/calls/" + encodeURIComponent(id);
  a.title = id;
  return a;
}

function noneRow(tbody, columns, text) {
  tbody.replaceChildren();
  const row = tbody.insertRow();
  row.className = "none";
  const cell = row.insertCell();
  cell.colSpan = columns;
  cell.textContent = text;
}

function fillRecent(calls) {
  const tbody = document.querySelector("#recent tbody");
  if (calls.length === 0) return noneRow(tbody, 5, "None");
  tbody.replaceChildren();
  for (const c of calls) {
    const row = tbody.insertRow();
    row.insertCell().append(callLink(c.id));
    for (const text of [c.caller, when(c.started_at), when(c.ended_at), c.hangup_cause || ""]) {
      row.insertCell().textContent = text;
    }
  }
}

// --- Calls in progress -------------------------------------------------------------------------

function updateNone() {
  const box = document.getElementById("live-calls");
  const none = box.querySelector(":scope > p.none");
  if (liveCalls.size === 0 && !none) box.append(element("p", "none", "None"));
  if (liveCalls.size > 0 && none) none.remove();
}

function addCall(call) {
  if (liveCalls.has(call.id)) return liveCalls.get(call.id);
  const card = element("article", "call");
  card.dataset.callId = call.id;
  const title = element("h3");
  title.append(callLink(call.id), " " + call.caller + " → " + call.callee);
  const meta = element("div", "meta", call.direction + ", started " + when(call.started_at) + " UTC");
  const transcript = element("ol", "transcript");
  card.append(title, meta, transcript);
  document.getElementById("live-calls").prepend(card);
  const entry = { card, transcript, meta, seen: new Set() };
  liveCalls.set(call.id, entry);
  updateNone();
  return entry;
}

function line(transcript, who, className, text) {
  const li = element("li", className);
  li.append(element("span", "who", who), text);
  transcript.append(li);
}

function addTurn(turn) {
  const entry = liveCalls.get(turn.call_id);
  if (!entry || entry.seen.has(turn.seq)) return;
  entry.seen.add(turn.seq);
  if (turn.caller_text) line(entry.transcript, "Caller", "caller", turn.caller_text);
  if (turn.caller_dtmf) line(entry.transcript, "Caller", "caller", "pressed " + turn.caller_dtmf);
  if (turn.bot_text) line(entry.transcript, "Bot", "bot", turn.bot_text);
}

function endCall(id, at, cause) {
  const entry = liveCalls.get(id);
  if (!entry) return;
  entry.card.classList.add("ended");
  entry.meta.textContent += ", ended " + when(at) + " UTC (" + cause + ")";
  setTimeout(() => {
    entry.card.remove();
    liveCalls.delete(id);
    updateNone();
  }, KEEP_ENDED_MS);
}

async function loadCall(id) {
  const detail = await getJson("/api/calls/" + encodeURIComponent(id));
  addCall(detail.call);
  for (const turn of detail.turns) addTurn(turn);
  if (detail.call.ended_at != null) endCall(id, detail.call.ended_at, detail.call.hangup_cause || "");
}

async function loadCalls() {
  const calls = await getJson("/api/calls?limit=50");
  fillRecent(calls.filter((c) => c.ended_at != null));
  for (const c of calls.filter((c) => c.ended_at == null)) {
    if (!liveCalls.has(c.id)) await loadCall(c.id);
  }
}

// --- Queues and agents -------------------------------------------------------------------------

function fillQueues(queues) {
  const tbody = document.querySelector("#queues tbody");
  if (queues.length === 0) return noneRow(tbody, 6, "No queue yet");
  tbody.replaceChildren();
  for (const q of queues) {
    const row = tbody.insertRow();
    row.dataset.queue = q.queue;
    const level = q.service_level == null ? "" : Math.round(q.service_level * 100) + " %";
    for (const text of [q.queue, q.waiting || 0, q.waiting ? seconds((q.longest_wait_seconds || 0) * 1000) : "",
                        q.answered || 0, q.abandoned || 0, level]) {
      row.insertCell().textContent = text;
    }
  }
}

async function changeAgent(id, state, reason) {
  const status = document.getElementById("status");
  const body = reason ? { state, reason } : { state };
  const response = await api("/api/agents/" + encodeURIComponent(id) + "/state", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) {
    status.textContent = id + " is now " + state;
  } else {
    const answer = await response.json().catch(() => ({}));
    status.textContent = id + ": " + (answer.error || "HTTP " + response.status);
  }
  refreshCenter();
}

function fillAgents(agents) {
  const tbody = document.querySelector("#agents tbody");
  if (agents.length === 0) return noneRow(tbody, 5, "No agent configured");
  tbody.replaceChildren();
  for (const a of agents) {
    const row = tbody.insertRow();
    row.dataset.agent = a.id;
    row.insertCell().textContent = a.name && a.name !== a.id ? a.name + " (" + a.id + ")" : a.id;
    const state = row.insertCell();
    state.className = "state";
    state.textContent = a.state + (a.reason ? " (" + a.reason + ")" : "");
    row.insertCell().textContent = seconds(a.since_ms);
    row.insertCell().textContent = a.answered;
    const actions = row.insertCell();
    actions.className = "actions";
    for (const [label, target, reason] of [["Available", "available"], ["Pause", "paused", "supervisor"],
                                           ["Log out", "logged_out"]]) {
      const button = element("button", null, label);
      button.type = "button";
      button.dataset.state = target;
      button.disabled = a.state === target;
      button.addEventListener("click", () => changeAgent(a.id, target, reason));
      actions.append(button);
    }
  }
}

let centerTimer = null;
async function refreshCenter() {
  const status = document.getElementById("status");
  try {
    const [queues, agents] = await Promise.all([getJson("/api/queues"), getJson("/api/agents")]);
    fillQueues(queues);
    fillAgents(agents);
  } catch (e) {
    status.textContent = "Refresh failed: " + e.message;
  }
}

// Several events in a burst make one refresh.
function soon(task) {
  clearTimeout(centerTimer);
  centerTimer = setTimeout(task, 300);
}

// --- The event stream --------------------------------------------------------------------------

function listen() {
  const liveState = document.getElementById("live-state");
  const events = new EventSource("/api/events");
  events.onopen = () => {
    liveState.textContent = "Live";
    // Whatever happened while disconnected.
    loadCalls().catch((e) => (liveState.textContent = "Reload failed: " + e.message));
  };
  events.onerror = () => {
    liveState.textContent = "Reconnecting to live events…";
  };
  events.addEventListener("call_started", (e) => {
    addCall(JSON.parse(e.data).call);
    soon(refreshCenter);
  });
  events.addEventListener("turn", (e) => {
    const turn = JSON.parse(e.data).turn;
    if (liveCalls.has(turn.call_id)) addTurn(turn);
    else loadCall(turn.call_id).catch(() => {});
  });
  events.addEventListener("call_ended", (e) => {
    const ended = JSON.parse(e.data);
    endCall(ended.call_id, ended.at, ended.cause);
    soon(() => {
      refreshCenter();
      loadCalls().catch(() => {});
    });
  });
  events.addEventListener("lagged", () => loadCalls().catch(() => {}));
}

// --- The API document ---------------------------------------------------------------------------

// The routes this page calls, as /api/openapi.json names them: a page left open across an upgrade
// that moved one says so instead of failing quietly.
const ROUTES = ["/api/calls", "/api/calls/{id}", "/api/queues", "/api/agents", "/api/agents/{id}/state", "/api/events"];

async function checkRoutes() {
  const documented = (await getJson("/api/openapi.json")).paths || {};
  const missing = ROUTES.filter((route) => !(route in documented));
  if (missing.length > 0) {
    document.getElementById("status").textContent =
      "This page is older than the server (" + missing.join(", ") + " not in its API): reload it.";
  }
}

listen();
refreshCenter();
setInterval(refreshCenter, 5000);
checkRoutes().catch(() => {});
