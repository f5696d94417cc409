/* Dossier export page: poll the export's status every 2 s, move the progress bar, and reload the page
   (which then shows the download link or the error) once the export has finished. Without this file the
   page refreshes itself through a <noscript> meta refresh.

   Download link on the complaint page: a dossier not kept yet is rendered in the request, which the browser
   shows as nothing at all. On click the link gets a one-off token (?ready=…) and a "being prepared" bar
   appears; the PDF response sets the cookie dossier_ready=<token>, and the bar goes once it is seen. */
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

  var READY_COOKIE = "dossier_ready";
  var READY_POLL_MS = 250;
  var READY_GIVE_UP_MS = 120000;

  function readyToken(value) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + READY_COOKIE + "=([^;]*)"));
    return match && match[1] === value;
  }

  function showWhilePreparing(link) {
    var preparing = link.parentNode.querySelector(".js-dossier-preparing");
    if (!preparing) return;
    link.addEventListener("click", function () {
      var token = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("ready", token);
      link.href = url.toString();
      preparing.hidden = false;
      link.setAttribute("aria-busy", "true");
      var started = Date.now();
      (function check() {
        if (readyToken(token) || Date.now() - started > READY_GIVE_UP_MS) {
          preparing.hidden = true;
          link.removeAttribute("aria-busy");
          document.cookie = READY_COOKIE + "=; Max-Age=0; Path=/; SameSite=Strict";
          return;
        }
        window.setTimeout(check, READY_POLL_MS);
      })();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".js-dossier-link"), showWhilePreparing);
})();
