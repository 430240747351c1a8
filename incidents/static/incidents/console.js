// The call screen: keys, the category's defaults, the place type-ahead, the call's timer and
// the map. Everything works from the keyboard; the mouse is never needed.
(function () {
  "use strict";

  const form = document.getElementById("call-screen");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const defaults = JSON.parse($("category-defaults").textContent);
  // The call is answered: the number first (autofocus alone loses to the portal's own scripts).
  const number = $("id_caller_phone");
  if (!form.querySelector(".errors")) number.focus();

  // --- The call's timer, from T0 (the server's moment the screen opened) ------------------------
  const timer = $("call-timer");
  const since = Date.parse(timer.dataset.since);
  const tick = () => {
    const seconds = Math.max(0, Math.floor((Date.now() - since) / 1000));
    timer.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  };
  tick();
  setInterval(tick, 1000);

  // --- The category's priority and suggested agencies, unless the operator chose ---------------
  const category = $("id_category");
  const priority = $("id_priority");
  const agencyBoxes = () => Array.from(form.querySelectorAll('input[name="agencies"]'));
  let priorityChosen = priority.value !== "";
  let agenciesChosen = agencyBoxes().some((box) => box.checked);
  let ticked = new Set();
  priority.addEventListener("change", () => { priorityChosen = true; });
  form.addEventListener("change", (event) => {
    if (event.target.name === "agencies") agenciesChosen = true;
  });
  category.addEventListener("change", () => {
    const chosen = defaults[category.value];
    if (!chosen) return;
    if (!priorityChosen) priority.value = String(chosen.priority);
    if (!agenciesChosen) {
      const suggested = new Set(chosen.agencies.map(String));
      for (const box of agencyBoxes()) {
        if (ticked.has(box.value) && !suggested.has(box.value)) box.checked = false;
        if (suggested.has(box.value)) box.checked = true;
      }
      ticked = suggested;
    }
  });

  // --- Keys ---------------------------------------------------------------------------------------
  const outcomeKeys = {};
  for (const button of form.querySelectorAll("button[data-key]")) {
    outcomeKeys[button.dataset.key] = button;
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit($("dispatch"));
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    if (outcomeKeys[key]) {
      event.preventDefault();
      form.requestSubmit(outcomeKeys[key]);
    } else if (key === "g") {
      const attach = document.querySelector("[data-first-attach]");
      if (attach) {
        event.preventDefault();
        form.requestSubmit(attach);
      }
    } else if (key === "a") {
      event.preventDefault();
      const box = agencyBoxes().find((b) => b.checked) || agencyBoxes()[0];
      if (box) box.focus();
    }
  });

  // --- Kelurahan type-ahead from the gazetteer: it fills its kecamatan -------------------------
  const kelurahan = $("id_kelurahan");
  const kecamatan = $("id_kecamatan");
  const options = $("kelurahan-options");
  const areaId = $("id_area");
  const lookup = form.dataset.areaLookup;
  let found = [];
  let active = -1;
  const closeOptions = () => { options.hidden = true; active = -1; };
  const show = () => {
    options.replaceChildren(...found.map((area, i) => {
      const li = document.createElement("li");
      li.id = "area-option-" + i;
      li.setAttribute("role", "option");
      li.className = "px-3 py-1 cursor-pointer" + (i === active ? " bg-primary-600 text-white" : "");
      // Two places may share a name within a kecamatan (a kelurahan and a desa): the kind tells.
      li.textContent = area.name + (area.district ? " — " + area.district.name : "") +
        (area.kind ? " · " + area.kind : "");
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
      return li;
    }));
    options.hidden = found.length === 0;
  };
  const choose = (i) => {
    const area = found[i];
    if (!area) return;
    areaId.value = area.id;
    kelurahan.value = area.district ? area.name : "";
    kecamatan.value = area.district ? area.district.name : area.name;
    // The gazetteer filled it: Tab goes on to the landmark (typing a kelurahan again puts the
    // kecamatan back in the tab order).
    kecamatan.tabIndex = -1;
    const latitude = $("id_latitude"), longitude = $("id_longitude");
    if (area.latitude && !latitude.value) {
      latitude.value = area.latitude;
      longitude.value = area.longitude;
    }
    closeOptions();
    document.body.dispatchEvent(new Event("areachosen"));
  };
  if (lookup) {
    let pending;
    kelurahan.addEventListener("input", () => {
      clearTimeout(pending);
      kecamatan.tabIndex = 0;
      areaId.value = "";  // typed again: no longer the area chosen
      const q = kelurahan.value.trim();
      if (q.length < 2) { found = []; closeOptions(); return; }
      pending = setTimeout(async () => {
        const response = await fetch(lookup + "?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        found = (await response.json()).results || [];
        active = found.length ? 0 : -1;
        show();
      }, 150);
    });
    kelurahan.addEventListener("keydown", (event) => {
      if (options.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + found.length) % found.length;
        show();
      } else if (event.key === "Enter" || (event.key === "Tab" && active >= 0)) {
        if (event.key === "Enter") event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        closeOptions();
      }
    });
    kelurahan.addEventListener("blur", () => setTimeout(closeOptions, 100));
  }

  // --- The map: a click places the point; typed coordinates move it; works with no tiles --------
  const mapBox = $("map");
  if (mapBox && window.L) {
    mapBox.hidden = false;
    const [lat, lon] = (mapBox.dataset.centre || "-3.6954,128.1814").split(",").map(Number);
    const map = window.L.map(mapBox, { keyboard: false }).setView([lat, lon], 13);
    if (mapBox.dataset.tiles) {
      window.L.tileLayer(mapBox.dataset.tiles, {
        maxZoom: 19,
        attribution: mapBox.dataset.attribution || "",
      }).addTo(map);
    }
    let marker = null;
    const latitude = $("id_latitude"), longitude = $("id_longitude");
    const place = (point, fromMap) => {
      if (marker) marker.setLatLng(point);
      else marker = window.L.marker(point).addTo(map);
      if (fromMap) {
        latitude.value = point.lat.toFixed(6);
        longitude.value = point.lng.toFixed(6);
        latitude.dispatchEvent(new Event("change", { bubbles: true }));
      } else {
        map.panTo(point);
      }
    };
    map.on("click", (event) => place(event.latlng, true));
    const typed = () => {
      const a = parseFloat(latitude.value), b = parseFloat(longitude.value);
      if (!Number.isNaN(a) && !Number.isNaN(b)) place(window.L.latLng(a, b), false);
    };
    latitude.addEventListener("change", typed);
    longitude.addEventListener("change", typed);
    document.body.addEventListener("areachosen", typed);
    mapBox.setAttribute("tabindex", "-1");
  }
})();
