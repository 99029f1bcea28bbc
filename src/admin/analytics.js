// Hotline console, analytics: reads /api/analytics with the page's filters and draws each chart
// as hand-written inline SVG (bars only: nothing fetched from elsewhere, no chart library), with a
// "Download CSV" link under every chart to the same figures as CSV.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const FIELDS = ["flow", "from", "to", "bucket"];
const OUTCOMES = [
  ["contained", "contained"], ["transferred", "transferred"], ["abandoned", "abandoned"],
  ["failed", "failed"], ["in_progress", "in progress"],
];

function shape(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) e.setAttribute(name, String(value));
  if (text != null) e.textContent = String(text);
  return e;
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = String(text);
  return e;
}

function percent(x) {
  return x == null ? "–" : (100 * x).toFixed(1) + " %";
}

// Vertical bars, stacked by series: rows [{label, values: {key: n}}], series [[key, name]].
function columns(rows, series) {
  const width = Math.max(320, rows.length * 28 + 60), height = 220, left = 40, bottom = 40, top = 10;
  const max = Math.max(1, ...rows.map((r) => series.reduce((sum, [key]) => sum + (r.values[key] || 0), 0)));
  const chart = shape("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  const plot = height - bottom - top;
  chart.append(shape("line", { x1: left, y1: top + plot, x2: width, y2: top + plot, class: "axis" }));
  chart.append(shape("text", { x: left - 6, y: top + 10, class: "tick end" }, max));
  chart.append(shape("text", { x: left - 6, y: top + plot, class: "tick end" }, 0));
  const step = (width - left) / Math.max(1, rows.length);
  const bar = Math.max(4, Math.min(22, step - 6));
  rows.forEach((row, i) => {
    let y = top + plot;
    const x = left + i * step + (step - bar) / 2;
    for (const [key, name] of series) {
      const value = row.values[key] || 0;
      if (value === 0) continue;
      const h = (value / max) * plot;
      y -= h;
      const rect = shape("rect", { x, y, width: bar, height: h, class: "bar s-" + key });
      rect.append(shape("title", {}, `${row.label}: ${value} ${name}`));
      chart.append(rect);
    }
    if (rows.length <= 16 || i % Math.ceil(rows.length / 16) === 0) {
      chart.append(shape("text", { x: x + bar / 2, y: height - bottom + 14, class: "tick middle" }, row.tick != null ? row.tick : row.label.slice(5)));
    }
  });
  return chart;
}

// Horizontal bars: rows [{label, parts: [[key, value, name]]}], the parts of a row side by side.
function bars(rows, total) {
  const labelWidth = 190, width = 560, row = 24;
  const max = Math.max(1, total || 0, ...rows.map((r) => r.parts.reduce((s, [, v]) => s + v, 0)));
  const height = Math.max(row, rows.length * row) + 4;
  const chart = shape("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  rows.forEach((r, i) => {
    const y = i * row + 2;
    const label = r.label.length > 30 ? r.label.slice(0, 29) + "…" : r.label;
    chart.append(shape("text", { x: labelWidth - 6, y: y + 15, class: "tick end" }, label));
    let x = labelWidth;
    let sum = 0;
    for (const [key, value, name] of r.parts) {
      const w = (value / max) * (width - labelWidth - 60);
      if (value > 0) {
        const rect = shape("rect", { x, y, width: Math.max(1, w), height: row - 6, class: "bar s-" + key });
        rect.append(shape("title", {}, `${r.label}: ${value} ${name}`));
        chart.append(rect);
      }
      x += w;
      sum += value;
    }
    chart.append(shape("text", { x: x + 4, y: y + 15, class: "tick" }, r.note != null ? r.note : sum));
  });
  return chart;
}

function legend(series) {
  const ul = element("ul", "legend");
  for (const [key, name] of series) {
    const li = element("li");
    const swatch = shape("svg", { width: 12, height: 12 });
    swatch.append(shape("rect", { width: 12, height: 12, class: "s-" + key }));
    li.append(swatch, document.createTextNode(" " + name));
    ul.append(li);
  }
  return ul;
}

function none(text) {
  return element("p", "none", text || "No data in this range");
}

function facts(pairs) {
  const dl = element("dl");
  for (const [name, value] of pairs) dl.append(element("dt", null, name), element("dd", null, value));
  return dl;
}

