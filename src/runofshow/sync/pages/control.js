// The co-host page's buttons, for a page opened with a control link (/control#KEY).
//
// app.js draws the view; this script listens to each snapshot it gets
// ("runofshow:view") and, when the snapshot's role is "control", shows the
// buttons. Each button is one POST to /api/v1/<command> with the key as a
// Bearer token and the seq of the last snapshot as if_seq: a click made on a
// picture of the show that has changed since (another co-host pressed next
// first) is refused by the server, and the page says so in the server's words.
// Every button says what it did. Text is only ever set with textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const token = decodeURIComponent(location.hash.slice(1).split("&")[0]);
  const NAME_KEY = "runofshow.name";
  let view = null; // the last snapshot's view
  let seq = 0; // the seq that snapshot (or a later answer) showed

  function setText(id, text) {
    const node = $(id);
    if (node && node.textContent !== (text ?? "")) node.textContent = text ?? "";
  }

  // -- what the buttons say ------------------------------------------------
  function toggleCommand(v) {
    if (v.ended) return null;
    if (!v.started) return "start";
    return v.paused ? "resume" : "pause";
  }

  function showButtons(v) {
    const toggle = $("c-toggle");
    const command = toggleCommand(v);
    toggle.dataset.command = command ?? "";
    toggle.disabled = command === null;
    setText("c-toggle", command === null ? "ended" : { start: "▶ start", pause: "❚❚ pause", resume: "▶ resume" }[command]);
    for (const id of ["c-next", "c-previous", "c-less", "c-more", "c-skip", "c-goto-send"]) $(id).disabled = !!v.ended;
    $("c-goto").max = String(v.rows ? v.rows.length : 1);
    const adopt = !!v.can_adopt && !v.ended;
    const later = !!v.can_later && !v.ended;
    $("c-adopt").hidden = !adopt;
    $("c-later").hidden = !later;
    $("c-flex-row").hidden = !adopt && !later;
    showPresets(v.presets || []);
  }

  let presetsShown = "";
  function showPresets(presets) {
    const key = JSON.stringify(presets);
    if (key === presetsShown) return; // rebuilding the list would close it under the user's finger
    presetsShown = key;
    const select = $("c-presets");
    const first = select.options[0];
    const options = presets.map((text) => {
      const option = document.createElement("option");
      option.value = text;
      option.textContent = text;
      return option;
    });
    select.replaceChildren(first, ...options);
  }

  document.addEventListener("runofshow:view", (event) => {
    const message = event.detail;
    view = message.view;
    seq = Math.max(seq, view.seq);
    const control = message.role === "control";
    $("control").hidden = !control;
    document.body.classList.toggle("control", control);
    if (control) showButtons(view);
  });

  // -- sending -------------------------------------------------------------
  let saidCount = 0;
  function said(text, ok) {
    const line = $("control-said");
    line.textContent = text;
    line.className = ok ? "ok" : "refused";
    window.runofshowSaid = { text, ok, n: ++saidCount }; // for tests: which answer is showing
  }

  // What a path's argument says: "extend/60" → "+1 min", "goto/3" → "3".
  function detail(path) {
    const [, arg] = path.split("/");
    if (arg === undefined) return "";
    if (path.startsWith("extend/")) {
      const minutes = Number(arg) / 60;
      return ` ${minutes < 0 ? "−" : "+"}${Math.abs(minutes)} min`;
    }
    return ` ${arg}`;
  }

  function describe(answer, path) {
    // "next ✓ now 3 · Title", from the answer's own status: what the server did, not what was asked.
    const s = answer.status || {};
    const where = s.ended ? "the session has ended" : `now ${s.segment} · ${s.title ?? ""}`;
    const state = s.paused ? " (paused)" : "";
    return `${answer.command}${detail(path)} ✓ ${where}${state}`;
  }

  // Resolves true once the server has done it.
  async function send(command, args = {}) {
    if (!command) return false;
    const body = { ...args, if_seq: seq };
    const name = (localStorage.getItem(NAME_KEY) || "").trim();
    if (name) body.as = name;
    said(`${command}…`, true);
    let response;
    let answer = null;
    try {
      // Beside the page, as its /view: /api/v1/ on a session's own server, /r/ROOM/api/v1/ on a hub's.
      const base = location.pathname.slice(0, location.pathname.lastIndexOf("/") + 1);
      response = await fetch(`${base}api/v1/${command}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
      answer = await response.json();
    } catch {
      said(response ? `${command}: the server's answer could not be read (${response.status})` : `${command}: not sent, the server cannot be reached`, false);
      return false;
    }
    if (answer && answer.ok) {
      if (typeof answer.seq === "number") seq = Math.max(seq, answer.seq);
      said(describe(answer, command), true);
      return true;
    }
    const why = answer && typeof answer.error === "string" ? answer.error : `refused (${response.status})`;
    said(`${command}: ${why}`, false);
    return false;
  }

  for (const button of document.querySelectorAll("#control button[data-command]")) {
    button.addEventListener("click", () => send(button.dataset.command));
  }

  $("c-goto-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const to = Number($("c-goto").value);
    if (!Number.isInteger(to) || to < 1) {
      said("go to: give a segment's number", false);
      return;
    }
    send(`goto/${to}`);
  });

  $("c-name").value = localStorage.getItem(NAME_KEY) || "";
  $("c-name").addEventListener("change", () => localStorage.setItem(NAME_KEY, $("c-name").value.trim()));

  $("c-presets").addEventListener("change", () => {
    const chosen = $("c-presets").value;
    if (chosen) $("c-text").value = chosen;
    $("c-presets").value = "";
    $("c-text").focus();
  });

  $("c-message-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("c-text").value.trim();
    if (!text) {
      send("clear-message");
      return;
    }
    if (await send("message", { text, pinned: $("c-pinned").checked })) {
      $("c-text").value = ""; // sent: the box is ready for the next one (a refused one stays, to send again)
      $("c-pinned").checked = false;
    }
  });
})();
