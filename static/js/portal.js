/* Progressive enhancement only: every page works without this file. Loaded with `defer`, no inline code
   (CSP script-src 'self'). */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  // Phone menu: the toggle button is hidden until this script runs, so without JS the nav just wraps.
  each(".nav-toggle", function (button) {
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("is-open", open);
    });
  });

  // A table wider than the screen scrolls sideways inside its .table-wrap. Keyboard users can only scroll a
  // region that takes focus, so such a region becomes focusable and is named after its table's caption; it
  // goes back to normal when the window is wide enough again.
  function markScrollableTables() {
    each(".table-wrap", function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls === (wrap.getAttribute("data-scrolls") === "true")) return;
      wrap.setAttribute("data-scrolls", String(scrolls));
      if (scrolls) {
        var caption = wrap.querySelector("caption");
        wrap.tabIndex = 0;
        wrap.setAttribute("role", "region");
        if (caption) wrap.setAttribute("aria-label", caption.textContent.replace(/\s+/g, " ").trim());
      } else {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  markScrollableTables();
  var resizeTimer;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(markScrollableTables, 150);
  });

  // Language switch submits on change (its button stays for no-JS users).
  each("select.js-autosubmit", function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });

  // Demo accounts: fill the login form with one click.
  each(".js-demo-login", function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var username = document.getElementById("id_username");
      var password = document.getElementById("id_password");
      if (!username || !password) return;
      username.value = button.getAttribute("data-username");
      password.value = button.getAttribute("data-password");
      password.focus();
    });
  });

  // <form data-confirm="Are you sure?">: ask before irreversible actions (withdraw, refuse, penalise).
  each("form[data-confirm]", function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Prevent double submission of slow forms; the server stays idempotent regardless.
  each("form[method='post'], form[method='POST']", function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.dataset.submitted === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
      Array.prototype.forEach.call(form.querySelectorAll("button[type='submit']"), function (b) {
        b.setAttribute("aria-disabled", "true");
      });
    });
  });

  // Coming back through the browser history must not leave forms locked.
  window.addEventListener("pageshow", function () {
    each("form[data-submitted]", function (form) {
      delete form.dataset.submitted;
      Array.prototype.forEach.call(form.querySelectorAll("button[aria-disabled]"), function (b) {
        b.removeAttribute("aria-disabled");
      });
    });
  });

  // <textarea maxlength data-counter>: live character count announced politely.
  each("textarea[maxlength][data-counter]", function (area) {
    var counter = document.createElement("span");
    counter.className = "help char-count";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    function update() {
      counter.textContent = area.value.length + " / " + area.getAttribute("maxlength");
    }
    area.addEventListener("input", update);
    update();
  });

  // <input type="file" data-max-bytes="…" data-too-big="message">: warn before a doomed upload.
  each("input[type='file'][data-max-bytes]", function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var tooBig = Array.prototype.some.call(input.files || [], function (f) { return f.size > max; });
      input.setCustomValidity(tooBig ? input.getAttribute("data-too-big") || "File too large" : "");
      if (tooBig) input.reportValidity();
    });
  });
})();
