/* Availability pages: add and remove rows of the weekly editor, and show forms that come
   back with errors (a 400) in place. Without JavaScript each weekday keeps one blank row
   and clearing a row removes it. */
(function () {
  "use strict";

  function blankRow(container) {
    var rows = container.querySelectorAll("[data-row]");
    var row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    return row;
  }

  function enhance(root) {
    root.querySelectorAll("[data-week-editor]").forEach(function (form) {
      form.querySelectorAll("[data-add-row], [data-remove-row]").forEach(function (button) {
        button.hidden = false;
      });
    });
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var container = add.parentElement.querySelector("[data-rows]");
      var row = blankRow(container);
      container.appendChild(row);
      row.querySelector("input").focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var current = remove.closest("[data-row]");
      var siblings = current.parentElement.querySelectorAll("[data-row]");
      if (siblings.length > 1) {
        current.remove();
      } else {
        current.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      }
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 403) && event.detail.target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  if (window.htmx) {
    htmx.onLoad(enhance);
  } else {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  }
})();
