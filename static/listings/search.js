/* Search page: a visitor who is not signed in has dates read, and times shown, in UTC
   until the browser says which zone it is in; the hidden ``tz`` field carries it. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var field = document.querySelector('.search-filters input[name="tz"][data-browser-zone]');
    if (!field || field.value) {
      return;
    }
    try {
      field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      field.value = "";
    }
  });
})();