const DRAW = {
  calls(a) {
    if (a.buckets.length === 0) return [none()];
    const rows = a.buckets.map((b) => ({ label: b.label, values: b }));
    return [columns(rows, OUTCOMES), legend(OUTCOMES)];
  },
  outcomes(a) {
    const o = a.outcomes;
    if (o.calls === 0) return [none()];
    return [
      facts([["Calls", o.calls], ["Containment rate", percent(o.containment_rate)], ["Abandonment rate", percent(o.abandonment_rate)]]),
      bars(OUTCOMES.map(([key, name]) => ({ label: name, parts: [[key, o[key], "calls"]] })), o.calls),
    ];
  },
  transfer_reasons(a) {
    if (a.transfer_reasons.length === 0) return [none("No transferred call")];
    return [bars(a.transfer_reasons.map((r) => ({ label: r.name, parts: [["transferred", r.count, "calls"]] })))];
  },
  intents(a) {
    if (a.top_intents.length === 0) return [none("No intent taken")];
    return [bars(a.top_intents.map((i) => ({ label: i.intent, parts: [["intent", i.turns, "turns"]], note: `${i.turns} turns, ${i.calls} calls` })))];
  },
  funnel(a) {
    if (a.funnel.length === 0) return [none("No caller input")];
    const series = [["answered", "answered"], ["no_match", "no match"], ["no_input", "no input"]];
    return [
      bars(a.funnel.map((n) => ({
        label: n.node,
        parts: [["answered", n.turns - n.no_match - n.no_input, "answered"], ["no_match", n.no_match, "no match"], ["no_input", n.no_input, "no input"]],
        note: `${n.turns} inputs · no match ${percent(n.no_match_rate)} · no input ${percent(n.no_input_rate)} · last stop of ${n.last_node_of_calls}`,
      }))),
      legend(series),
    ];
  },
  anger(a) {
    const measured = a.anger.reduce((s, b) => s + b.calls, 0);
    if (measured === 0) return [none("No anger measured")];
    const rows = a.anger.map((b) => ({ label: "anger " + b.from.toFixed(1) + "–" + b.to.toFixed(1), tick: b.from.toFixed(1), values: { anger: b.calls } }));
    return [columns(rows, [["anger", "calls"]]), element("p", "status", `${a.calls_without_anger} calls without a measurement`)];
  },
  latency(a) {
    const l = a.latency;
    if (l.turns === 0) return [none("No turn measured")];
    return [
      facts([["Turns measured", l.turns], ["p50", l.p50_ms + " ms"], ["p95", l.p95_ms + " ms"]]),
      bars([{ label: "p50", parts: [["latency", l.p50_ms, "ms"]], note: l.p50_ms + " ms" },
            { label: "p95", parts: [["latency", l.p95_ms, "ms"]], note: l.p95_ms + " ms" }]),
    ];
  },
  queues(a) {
    if (a.queues.length === 0) return [none("No caller queued")];
    const table = element("table");
    const head = table.createTHead().insertRow();
    for (const h of ["Queue", "Entered", "Answered", "Abandoned", "Service level", "Abandonment", "Avg handle time"]) head.append(element("th", null, h));
    const body = table.createTBody();
    for (const q of a.queues) {
      const row = body.insertRow();
      for (const text of [q.queue, q.entered, q.answered, q.abandoned, percent(q.service_level), percent(q.abandonment_rate),
                          q.average_handle_time_seconds == null ? "–" : q.average_handle_time_seconds.toFixed(0) + " s"]) {
        row.insertCell().textContent = text;
      }
    }
    const sl = bars(a.queues.map((q) => ({ label: q.queue, parts: [["contained", Math.round(100 * (q.service_level || 0)), "% service level"]], note: percent(q.service_level) })), 100);
    return [sl, table];
  },
  unanswered(a) {
    if (a.unanswered.length === 0) return [none("No unanswered question")];
    return [bars(a.unanswered.slice(0, 15).map((g) => ({ label: g.question, parts: [["no_match", g.count, "times asked"]] })))];
  },
};

function filters() {
  const params = new URLSearchParams(window.location.search);
  const q = new URLSearchParams();
  for (const name of FIELDS) {
    const value = (params.get(name) || "").trim();
    if (value) {
      q.set(name, value);
      document.getElementById(name).value = value;
    }
  }
  return q;
}

async function load() {
  const q = filters();
  const message = document.getElementById("message");
  const response = await fetch("/api/analytics?" + q.toString(), { credentials: "same-origin" });
  if (response.status === 401) {
    window.location = "/login";
    return;
  }
  const a = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = a.error || "HTTP " + response.status;
    return;
  }
  for (const span of document.querySelectorAll(".bucket")) span.textContent = a.bucket;
  message.textContent = `${a.outcomes.calls} calls from ${new Date(a.from).toISOString().slice(0, 16).replace("T", " ")} to ` +
    `${new Date(a.to).toISOString().slice(0, 16).replace("T", " ")} UTC` + (a.flow ? ", flow " + a.flow : ", all flows") + ".";
  for (const section of document.querySelectorAll("section.chart")) {
    const name = section.dataset.chart;
    const figure = section.querySelector(".figure");
    figure.replaceChildren(...DRAW[name](a));
    const csv = new URLSearchParams(q);
    csv.set("format", "csv");
    csv.set("chart", name);
    const link = element("a", "csv", "Download CSV");
    link.href = "/api/analytics?" + csv.toString();
    link.download = name + ".csv";
    section.querySelector("a.csv")?.remove();
    section.append(link);
  }
}

load().catch((e) => (document.getElementById("message").textContent = "Cannot load the analytics: " + e.message));
