// Small behaviours of our own: modal dialogs that open when swapped in, and close buttons.
(function () {
  "use strict";

  function openDialogs(root) {
    root.querySelectorAll("dialog[data-open]").forEach(function (dialog) {
      if (!dialog.open) {
        dialog.showModal();  // moves focus into the dialog; Escape closes it
        var first = dialog.querySelector("[autofocus], button, [href], input, select, textarea");
        if (first) { first.focus(); }
      }
    });
  }

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog) { dialog.close(); }
    }
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var target = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (target) { target.showModal(); }
    }
  });

  // Forms that ask first (no inline handlers: the Content-Security-Policy allows none).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });

  // After a failed save the form comes back with its errors: move focus to the first field in error
  // (a screen reader then reads its label, value and error) instead of leaving it on <body>.
  function focusFirstError(root) {
    var field = root.querySelector("form [aria-invalid=true]");
    if (field && !field.closest("dialog:not([open])")) { field.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () { openDialogs(document); focusFirstError(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    openDialogs(event.detail.elt);
    focusFirstError(event.detail.elt);
  });
})();
