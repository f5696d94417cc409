/* Complaint pages: enhancements only. Without this file the platform fields stay visible, files are chosen
   with the normal file input and posted with the form, and countdowns show the time of the page load. */
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  // <div data-reveal-for="id_select" data-reveal-value="x">: shown only while the select has that value.
  each("[data-reveal-for]", function (block) {
    var select = document.getElementById(block.getAttribute("data-reveal-for"));
    if (!select) return;
    function update() {
      block.hidden = select.value !== block.getAttribute("data-reveal-value");
    }
    select.addEventListener("change", update);
    update();
  });

  // Drop zones around a file input: dropping files puts them into the input, then the form posts as usual.
  each(".js-dropzone", function (zone) {
    var input = zone.querySelector("input[type='file']");
    var list = zone.querySelector(".dropzone-files");
    var hint = zone.querySelector(".dropzone-hint");
    if (!input) return;
    if (hint) hint.hidden = false;

    function showChosen() {
      if (!list) return;
      list.textContent = "";
      Array.prototype.forEach.call(input.files || [], function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
        list.appendChild(item);
      });
    }

    input.addEventListener("change", showChosen);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("is-dragover");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // Evidence form: upload with a progress bar. Any answer other than "stored" or "refused" (network trouble,
  // a proxy's error page) falls back to the plain form post, which the server handles the same way.
  each("form.js-xhr-upload", function (form) {
    var progress = form.querySelector(".upload-progress");
    var status = form.querySelector(".upload-status");
    if (!window.FormData || !progress) return;

    function unlock() {
      delete form.dataset.submitted;
      each("button[aria-disabled]", function (button) { button.removeAttribute("aria-disabled"); }, form);
    }

    function showErrors(errors) {
      status.textContent = "";
      Object.keys(errors).forEach(function (field) {
        errors[field].forEach(function (message) {
          var line = document.createElement("p");
          line.className = "errorlist";
          line.textContent = typeof message === "string" ? message : message.message;
          status.appendChild(line);
        });
      });
    }

    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return; // portal.js refuses a second submission while one is running
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (progressEvent) {
        if (progressEvent.lengthComputable) {
          progress.value = Math.round((progressEvent.loaded / progressEvent.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        progress.hidden = true;
        if (request.status === 201) {
          window.location.reload();
          return;
        }
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
        if (body && body.errors) {
          showErrors(body.errors);
          unlock();
        } else {
          HTMLFormElement.prototype.submit.call(form);
        }
      });
      request.addEventListener("error", function () {
        progress.hidden = true;
        status.textContent = form.getAttribute("data-failed");
        unlock();
      });
      progress.value = 0;
      progress.hidden = false;
      status.textContent = form.getAttribute("data-uploading");
      request.send(new FormData(form));
    });
  });

  // Live countdowns, in the formats the server used (read from the page, so they are translated).
  var formatsNode = document.getElementById("countdown-formats");
  if (formatsNode) {
    var formats = JSON.parse(formatsNode.textContent);
    var fill = function (template, values) {
      return template.replace(/\{(\w+)\}/g, function (whole, name) { return values[name]; });
    };
    var render = function () {
      each("[data-countdown-due]", function (node) {
        var seconds = (Date.parse(node.getAttribute("data-countdown-due")) - Date.now()) / 1000;
        var minutes = Math.floor(Math.abs(seconds) / 60);
        var days = Math.floor(minutes / 1440);
        var hours = Math.floor((minutes % 1440) / 60);
        var amount;
        if (days) amount = fill(formats.days, { days: days, hours: hours });
        else if (hours) amount = fill(formats.hours, { hours: hours, minutes: minutes % 60 });
        else amount = fill(formats.minutes, { minutes: minutes % 60 });
        node.textContent = fill(seconds >= 0 ? formats.future : formats.past, { time: amount });
        node.classList.toggle("is-overdue", seconds < 0);
      });
    };
    render();
    window.setInterval(render, 60000);
  }
})();
