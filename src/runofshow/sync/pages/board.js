// runofshow's board page: every room, most urgent first, as the board's screen shows them.
//
// The server sends the board's rows (each worded from its room's own view) on
// every change and once a second; this script only lays them out. Text from a
// session is only ever set with textContent.
"use strict";

(() => {
  const token = decodeURIComponent(location.hash.slice(1));
  const $ = (id) => document.getElementById(id);
  const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];
  const UNKNOWN_KEY = 4001;
  let attempts = 0;

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text ?? "";
    if (className) td.className = className;
    return td;
  }

  function line(text, className) {
    const div = document.createElement("div");
    div.textContent = text ?? "";
    if (className) div.className = className;
    return div;
  }

  function flag(row) {
    if (row.waiting) return row.problem ? ["UNREACHED", "silent"] : ["waiting", "dim"];
    if (row.silent_s !== null) return [`SILENT ${row.silent_s}s`, "silent"];
    if (row.ended) return ["ended", "dim"];
    if (row.detached) return ["no mod", "nomod"];
    if (row.paused) return ["paused", "dim"];
    return ["", ""];
  }

  function rowOf(row) {
    const tr = document.createElement("tr");
    tr.dataset.room = row.room;
    const [flagText, flagClass] = flag(row);
    tr.append(cell(flagText, flagClass));
    const room = document.createElement("td");
    room.append(line(row.room, "room"), line(row.waiting ? row.problem || "connecting…" : row.session, "dim"));
    tr.append(room);
    if (row.waiting) return tr;
    tr.append(cell(row.segment, "nowrap"));
    const now = document.createElement("td");
    now.append(line(row.speaker ? `${row.speaker} · ${row.title}` : row.title));
    if (row.message) now.append(line(`✉ ${row.message}`, "message"));
    tr.append(now);
    const left = cell(row.countdown, `num count alert-${row.alert}` + (row.paused ? " paused" : ""));
    tr.append(left);
    const tone = row.ended ? "" : row.offset_s > 0 ? "behind" : row.offset_s < 0 ? "ahead" : "";
    tr.append(cell(row.offset, `nowrap ${tone}`));
    const end = document.createElement("td");
    end.className = "nowrap";
    end.append(line(row.projected_end, row.late ? "late" : ""));
    end.lastChild.append(Object.assign(document.createElement("span"), { className: "dim", textContent: `/${row.planned_end}` }));
    tr.append(end);
    return tr;
  }

  function show(message) {
    const rows = message.rows || [];
    const silent = rows.filter((row) => !row.waiting && row.silent_s !== null).length;
    const count = `BOARD · ${rows.length} room${rows.length === 1 ? "" : "s"}` + (silent ? ` · ${silent} SILENT` : "");
    $("board-count").textContent = count;
    $("board-count").className = silent ? "silent-text" : "";
    $("rows").replaceChildren(...rows.map(rowOf));
    window.runofshowBoard = { rooms: rows.map((row) => row.room), silent };
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/board/view?token=${encodeURIComponent(token)}`);
    ws.onopen = () => {
      attempts = 0;
      $("board-link").textContent = "";
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && message.type === "board") show(message);
    };
    ws.onclose = (event) => {
      if (event.code === UNKNOWN_KEY) {
        $("refused").hidden = false;
        $("refused").textContent = "This link is no longer valid: ask for the board's current link.";
        return;
      }
      const wait = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length - 1)];
      attempts += 1;
      $("board-link").textContent = "reconnecting…";
      setTimeout(connect, wait);
    };
  }

  connect();
})();
