/* Dossier export page: poll the export's status every 2 s, move the progress bar, and reload the page
   (which then shows the download link or the error) once the export has finished. Without this file the
   page refreshes itself through a <noscript> meta refresh. */
(function () {
  "use strict";

  var POLL_INTERVAL_MS = 2000;
  var UNFINISHED = ["pending", "running"];

  function watch(section) {
    var statusUrl = section.getAttribute("data-status-url");
    var bar = section.querySelector(".js-dossier-progress");
    if (!statusUrl || UNFINISHED.indexOf(section.getAttribute("data-status")) === -1) return;

    function poll() {
      fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (state) {
          if (UNFINISHED.indexOf(state.status) === -1) {
            window.location.reload();
            return;
          }
          if (bar) {
            bar.value = state.progress;
            bar.textContent = state.progress + "%";
          }
          window.setTimeout(poll, POLL_INTERVAL_MS);
        })
        .catch(function () {
          window.setTimeout(poll, POLL_INTERVAL_MS * 2);
        });
    }

    window.setTimeout(poll, POLL_INTERVAL_MS);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".js-dossier-export"), watch);
})();
