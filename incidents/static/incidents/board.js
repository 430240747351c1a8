// The live board and the agency inbox: one marker polled every second, the rows fetched again
// (htmx) only when it moved; countdowns ticking against the server's time; on the board a map
// of the open cases; in the inbox an alert (sound, desktop notification, a flashing row) for
// each new dispatch, and the keys j/k/a/Enter.
(() => {
  "use strict";
  const live = document.getElementById("live");
  if (!live) return;
  const POLL_MS = 1000;
  const units = JSON.parse(document.getElementById("live-units").textContent);
  const target = document.getElementById(live.dataset.target);
  const pulseUrl = `${live.dataset.pulseUrl}?t=${encodeURIComponent(live.dataset.pulseToken)}`;
  let version = Number(live.dataset.version);
  // The server's clock minus the browser's: countdowns count in the server's time, so a clock
  // turns red at its breach even on a computer whose own clock is wrong.
  let skew = Number(live.dataset.now) - Date.now();
  const serverNow = () => Date.now() + skew;

  // --- Countdowns ---------------------------------------------------------------------------
  const unit = (key, n) => units[key].replace("%(n)d", String(n));
  function duration(ms) {
    let seconds = Math.floor(Math.abs(ms) / 1000);
    const days = Math.floor(seconds / 86400);
    seconds -= days * 86400;
    const hours = Math.floor(seconds / 3600);
    seconds -= hours * 3600;
    const minutes = Math.floor(seconds / 60);
    seconds -= minutes * 60;
    const parts = [];
    if (days) parts.push(unit("d", days));
    if (hours) parts.push(unit("h", hours));
    if (minutes) parts.push(unit("min", minutes));
    if (seconds || !parts.length) parts.push(unit("s", seconds));
    return parts.join(" ");
  }
  const RANK = { "is-ok": 0, "is-amber": 1, "is-late": 2 };
  function tick() {
    const now = serverNow();
    const worst = new Map();
    for (const clock of target.querySelectorAll(".cc112-clock[data-due]")) {
      const due = Number(clock.dataset.due);
      const left = due - now;
      const state = left < 0 ? "is-late" : now >= Number(clock.dataset.amber) ? "is-amber" : "is-ok";
      if (!clock.classList.contains(state)) {
        clock.classList.remove("is-ok", "is-amber", "is-late");
        clock.classList.add(state);
        clock.dataset.state = state.slice(3);
      }
      const text =
        left < 0
          ? units.late.replace("%(time)s", duration(-left))
          : units.left.replace("%(time)s", duration(left));
      const shown = clock.querySelector(".cc112-countdown");
      if (shown.textContent !== text) shown.textContent = text;
      const row = clock.closest(".cc112-row");
      if (row && (RANK[state] > RANK[worst.get(row)] || !worst.has(row))) worst.set(row, state);
    }
    for (const row of target.querySelectorAll(".cc112-row")) {
      const state = worst.get(row) || "";
      row.classList.toggle("is-late", state === "is-late");
      row.classList.toggle("is-amber", state === "is-amber");
      if (mapped) mapped.colour(row.dataset.case, state);
    }
  }

  // --- The marker, and the rows when it moved ----------------------------------------------
  const liveState = document.getElementById("live-state");
  const liveText = document.getElementById("live-text");
  const liveLabel = liveText ? liveText.textContent : "";
  function stale(yes) {
    if (liveState) liveState.classList.toggle("is-stale", yes);
    if (liveText) liveText.textContent = yes ? live.dataset.staleText || "…" : liveLabel;
  }
  function rowsUrl() {
    return live.dataset.rowsUrl + window.location.search;
  }
  function refresh() {
    return window.htmx.ajax("GET", rowsUrl(), { target, swap: "innerHTML" });
  }
  async function poll() {
    const sent = Date.now();
    try {
      const response = await fetch(pulseUrl, { cache: "no-store", credentials: "same-origin" });
      if (response.status === 404) return reloadOnce(); // the session ended, or a new one began
      if (!response.ok) throw new Error(String(response.status));
      const marker = await response.json();
      const got = Date.now();
      skew = marker.now - (sent + got) / 2;
      stale(false);
      if (marker.v !== version) {
        version = marker.v;
        await refresh();
      }
    } catch (_error) {
      stale(true);
    } finally {
      window.setTimeout(poll, Math.max(0, POLL_MS - (Date.now() - sent)));
    }
  }
  function reloadOnce() {
    // At most once a minute: a server answering 404 again must not reload the page in a loop.
    const last = Number(window.sessionStorage.getItem("cc112-live-reload") || 0);
    if (Date.now() - last > 60000) {
      window.sessionStorage.setItem("cc112-live-reload", String(Date.now()));
      window.location.reload();
    }
    stale(true);
  }

  // --- The board's map ---------------------------------------------------------------------
  let mapped = null;
  const mapBox = document.getElementById("board-map");
  if (mapBox && window.L) {
    const L = window.L;
    const centre = (mapBox.dataset.centre || "-3.6954,128.1814").split(",").map(Number);
    const map = L.map(mapBox, { keyboard: false }).setView(centre, 12);
    if (mapBox.dataset.tiles) {
      L.tileLayer(mapBox.dataset.tiles, {
        maxZoom: 19,
        attribution: mapBox.dataset.attribution || "",
      }).addTo(map);
    }
    const layer = L.layerGroup().addTo(map);
    const COLOURS = { "is-late": "#dc2626", "is-amber": "#f59e0b", "is-ok": "#16a34a", "": "#64748b" };
    const markers = new Map();
    let fitted = false;
    mapped = {
      draw() {
        layer.clearLayers();
        markers.clear();
        const points = [];
        for (const row of target.querySelectorAll(".cc112-row[data-lat]")) {
          const point = [Number(row.dataset.lat), Number(row.dataset.lng)];
          const marker = L.circleMarker(point, { radius: 8, weight: 2, fillOpacity: 0.7 });
          marker.bindTooltip(row.dataset.reference);
          marker.on("click", () => (window.location.href = row.dataset.href));
          marker.addTo(layer);
          markers.set(row.dataset.case, marker);
          points.push(point);
        }
        const count = document.getElementById("map-count");
        if (count) count.textContent = `${points.length} / ${target.querySelectorAll(".cc112-row").length}`;
        if (points.length && !fitted) {
          map.fitBounds(points, { maxZoom: 15, padding: [20, 20], animate: false });
          fitted = true;
        }
      },
      colour(id, state) {
        const marker = markers.get(id);
        const colour = COLOURS[state] || COLOURS[""];
        if (marker && marker.options.color !== colour) marker.setStyle({ color: colour, fillColor: colour });
      },
    };
    mapped.draw();
  }

  // --- The inbox: alerts for new dispatches, and its keys -------------------------------------
  const inbox = live.dataset.target === "inbox-table";
  const seen = new Set();
  const pendingRows = () => target.querySelectorAll(".cc112-row[data-pending='1']");
  for (const row of pendingRows()) seen.add(row.dataset.dispatch);
  window.cc112Alerts = window.cc112Alerts || [];
  let audio = null;
  function beep() {
    // A short tone made by WebAudio: no sound file to ship. Browsers start audio only after a
    // gesture on the page (the alerts button, any key or click): before that it stays silent.
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state !== "running") return false;
      const start = audio.currentTime;
      for (const [offset, pitch] of [[0, 880], [0.18, 660], [0.36, 880]]) {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = pitch;
        gain.gain.setValueAtTime(0.2, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.15);
        tone.connect(gain).connect(audio.destination);
        tone.start(start + offset);
        tone.stop(start + offset + 0.16);
      }
      return true;
    } catch (_error) {
      return false;
    }
  }
  function alertFor(row) {
    row.classList.add("is-new");
    const detail = {
      dispatch: Number(row.dataset.dispatch),
      reference: row.dataset.reference,
      summary: row.dataset.summary,
      at: serverNow(),
      sound: beep(),
      notified: false,
    };
    if ("Notification" in window && window.Notification.permission === "granted") {
      const note = new window.Notification(`${live.dataset.alertTitle}: ${detail.reference}`, {
        body: detail.summary,
        tag: `cc112-dispatch-${detail.dispatch}`,
      });
      note.onclick = () => {
        window.focus();
        select(row);
      };
      detail.notified = true;
    }
    window.cc112Alerts.push(detail);
    document.dispatchEvent(new CustomEvent("cc112:alert", { detail }));
  }
  function alertsState() {
    const state = document.getElementById("alerts-state");
    if (!state) return;
    const permission = "Notification" in window ? window.Notification.permission : "unsupported";
    state.textContent = state.dataset[permission] || "";
    state.dataset.permission = permission;
  }
  function wakeAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (_error) {
      /* no audio on this computer: the row still flashes */
    }
  }
  const enable = document.getElementById("enable-alerts");
  if (enable) {
    enable.addEventListener("click", async () => {
      wakeAudio();
      if ("Notification" in window && window.Notification.permission === "default") {
        await window.Notification.requestPermission();
      }
      alertsState();
      beep();
    });
    alertsState();
  }

  let selected = null;
  function select(row) {
    if (selected) selected.classList.remove("is-selected");
    selected = row;
    if (row) {
      row.classList.add("is-selected");
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    const rows = [...target.querySelectorAll(".cc112-row")];
    if (!rows.length) return;
    const at = rows.findIndex((row) => row.dataset.dispatch === selected?.dataset.dispatch);
    select(rows[Math.min(rows.length - 1, Math.max(0, at < 0 ? 0 : at + step))]);
  }
  if (inbox) {
    document.addEventListener("keydown", (event) => {
      wakeAudio();
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key === "j" || event.key === "ArrowDown") move(1);
      else if (event.key === "k" || event.key === "ArrowUp") move(-1);
      else if (event.key === "a") {
        const row = selected || pendingRows()[0];
        const button = row && row.querySelector(".cc112-ack");
        if (button) button.click();
      } else if (event.key === "Enter" && selected) window.location.href = selected.dataset.href;
      else return;
      event.preventDefault();
    });
    document.addEventListener("click", wakeAudio);
  }

  target.addEventListener("htmx:afterSwap", () => {
    if (selected) {
      const again = target.querySelector(`.cc112-row[data-dispatch='${selected.dataset.dispatch}']`);
      selected = null;
      select(again);
    }
    if (inbox) {
      for (const row of pendingRows()) {
        if (!seen.has(row.dataset.dispatch)) {
          seen.add(row.dataset.dispatch);
          alertFor(row);
        }
      }
    }
    if (mapped) mapped.draw();
    tick();
  });

  // --- The board's filters: the rows follow at once, the address keeps them ------------------
  const filters = document.getElementById("board-filter");
  if (filters) {
    const apply = () => {
      const query = new URLSearchParams(new FormData(filters));
      for (const [key, value] of [...query]) if (!value) query.delete(key);
      const text = query.toString();
      window.history.replaceState(null, "", text ? `?${text}` : window.location.pathname);
      refresh();
    };
    filters.addEventListener("change", apply);
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      apply();
    });
  }

  tick();
  window.setInterval(tick, 250);
  window.setTimeout(poll, POLL_MS);
})();
