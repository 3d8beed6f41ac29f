/* Booking and requests pages: htmx answers that carry field errors (400, 403, 409) are
   shown in place, like the CRM's forms, instead of being dropped. */
(function () {
  "use strict";

  var SHOWN = [400, 403, 409];

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (SHOWN.indexOf(status) !== -1 && event.detail.target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
