/* Event forms (in the modal, on any page): show the inputs of each reminder's mode; the
   event page reloads after its modal saved. */
(function () {
  "use strict";
  function sync(row) {
    var mode = row.querySelector("[data-reminder-mode]");
    if (!mode) { return; }
    row.querySelectorAll("[data-when]").forEach(function (input) {
      input.classList.toggle("d-none", input.getAttribute("data-when") !== mode.value);
    });
  }
  function syncAll(root) { (root || document).querySelectorAll("[data-reminder-row]").forEach(sync); }
  document.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches("[data-reminder-mode]")) { sync(evt.target.closest("[data-reminder-row]")); }
  });
  document.body.addEventListener("htmx:afterSwap", function (evt) { syncAll(evt.detail.target); });
  document.body.addEventListener("calendarChanged", function () {
    if (document.querySelector("[data-reload-on-calendar-change]")) { window.location.reload(); }
  });
  syncAll(document);
})();
