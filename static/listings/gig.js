/* Gig page: a visitor who is not signed in sees the free times in UTC until the browser
   says which zone it is in; then the panel is fetched again in that zone. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-panel-url]");
    if (!panel || panel.dataset.zoneChosen || !window.htmx) {
      return;
    }
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    if (!zone || zone === panel.dataset.zone) {
      return;
    }
    var query = new URLSearchParams(window.location.search);
    query.set("tz", zone);
    window.htmx.ajax("GET", panel.dataset.panelUrl + "?" + query.toString(), {
      target: "#gig-slots",
      swap: "innerHTML",
    });
  });
})();
