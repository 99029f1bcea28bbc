// Hotline console, one call's page: the call's facts, its path through the flow, the transcript
// turn by turn (intent, score, mood, timings, slots), its tickets and its recordings, from
// /api/calls/{id}.
"use strict";

const callId = document.querySelector('meta[name="call-id"]').content;

function when(ms) {
  return ms == null ? "" : new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

function fixed(x, digits) {
  return x == null ? "" : Number(x).toFixed(digits);
}

function facts(call) {
  const dl = document.getElementById("call-facts");
  const duration = call.ended_at != null ? ((call.ended_at - call.started_at) / 1000).toFixed(1) + " s" : "in progress";
  for (const [name, value] of [
    ["Caller", call.caller], ["Called", call.callee], ["Direction", call.direction],
    ["Started (UTC)", when(call.started_at)], ["Answered", when(call.answered_at)],
    ["Ended", when(call.ended_at)], ["Duration", duration], ["Hang-up cause", call.hangup_cause || ""],
    ["Codec", call.codec || ""], ["Flow", (call.flow_name || "") + " " + (call.flow_version || "").slice(0, 12)],
  ]) {
    dl.append(element("dt", null, name), element("dd", null, value));
  }
}

function timings(t) {
  return [["wait", t.endpoint_wait_ms], ["asr", t.asr_ms], ["match", t.match_ms],
          ["tts", t.tts_first_ms], ["v2v", t.voice_to_voice_ms]]
    .filter(([, ms]) => ms != null)
    .map(([name, ms]) => name + " " + ms)
    .join(", ");
}

function turns(list, started) {
  const tbody = document.querySelector("#turns tbody");
  tbody.replaceChildren();
  if (list.length === 0) {
    const row = tbody.insertRow();
    row.className = "none";
    const cell = row.insertCell();
    cell.colSpan = 9;
    cell.textContent = "No turn";
    return;
  }
  for (const t of list) {
    const row = tbody.insertRow();
    row.className = "turn";
    const caller = [t.caller_text, t.caller_dtmf ? "pressed " + t.caller_dtmf : null].filter(Boolean).join(" / ");
    const heard = t.asr_confidence != null ? " (" + fixed(t.asr_confidence, 2) + ")" : "";
    const intent = t.intent ? t.intent + (t.match_score != null ? " (" + fixed(t.match_score, 2) + ")" : "") : "";
    const mood = t.sentiment != null || t.anger != null
      ? "sentiment " + fixed(t.sentiment, 2) + ", anger " + fixed(t.anger, 2) + (t.mood_cues ? " (" + t.mood_cues + ")" : "")
      : "";
    const cells = [t.seq, "+" + ((t.at - started) / 1000).toFixed(1) + " s", t.node || "",
                   caller ? caller + heard : "", intent, t.bot_text || "", mood, timings(t)];
    for (const text of cells) row.insertCell().textContent = text;
    const trace = row.insertCell();
    if (t.trace) trace.append(element("pre", "trace", t.trace));
  }
}

function path(nodes) {
  const ol = document.getElementById("path");
  ol.replaceChildren(...nodes.map((n) => element("li", null, n)));
  if (nodes.length === 0) ol.append(element("li", "none", "No node recorded"));
}

function tickets(list) {
  const box = document.getElementById("tickets");
  if (list.length === 0) return;
  box.replaceChildren();
  for (const t of list) {
    const article = element("article", "ticket");
    article.append(element("h3", null, t.id + " · " + when(t.created_at) + " UTC"), element("p", null, t.summary));
    const dl = element("dl");
    for (const [name, value] of Object.entries(t.fields)) {
      dl.append(element("dt", null, name), element("dd", null, value));
    }
    article.append(dl);
    box.append(article);
  }
}

function recordings(list) {
  const box = document.getElementById("recordings");
  if (list.length === 0) return;
  box.replaceChildren();
  for (const r of list) {
    const figure = element("figure");
    const audio = element("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = r.url;
    figure.append(element("figcaption", null, r.name), audio);
    box.append(figure);
  }
}

async function load() {
  const message = document.getElementById("message");
  const response = await fetch("/api/calls/" + encodeURIComponent(callId), { credentials: "same-origin" });
  if (response.status === 401) {
    window.location = "/login";
    return;
  }
  const detail = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = detail.error || "HTTP " + response.status;
    return;
  }
  document.getElementById("call-title").textContent = "Call " + detail.call.id;
  facts(detail.call);
  path(detail.path);
  turns(detail.turns, detail.call.started_at);
  tickets(detail.tickets);
  recordings(detail.recordings);
  message.textContent = "";
}

load().catch((e) => (document.getElementById("message").textContent = "Cannot load the call: " + e.message));
