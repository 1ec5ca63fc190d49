// The stage page's extras: overlay options, and the speaker's "got it".
//
// Overlay options, for an OBS browser source or a vMix overlay, come from the
// query string (/stage?transparent&buttons=0#KEY) or after the key in the
// fragment (/stage#KEY&transparent&hours=12); the fragment's win. The key is
// only ever read from the fragment, which no request carries.
//   transparent        no background (text keeps a shadow to stay readable)
//   buttons=0          no buttons (chime, full screen, got it)
//   clock=0            no clock
//   zone=0             the clock without its zone's name
//   hours=12 | 24      the clock's hours (default: as the viewer's browser has it)
//   tz=Area/City       the clock in that IANA zone instead of the viewer's
// A flag alone, or =1/true/yes/on, turns it on; =0/false/no/off turns it off.
//
// "got it": under a message not yet seen, one discreet button that POSTs
// /api/v1/seen with the key (a stage key may send nothing else), and the seq
// of the snapshot that showed the message, so a click is never taken for a
// newer message. The page then shows "seen".
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const hash = location.hash.slice(1);
  const token = decodeURIComponent(hash.split("&")[0]);

  // -- options -------------------------------------------------------------
  const params = new URLSearchParams(location.search);
  const amp = hash.indexOf("&");
  if (amp >= 0) for (const [key, value] of new URLSearchParams(hash.slice(amp + 1))) params.set(key, value);
  const flag = (name, fallback) => {
    if (!params.has(name)) return fallback;
    return !["0", "false", "no", "off"].includes(params.get(name).trim().toLowerCase());
  };
  const options = {
    transparent: flag("transparent", false),
    buttons: flag("buttons", true),
    clock: flag("clock", true),
    zone: flag("zone", true),
    hours: ["12", "24"].includes(params.get("hours")) ? Number(params.get("hours")) : null,
    tz: null,
  };
  const tz = params.get("tz");
  if (tz) {
    try {
      new Intl.DateTimeFormat([], { timeZone: tz }); // throws for a zone the browser does not know
      options.tz = tz;
    } catch {
      options.tz = null; // the viewer's own zone, labelled as such
    }
  }
  const root = document.documentElement;
  root.classList.toggle("transparent", options.transparent);
  root.classList.toggle("no-buttons", !options.buttons);
  root.classList.toggle("no-clock", !options.clock);
  root.classList.toggle("no-zone", !options.zone);
  // Read by app.js each time it draws the clock.
  const clock = {};
  if (options.tz) clock.timeZone = options.tz;
  if (options.hours === 12) clock.hour12 = true;
  if (options.hours === 24) clock.hourCycle = "h23";
  window.runofshowClockOptions = clock;
  window.runofshowOverlay = options;

  // -- got it --------------------------------------------------------------
  let view = null;
  let sending = false;

  function show() {
    const message = view && view.message;
    const seen = !!(view && view.message_seen);
    $("answer").hidden = !message;
    // A server whose view does not say whether the message was seen cannot take a "got it" either.
    $("got-it").hidden = !message || seen || sending || typeof view.message_seen !== "boolean";
    $("seen").hidden = !message || !seen;
    if (!message) $("answer-said").textContent = "";
  }

  document.addEventListener("runofshow:view", (event) => {
    view = event.detail.view;
    show();
  });

  $("got-it").addEventListener("click", async () => {
    if (!view || !view.message) return;
    sending = true;
    show();
    let said = "";
    try {
      // Beside the page, as its /view: /api/v1/seen on a session's own server, /r/ROOM/api/v1/seen on a hub's.
      const base = location.pathname.slice(0, location.pathname.lastIndexOf("/") + 1);
      const response = await fetch(`${base}api/v1/seen`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ if_seq: view.seq }),
        cache: "no-store",
        credentials: "omit",
      });
      const answer = await response.json();
      if (answer.ok && answer.status) view = { ...view, ...answer.status };
      else if (!answer.ok) said = typeof answer.error === "string" ? answer.error : `refused (${response.status})`;
    } catch {
      said = "not sent: the server cannot be reached";
    }
    sending = false;
    $("answer-said").textContent = said;
    show();
  });
})();
