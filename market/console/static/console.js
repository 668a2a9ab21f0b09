// Sluice console: small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";
  // Upload progress: htmx fires htmx:xhr:progress while a form with hx-encoding uploads;
  // the form names its <progress> element in data-progress.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-progress]") : null;
    if (!form || !event.detail.lengthComputable) { return; }
    var bar = document.getElementById(form.getAttribute("data-progress"));
    if (!bar) { return; }
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.hidden = false;
    bar.value = percent;
    bar.textContent = percent + "%";
  });
  // After an htmx swap of an alert, move focus to it so screen-reader and keyboard users
  // learn about the error without hunting for it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "flash") {
      var alert = event.detail.target.querySelector("[role=alert]");
      if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
    }
  });
})();
// The policy editor renders every operator's parameters; show only the chosen operator's.
(function () {
  "use strict";
  function showChosen(select) {
    var row = select.closest("tr");
    if (!row) { return; }
    row.querySelectorAll(".param-group").forEach(function (group) {
      group.hidden = group.getAttribute("data-for") !== select.value;
    });
  }
  function init(root) {
    root.querySelectorAll("select[data-operator]").forEach(showChosen);
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-operator]")) {
      showChosen(event.target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
