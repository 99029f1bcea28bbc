// Hotline console, quality inspection: the table is rendered by the server; this script sends
// each row's "Mark reviewed" form to POST /api/calls/{id}/review (with the CSRF token) and
// reloads the page so the row shows who reviewed it.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

async function markReviewed(event) {
  event.preventDefault();
  const form = event.target;
  const id = form.dataset.callId;
  const note = form.querySelector(".note-input").value;
  const message = document.getElementById("message");
  const response = await fetch("/api/calls/" + encodeURIComponent(id) + "/review", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
    body: JSON.stringify({ note }),
  });
  if (response.status === 401) {
    window.location = "/login";
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    message.textContent = answer.error || "HTTP " + response.status;
    message.className = "status error";
    return;
  }
  window.location.reload();
}

for (const form of document.querySelectorAll("form.review-form")) {
  form.addEventListener("submit", (event) =>
    markReviewed(event).catch((e) => (document.getElementById("message").textContent = "Cannot save: " + e.message)),
  );
}
