/* Platform workspace behaviour. Progressive enhancement only: every form works without it (CSP script-src
   'self', no inline code). */
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // Answer form: show only the fields of the chosen outcome. Without JS every fieldset shows; the server
  // uses the chosen outcome's fields either way.
  each(".js-outcome-form", function (form) {
    var radios = form.querySelectorAll("input[name='outcome']");
    function update() {
      var chosen = form.querySelector("input[name='outcome']:checked");
      each(".outcome-fields", function (fieldset) {
        var show = chosen !== null && fieldset.getAttribute("data-outcome") === chosen.value;
        fieldset.hidden = !show;
        fieldset.disabled = !show;
      }, form);
    }
    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  });

  // Inbox: "tick all" checkbox, a live count of ticked rows, and j/k to move between rows.
  each(".js-bulk-form", function (form) {
    var all = form.querySelector(".js-select-all");
    var counter = form.querySelector(".js-selected-count");
    var checks = form.querySelectorAll(".js-row-check");
    var template = counter ? counter.getAttribute("data-template") : null;

    function refresh() {
      var ticked = 0;
      Array.prototype.forEach.call(checks, function (check) {
        if (check.checked) ticked += 1;
        var row = check.closest("tr");
        if (row) row.classList.toggle("is-selected", check.checked);
      });
      if (all) {
        all.checked = ticked > 0 && ticked === checks.length;
        all.indeterminate = ticked > 0 && ticked < checks.length;
      }
      if (counter && template) counter.textContent = ticked ? template.replace("%s", String(ticked)) : "";
    }

    if (all && checks.length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(checks, function (check) { check.checked = all.checked; });
        refresh();
      });
    }
    Array.prototype.forEach.call(checks, function (check) { check.addEventListener("change", refresh); });
    refresh();

    var links = form.querySelectorAll(".js-row-link");
    form.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key !== "j" && event.key !== "k") return;
      var target = event.target;
      if (target.tagName === "SELECT" || target.tagName === "INPUT" && target.type !== "checkbox") return;
      var index = Array.prototype.indexOf.call(links, document.activeElement);
      var next = event.key === "j" ? index + 1 : index - 1;
      if (index === -1) next = 0;
      if (next >= 0 && next < links.length) {
        links[next].focus();
        event.preventDefault();
      }
    });
  });

  // One-time secrets: a copy button (hidden without JS; the field is selectable anyway).
  each(".js-copy", function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-copied") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
