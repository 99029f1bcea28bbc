// Hotline console, flow editor: lists the flow files, opens one in a textarea with line numbers,
// checks the draft with the server's flow loader as you type (problems marked at their lines),
// shows the diff against the live file, publishes, and lists the published versions with a
// button to roll back to each. Everything goes through /api/flows.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
let current = null; // the open file's name
let checkTimer = null;

function api(path, body) {
  const options = { credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRF-Token"] = csrfToken;
    options.body = JSON.stringify(body);
  }
  return fetch(path, options).then(async (r) => {
    const answer = await r.json().catch(() => ({}));
    return { status: r.status, answer };
  });
}

function when(ms) {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function say(text, isError) {
  const message = document.getElementById("message");
  message.textContent = text;
  message.className = isError ? "error" : "status";
}

// One line number per line of the draft; lines with a problem are marked and carry its text.
function drawGutter(problems) {
  const source = document.getElementById("source");
  const gutter = document.getElementById("gutter");
  const byLine = new Map();
  for (const p of problems || []) {
    if (!byLine.has(p.line) || p.severity === "error") byLine.set(p.line, p);
  }
  const count = source.value.split("\n").length;
  gutter.replaceChildren();
  for (let n = 1; n <= count; n++) {
    const line = document.createElement("span");
    line.textContent = String(n);
    line.dataset.line = String(n);
    const p = byLine.get(n);
    if (p) {
      line.className = p.severity === "error" ? "line-error" : "line-warning";
      line.title = p.message;
    }
    gutter.appendChild(line);
    gutter.appendChild(document.createTextNode("\n"));
  }
  gutter.scrollTop = source.scrollTop;
}

function showProblems(problems) {
  const list = document.getElementById("problems");
  list.replaceChildren();
  for (const p of problems) {
    const item = document.createElement("li");
    item.className = p.severity === "error" ? "error" : "status";
    item.textContent = `line ${p.line}, column ${p.column}: ${p.severity}: ${p.message}`;
    list.appendChild(item);
  }
  drawGutter(problems);
}

async function validate() {
  if (!current) return false;
  const { status, answer } = await api(`/api/flows/${current}/check`, {
    source: document.getElementById("source").value,
  });
  if (status !== 200) {
    say(answer.error || `check failed (${status})`, true);
    return false;
  }
  showProblems(answer.diagnostics);
  const errors = answer.diagnostics.filter((p) => p.severity === "error").length;
  say(answer.ok ? "No errors." : `${errors} error(s): fix them before publishing.`, !answer.ok);
  document.getElementById("publish").disabled = !answer.ok;
  return answer.ok;
}

async function showDiff() {
  const { status, answer } = await api(`/api/flows/${current}/diff`, {
    source: document.getElementById("source").value,
  });
  const out = document.getElementById("difference");
  if (status !== 200) {
    say(answer.error || `diff failed (${status})`, true);
    return;
  }
  out.replaceChildren();
  for (const l of answer.lines) {
    if (l.change === "same") continue;
    const line = document.createElement("span");
    line.className = l.change === "added" ? "diff-added" : "diff-removed";
    const where = l.change === "added" ? `+${l.new}` : `-${l.old}`;
    line.textContent = `${where.padEnd(6)}${l.change === "added" ? "+" : "-"} ${l.text}\n`;
    out.appendChild(line);
  }
  if (answer.added + answer.removed === 0) out.textContent = "No change against the live version.";
  out.hidden = false;
  say(`${answer.added} line(s) added, ${answer.removed} removed against the live version.`);
}

async function publish() {
  const { status, answer } = await api(`/api/flows/${current}/publish`, {
    source: document.getElementById("source").value,
  });
  if (status !== 200) {
    if (answer.diagnostics) showProblems(answer.diagnostics);
    say(answer.error || `publish failed (${status})`, true);
    return;
  }
  say(`Published as version ${answer.id}${answer.served ? "; new calls use it within a second" : ""}.`);
  document.getElementById("difference").hidden = true;
  loadHistory();
}

async function rollback(id) {
  const { status, answer } = await api(`/api/flows/${current}/rollback`, { id });
  if (status !== 200) {
    say(answer.error || `rollback failed (${status})`, true);
    return;
  }
  say(`Rolled back to version ${id} (now version ${answer.id}).`);
  await openFlow(current, true);
}

async function loadHistory() {
  const { answer } = await api(`/api/flows/${current}/versions`);
  const tbody = document.querySelector("#history tbody");
  tbody.replaceChildren();
  if (!Array.isArray(answer) || answer.length === 0) {
    tbody.innerHTML = '<tr class="none"><td colspan="6">Nothing published from the console yet</td></tr>';
    return;
  }
  for (const v of answer) {
    const row = tbody.insertRow();
    row.dataset.version = String(v.id);
    row.insertCell().textContent = String(v.id);
    row.insertCell().textContent = when(v.published_at);
    row.insertCell().textContent = v.published_by;
    row.insertCell().textContent = v.action + (v.restored_from ? ` of ${v.restored_from}` : "");
    row.insertCell().textContent = v.version.slice(0, 12);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Roll back to this";
    button.className = "rollback";
    button.addEventListener("click", () => rollback(v.id));
    row.insertCell().appendChild(button);
  }
}

async function openFlow(name, keepMessage) {
  const { status, answer } = await api(`/api/flows/${name}`);
  if (status !== 200) {
    say(answer.error || `cannot open ${name} (${status})`, true);
    return;
  }
  current = name;
  const source = document.getElementById("source");
  source.value = answer.source;
  source.disabled = false;
  for (const id of ["validate", "diff", "publish"]) document.getElementById(id).disabled = false;
  document.getElementById("editing").textContent = name + (answer.served ? " (served)" : "");
  document.getElementById("difference").hidden = true;
  showProblems(answer.diagnostics);
  if (!keepMessage) say(answer.ok ? "Live version." : "The file on disk has errors.", !answer.ok);
  const url = new URL(window.location.href);
  url.searchParams.set("file", name);
  window.history.replaceState(null, "", url);
  loadHistory();
}

async function loadFiles() {
  const { status, answer } = await api("/api/flows");
  const list = document.getElementById("files");
  list.replaceChildren();
  if (status !== 200) {
    say(answer.error || `cannot list flows (${status})`, true);
    return;
  }
  for (const f of answer) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/console/flows?file=${encodeURIComponent(f.name)}`;
    link.textContent = f.name;
    link.className = "flow-file";
    link.addEventListener("click", (e) => {
      e.preventDefault();
      openFlow(f.name);
    });
    item.appendChild(link);
    if (f.served) item.appendChild(document.createTextNode(" (served)"));
    list.appendChild(item);
  }
  const wanted = new URLSearchParams(window.location.search).get("file");
  const served = answer.find((f) => f.served);
  const first = wanted || (served && served.name) || (answer[0] && answer[0].name);
  if (first) openFlow(first);
}

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("source");
  source.addEventListener("input", () => {
    drawGutter([]);
    clearTimeout(checkTimer);
    checkTimer = setTimeout(validate, 400);
  });
  source.addEventListener("scroll", () => {
    document.getElementById("gutter").scrollTop = source.scrollTop;
  });
  document.getElementById("validate").addEventListener("click", validate);
  document.getElementById("diff").addEventListener("click", showDiff);
  document.getElementById("publish").addEventListener("click", publish);
  loadFiles();
});
