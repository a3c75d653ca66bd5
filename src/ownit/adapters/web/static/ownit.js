// ownit: keyboard shortcuts on the incident list. j/k move between rows, a acknowledges and
// r resolves the focused row (the row's own buttons do the work, so CSRF and htmx apply).
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("li[data-incident]")); }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    var row = ev.target.closest ? ev.target.closest("li[data-incident]") : null;
    var key = ev.key;
    if (key === "j" || key === "k") {
      var all = rows();
      if (!all.length) { return; }
      var at = row ? all.indexOf(row) : -1;
      var next = key === "j" ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0);
      all[next].focus();
      ev.preventDefault();
      return;
    }
    if (!row || (key !== "a" && key !== "r")) { return; }
    var button = row.querySelector('button[data-key="' + key + '"]');
    if (!button) { return; }
    ev.preventDefault();
    // A row the list's poll has just swapped in is taken over by htmx only when the swap
    // settles (~20 ms later); until then its button would submit the form with a full page
    // load. Processing the row first (idempotent) keeps the action in place.
    if (window.htmx) { window.htmx.process(row); }
    button.click();
  });
  // After a row is swapped in place, keep the keyboard on it.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var el = ev.detail && ev.detail.elt;
    if (el && el.matches && el.matches("li[data-incident]")) {
      var fresh = document.getElementById(el.id);
      if (fresh) { fresh.focus(); }
    }
  });
})();
