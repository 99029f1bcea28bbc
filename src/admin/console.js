// Hotline console: refreshes the call tables from /api/calls every 5 seconds. The session
// cookie goes along by itself; a change (POST) would send the page's CSRF token in X-CSRF-Token.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

function api(path, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": csrfToken }, options.headers || {});
  return fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
}

function when(ms) {
  return ms == null ? "" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function fill(tbody, calls) {
  tbody.replaceChildren();
  if (calls.length === 0) {
    const row = tbody.insertRow();
    row.className = "none";
    const cell = row.insertCell();
    cell.colSpan = 5;
    cell.textContent = "None";
    return;
  }
  for (const c of calls) {
    const row = tbody.insertRow();
    for (const text of [c.id, c.caller, when(c.started_at), when(c.ended_at), c.hangup_cause || ""]) {
      row.insertCell().textContent = text;
    }
  }
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await api("/api/calls?limit=50");
    if (response.status === 401) {
      window.location = "/login";
      return;
    }
    if (!response.ok) {
      status.textContent = "Refresh failed: HTTP " + response.status;
      return;
    }
    const calls = await response.json();
    fill(document.querySelector("#live tbody"), calls.filter((c) => c.ended_at == null));
    fill(document.querySelector("#recent tbody"), calls.filter((c) => c.ended_at != null));
    status.textContent = "Updated " + new Date().toLocaleTimeString();
  } catch (e) {
    status.textContent = "Refresh failed: " + e;
  }
}

setInterval(refresh, 5000);
