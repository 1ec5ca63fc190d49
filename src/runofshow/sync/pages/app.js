// runofshow's browser views: the stage page and the co-host page.
//
// The server sends derived view snapshots (the JSON of `status --json`),
// stamped with its own clock. This script re-implements no timing rule: a
// moving number is the snapshot's value minus the time since the snapshot, by
// the server's clock as estimated here. It never counts ticks; each redraw is
// scheduled for the moment the shown second changes. Text from the session is
// only ever set with textContent.
"use strict";

(() => {
  const page = document.body.dataset.page;
  const token = decodeURIComponent(location.hash.slice(1).split("&")[0]); // options may follow: stage.js
  const $ = (id) => document.getElementById(id);
  const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];
  // Close codes the server gives a link whose key cannot open this page (a refused
  // handshake's status never reaches a script): no reconnecting, the page says why.
  const UNKNOWN_KEY = 4001;
  const STAGE_KEY = 4003;
  const SAMPLES = 16;
  const FLASH_MS = 5000;

  // -- the clock ----------------------------------------------------------
  // performance.now() is monotonic: a step of this machine's wall clock
  // changes nothing. The offset to the server comes from the ping/answer
  // pair with the smallest round trip, whose midpoint is the best estimate.
  const localMs = () => performance.timeOrigin + performance.now();
  const samples = [];
  let offsetMs = 0;
  let pingId = 0;
  const serverNow = () => localMs() + offsetMs;

  function ping(ws) {
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "time", id: ++pingId, t0: localMs() }));
    }
  }

  function onTime(answer) {
    const t1 = localMs();
    const rtt = t1 - answer.t0;
    if (!(rtt >= 0)) return;
    samples.push({ rtt, offset: answer.server_ms - (answer.t0 + t1) / 2 });
    if (samples.length > SAMPLES) samples.shift();
    let best = samples[0];
    for (const s of samples) if (s.rtt < best.rtt) best = s;
    offsetMs = best.offset;
    window.runofshowClock = { offsetMs, rttMs: best.rtt, samples: samples.length };
    render();
  }

  // -- the number ---------------------------------------------------------
  // The same words as `format_duration` and the rounding of `countdown_text`:
  // rounded up while counting down (0:00 exactly at time's up), down when over.
  function duration(total) {
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const ss = String(s).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  let snap = null; // the last snapshot: {server_ms, view}

  function current() {
    const c = snap.view.countdown;
    if (!c.moving) return { text: c.text, waitMs: Infinity };
    const v = c.value_s - (serverNow() - snap.server_ms) / 1000;
    const text = v > 0 ? duration(Math.ceil(v - 1e-9)) : "+" + duration(Math.floor(-v + 1e-9));
    const fraction = v - Math.floor(v);
    return { text, waitMs: (fraction > 1e-6 ? fraction : 1) * 1000 };
  }

  function setText(id, text) {
    const node = $(id);
    if (node && node.textContent !== (text ?? "")) node.textContent = text ?? "";
  }

  function fit(node, text) {
    // Digits fill the width they are given, whatever their count.
    node.style.setProperty("--chars", String(Math.max(4, text.length)));
  }

  // The clock is the viewer's: in this device's zone, 12 or 24 h as its locale has it, and labelled
  // with that zone ("GMT+9 · Asia/Seoul"), as the room may be in another one than the session.
  // An overlay may ask for another zone or 12/24 h (stage.js sets runofshowClockOptions).
  const clockOptions = () => window.runofshowClockOptions || {};
  function zoneLabel(date) {
    const zone = clockOptions().timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    let short = "";
    try {
      const parts = new Intl.DateTimeFormat([], { timeZoneName: "short", timeZone: clockOptions().timeZone })
        .formatToParts(date);
      short = parts.find((part) => part.type === "timeZoneName")?.value ?? "";
    } catch {
      short = "";
    }
    return short && zone && short !== zone ? `${short} · ${zone}` : short || zone;
  }

  let timer = null;
  function render() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const date = new Date(serverNow());
    setText("clock", date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", ...clockOptions() }));
    const zone = zoneLabel(date);
    setText("clock-zone", zone);
    const zoneTitle = clockOptions().timeZone ? `the time in ${zone}` : `the time here, in this device's time zone (${zone})`;
    if ($("clock-zone").title !== zoneTitle) $("clock-zone").title = zoneTitle;
    const toMinute = 60000 - (serverNow() % 60000);
    if (snap === null) {
      timer = setTimeout(render, toMinute + 5);
      return;
    }
    const now = current();
    const count = $("count");
    if (count.textContent !== now.text) {
      count.textContent = now.text;
      fit(count, now.text);
      window.runofshowShown = { text: now.text, at: serverNow() };
    }
    const over = now.text.startsWith("+");
    document.body.classList.toggle("over", over && snap.view.started && !snap.view.ended);
    timer = setTimeout(render, Math.min(now.waitMs, toMinute) + 2);
  }

  // -- the snapshot -------------------------------------------------------
  let lastSeq = 0;
  let lastAlert = null;
  let lastMessage = null;
  let flashTimer = null;
  let rowsSeq = -1;

  function onView(message) {
    if (page === "cohost" && message.role !== "cohost" && message.role !== "control") {
      refused(STAGE_KEY); // a server that sends the stage's view to the co-host page: say so, draw nothing broken
      return;
    }
    const v = message.view;
    const first = snap === null;
    snap = message;
    lastSeq = v.seq;
    document.body.classList.remove("waiting");
    for (const name of [...document.body.classList]) {
      if (name.startsWith("alert-")) document.body.classList.remove(name);
    }
    document.body.classList.add(`alert-${v.alert}`);
    document.body.classList.toggle("paused", !!v.paused);
    document.body.classList.toggle("ended", !!v.ended);
    setText("segment", v.started || v.segment ? `${v.segment}` : "");
    setText("title", v.title);
    setText("speaker", v.speaker);
    setText("label", v.label);
    showMessage(v.message, v.message_at, !first);
    if (lastAlert !== null && v.alert !== lastAlert) chimeFor(v.alert);
    lastAlert = v.alert;
    if (page === "cohost") showCohost(message);
    document.dispatchEvent(new CustomEvent("runofshow:view", { detail: message })); // control.js, stage.js
    render();
  }

  function showMessage(text, at, fresh) {
    // A message that was already up when the page opened is shown, not flashed.
    const box = $("message");
    const key = text ? `${at ?? ""}\u0000${text}` : null;
    if (key === lastMessage) return;
    lastMessage = key;
    box.textContent = text || "";
    box.hidden = !text;
    document.body.classList.toggle("has-message", !!text);
    box.classList.remove("flash");
    if (flashTimer !== null) clearTimeout(flashTimer);
    if (text && fresh) {
      void box.offsetWidth; // restart the animation for a message that replaces another
      box.classList.add("flash");
      flashTimer = setTimeout(() => box.classList.remove("flash"), FLASH_MS);
    }
  }

  // Each cell carries its column's name (the page's own header, never session text): on a narrow
  // screen the rows are cards and every figure is shown under its name (style.css).
  const columnNames = [...document.querySelectorAll("#agenda thead th")].map((th) => th.textContent);

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text ?? "";
    if (className) td.className = className;
    td.dataset.label = columnNames[row.children.length] ?? "";
    row.appendChild(td);
  }

  function showCohost(message) {
    const v = message.view;
    setText("session", v.session);
    setText("mode", v.mode === "live" ? "LIVE" : "REHEARSAL");
    setText("notes", v.notes);
    // Once ended, the one wording of the end (the terminal's), in one place.
    setText("offset", v.ended ? v.ended_text : v.offset_text);
    setText("ends", v.ended ? "" : `ends ${v.projected_end_text} (plan ${v.planned_end_text})`);
    setText("message-marks", v.message ? v.message_marks : "");
    setText("owner", message.problem ? `problem: ${message.problem}` : v.owner);
    const approximate = v.uncertain ? "time after a restart is approximate" : "";
    setText("flex", [v.flex_text, approximate].filter(Boolean).join(" · "));
    $("offset").className = v.offset_s >= 60 && !v.ended ? "behind" : "";
    if (v.next) {
      const who = v.next.speaker ? ` — ${v.next.speaker}` : "";
      setText("next", `Next: ${v.next.title}${who} (${v.next.length})`);
    } else {
      setText("next", v.ended ? "" : "Next: end of the session");
    }
    if (v.seq === rowsSeq && $("rows").children.length === v.rows.length) return;
    rowsSeq = v.seq;
    const body = $("rows");
    const fresh = [];
    for (const r of v.rows) {
      const tr = document.createElement("tr");
      tr.className = `row-${r.status}`;
      cell(tr, String(r.segment));
      cell(tr, r.planned);
      cell(tr, r.title, "title");
      cell(tr, r.speaker);
      cell(tr, r.start, r.started ? "" : "expected");
      cell(tr, r.took);
      cell(tr, r.delta, r.delta_class);
      fresh.push(tr);
    }
    body.replaceChildren(...fresh);
  }

  // -- the connection -----------------------------------------------------
  let attempts = 0;
  let everOpen = false;
  let socket = null;

  function setLink(up, text) {
    const link = $("link");
    link.hidden = up;
    link.textContent = up ? "" : text;
    document.body.classList.toggle("offline", !up);
  }

  function refused(code) {
    // Built from text nodes and one element: nothing from the link is ever parsed as markup.
    const box = $("refused");
    if (code === STAGE_KEY) {
      const link = document.createElement("a");
      link.href = `/stage#${encodeURIComponent(token)}`;
      link.textContent = "Open the stage view";
      box.replaceChildren("This link is for the stage view. ", link);
    } else {
      box.replaceChildren("This link is no longer valid: ask the moderator for the current one.");
    }
    box.hidden = false;
    document.body.classList.remove("waiting");
    document.body.classList.add("refused");
    document.title = "runofshow · " + (code === STAGE_KEY ? "stage link" : "link no longer valid");
  }

  function connect() {
    if (!token) {
      setLink(false, "this link has no key: ask the moderator for the whole link");
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = `token=${encodeURIComponent(token)}&since=${lastSeq}&page=${page}`;
    // Beside the page: /view for a session's own server, /r/ROOM/view for a room served from a hub.
    const base = location.pathname.slice(0, location.pathname.lastIndexOf("/") + 1);
    const ws = new WebSocket(`${scheme}//${location.host}${base}view?${query}`);
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
      everOpen = true;
      setLink(true, "");
      for (let i = 0; i < 5; i++) setTimeout(() => ping(ws), i * 120);
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "view") {
        onView(message);
        ping(ws); // every heartbeat refreshes the clock estimate
      } else if (message.type === "time") {
        onTime(message);
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      if (event.code === UNKNOWN_KEY || event.code === STAGE_KEY) {
        refused(event.code);
        return;
      }
      const wait = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)];
      attempts += 1;
      setLink(false, everOpen ? "reconnecting…" : "cannot connect: check the link (is the session still served?)");
      setTimeout(connect, wait);
    };
  }

  // -- fullscreen, wake lock, chime ---------------------------------------
  let wakeLock = null;
  async function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || wakeLock !== null) return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => {
        wakeLock = null;
      });
    } catch {
      wakeLock = null; // refused (battery saver, no gesture yet): the next gesture tries again
    }
  }
  document.addEventListener("visibilitychange", keepAwake);

  $("fullscreen").addEventListener("click", () => {
    keepAwake();
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  });

  let audio = null;
  $("chime").addEventListener("click", () => {
    keepAwake();
    const on = audio === null;
    if (on) {
      audio = new AudioContext();
      tone(880, 0, 0.15); // so the viewer hears that it works
    } else {
      audio.close();
      audio = null;
    }
    $("chime").setAttribute("aria-pressed", String(on));
    $("chime").textContent = on ? "chime on" : "chime off";
  });

  function tone(freq, start, length) {
    const at = audio.currentTime + start;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + length + 0.05);
  }

  function chimeFor(alert) {
    const beeps = { wrap_up: 1, final: 2, overtime: 3 }[alert];
    if (audio === null || !beeps) return;
    for (let i = 0; i < beeps; i++) tone(alert === "overtime" ? 660 : 880, i * 0.3, 0.2);
  }

  document.addEventListener("click", keepAwake, { once: true });
  keepAwake(); // most browsers grant it to a visible page; the others on the first click
  render();
  connect();
})();
