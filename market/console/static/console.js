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
// A form that writes is sent once: while it is in flight its submit buttons are disabled and a
// second submit is dropped (the server would answer the first response again anyway: the form
// carries the idempotency key it was rendered with). After an htmx answer the form can be used
// again, under a new key, since it is a new request.
(function () {
  "use strict";
  var BUSY = "data-in-flight";
  function buttons(form) {
    return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  }
  function setBusy(form, busy) {
    if (busy) { form.setAttribute(BUSY, "true"); } else { form.removeAttribute(BUSY); }
    form.setAttribute("aria-busy", busy ? "true" : "false");
    buttons(form).forEach(function (button) {
      // Disabled after the submit event, so a named button (approve / reject) is still sent.
      window.setTimeout(function () { button.disabled = busy; }, 0);
    });
  }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function writes(form) {
    return form && form.querySelector && form.querySelector("input[data-idempotency-key]");
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!writes(form)) { return; }
    if (form.getAttribute(BUSY) === "true") {
      // Captured on the document, before htmx's own listener on the form sees the event.
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    setBusy(form, true);
  }, true);
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var field = writes(form);
    if (!field) { return; }
    if (event.detail.successful) { field.value = newKey(); }
    setBusy(form, false);
  });
  // A page restored from the back/forward cache must not keep its forms disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[" + BUSY + "]").forEach(function (form) {
      setBusy(form, false);
    });
  });
})();
