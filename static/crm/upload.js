// Uploads with a progress bar. A form marked data-upload-progress is sent by XHR so the
// upload's progress can feed its <progress data-upload>; the answer then replaces the page
// as a normal submit would. Without JavaScript the form submits as usual.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-upload-progress]")) return;
    var bar = form.querySelector("progress[data-upload]");
    if (!bar || !window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();

    var data = new FormData(form, event.submitter || undefined);
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    bar.hidden = false;
    bar.removeAttribute("value");  // indeterminate until the first progress event
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) return;
      bar.max = progress.total;
      bar.value = progress.loaded;
      bar.textContent = Math.round((100 * progress.loaded) / progress.total) + " %";
    });
    request.addEventListener("load", function () {
      // Redirects were followed: show where the server sent us, with its messages.
      if (request.responseURL) window.history.replaceState(null, "", request.responseURL);
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      window.alert("The upload failed; check your connection and try again.");
    });
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
      button.disabled = true;
    });
    request.send(data);
  });
})();
