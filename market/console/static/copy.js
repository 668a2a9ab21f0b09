// Copy buttons: <button data-copy="ID"> copies the value of the element with that id. The
// button stays hidden without the Clipboard API (the value is selectable in its field anyway).
(function () {
  "use strict";
  function init() {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        var status = document.getElementById("copy-status");
        navigator.clipboard.writeText(field.value).then(function () {
          if (status) { status.textContent = button.getAttribute("data-copied"); }
        }, function () {
          field.select();
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
