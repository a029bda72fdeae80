// gpubook console: the viewer's time zone for the server, and choosing a window on the calendar by
// clicking, shift-clicking or dragging across hours (or with the keyboard: arrows, Enter, shift-Enter).
(function () {
  "use strict";

  // Selects that show another view as soon as they change (no inline handlers: the Content-Security-Policy
  // allows this server's script files only).
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("select[data-submit-on-change]") && t.form) t.form.submit();
  });

  // "What will you run?" swapped in a new tier picker with the smallest tier that fits chosen: ask for the
  // verdict of the form as it now stands.
  document.addEventListener("htmx:afterSettle", function (e) {
    var cfg = e.detail && e.detail.requestConfig;
    var form = document.getElementById("book-form");
    if (cfg && cfg.path === "/console/fit" && form) form.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // "Use this booking": the copy button copies its text area. It is hidden in the HTML, since without this
  // script it could do nothing; the text area can still be selected and copied by hand.
  function showCopyButtons() {
    document.querySelectorAll("button[data-copy][hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", showCopyButtons);
  document.addEventListener("htmx:afterSettle", showCopyButtons);
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-copy]");
    if (!b) return;
    var area = document.getElementById(b.dataset.copy);
    var said = b.parentNode.querySelector(".copied");
    if (!area) return;
    function done(words) { if (said) said.textContent = words; }
    function byHand() {
      area.focus();
      area.select();
      try { done(document.execCommand("copy") ? "Copied." : "Selected; copy it with your keyboard."); }
      catch (_) { done("Selected; copy it with your keyboard."); }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(area.value).then(function () { done("Copied."); }, byHand);
    } else {
      byHand();
    }
  });

  // The server renders times in the zone this cookie names; tell it once, then reload.
  var tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var current = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
  if (decodeURIComponent(current || "") !== tz) {
    document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; samesite=strict; max-age=31536000";
    if (!sessionStorage.getItem("gpubook-tz-reloaded")) {
      sessionStorage.setItem("gpubook-tz-reloaded", "1");
      location.reload();
      return;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var grid = document.getElementById("grid");
    var form = document.getElementById("book-form");
    if (!grid) return;
    var slots = Array.prototype.slice.call(grid.querySelectorAll("button.slot"));
    var anchor = null;
    var dragging = false;

    function select(cell, extend) {
      if (cell.disabled) return;
      if (!extend || !anchor || anchor.dataset.tier !== cell.dataset.tier) anchor = cell;
      var a = anchor.dataset, b = cell.dataset;
      var start = a.start < b.start ? a.start : b.start;
      var end = a.end > b.end ? a.end : b.end;
      slots.forEach(function (s) {
        var on = s.dataset.tier === cell.dataset.tier && s.dataset.start >= start && s.dataset.end <= end;
        s.classList.toggle("sel", on);
        s.setAttribute("aria-pressed", on ? "true" : "false");
      });
      if (!form) return;
      form.elements.start.value = start;
      form.elements.end.value = end;
      if (form.elements.tier && cell.dataset.tier) form.elements.tier.value = cell.dataset.tier;
      form.dispatchEvent(new Event("change", { bubbles: true }));
    }

    grid.addEventListener("mousedown", function (e) {
      var cell = e.target.closest("button.slot");
      if (!cell || cell.disabled) return;
      e.preventDefault();
      dragging = true;
      select(cell, e.shiftKey);
      cell.focus();
    });
    grid.addEventListener("mouseover", function (e) {
      var cell = e.target.closest("button.slot");
      if (dragging && cell) select(cell, true);
    });
    document.addEventListener("mouseup", function () { dragging = false; });

    // One tab stop for the grid; arrows move between hours (up/down) and columns (left/right).
    var rows = Array.prototype.slice.call(grid.tBodies[0].rows);
    function at(r, c) {
      var row = rows[r];
      return row && row.cells[c + 1] ? row.cells[c + 1].querySelector("button.slot") : null;
    }
    slots.forEach(function (s) { s.tabIndex = -1; });
    var first = slots.filter(function (s) { return !s.disabled; })[0];
    if (first) first.tabIndex = 0;
    grid.addEventListener("keydown", function (e) {
      var cell = e.target.closest("button.slot");
      if (!cell) return;
      var td = cell.parentElement, r = rows.indexOf(td.parentElement), c = td.cellIndex - 1;
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        select(cell, e.shiftKey);
        return;
      }
      var m = moves[e.key];
      if (!m) return;
      var next = at(r + m[0], c + m[1]);
      if (next && !next.disabled) {
        e.preventDefault();
        cell.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    });
  });
})();
