/* Comptoir's small client-side glue: modal forms loaded by htmx, confirmations,
   toasts from the HX-Trigger header. No inline scripts (the CSP forbids them). */
(function () {
  "use strict";
  var modalEl = document.getElementById("modal");
  var modal = null;
  function getModal() {
    if (!modal && modalEl && window.bootstrap) { modal = new bootstrap.Modal(modalEl); }
    return modal;
  }
  // Bootstrap ignores show() and hide() while the modal is fading in or out, so a
  // form answered before its modal finished opening (a quick Enter) would leave it
  // open. Remember what was asked and do it once the running transition ends.
  var state = "hidden";  // hidden, showing, shown, hiding
  var wanted = null;
  if (modalEl) {
    modalEl.addEventListener("show.bs.modal", function () { state = "showing"; });
    modalEl.addEventListener("hide.bs.modal", function () { state = "hiding"; });
    modalEl.addEventListener("shown.bs.modal", function () {
      state = "shown";
      if (wanted === "hide") { wanted = null; getModal().hide(); }
    });
    modalEl.addEventListener("hidden.bs.modal", function () {
      state = "hidden";
      if (wanted === "show") { wanted = null; getModal().show(); }
    });
  }
  function setModal(visible) {
    var m = getModal(); if (!m) { return; }
    if (state === "showing") { wanted = visible ? null : "hide"; return; }
    if (state === "hiding") { wanted = visible ? "show" : null; return; }
    wanted = null;
    if (visible) { m.show(); } else { m.hide(); }
  }
  document.body.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "modal-content") {
      setModal(true);
      var first = evt.detail.target.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    }
  });
  document.body.addEventListener("closeModal", function () { setModal(false); });
  document.body.addEventListener("flash", function (evt) {
    var box = document.getElementById("flashes");
    if (!box || !evt.detail) { return; }
    var div = document.createElement("div");
    div.className = "alert alert-" + (evt.detail.category || "success") + " alert-dismissible fade show";
    div.setAttribute("role", "alert");
    div.textContent = evt.detail.message || evt.detail.value || "";
    var close = document.createElement("button");
    close.type = "button"; close.className = "btn-close"; close.setAttribute("data-bs-dismiss", "alert");
    div.appendChild(close);
    box.appendChild(div);
  });
  // Server errors answered to htmx requests: show them instead of failing silently.
  document.body.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status === 422 && evt.detail.target) { return; }
    var box = document.getElementById("flashes");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "alert alert-danger alert-dismissible fade show";
    var text = "";
    try { var p = JSON.parse(xhr.responseText); text = p.detail || p.title; } catch (e) {
      var tmp = document.createElement("div"); tmp.innerHTML = xhr.responseText;
      var lead = tmp.querySelector("[data-error-message]"); text = lead ? lead.textContent : ("Error " + xhr.status);
    }
    div.textContent = text.trim();
    box.appendChild(div);
  });
  // Let 422 responses (forms with errors) swap in so the errors show.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr.status === 422 || evt.detail.xhr.status === 409) {
      evt.detail.shouldSwap = evt.detail.xhr.status === 422;
      evt.detail.isError = evt.detail.xhr.status !== 422;
    }
  });
  // data-confirm on forms and buttons.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { evt.preventDefault(); evt.stopImmediatePropagation(); }
  }, true);
  // data-copy="#id": copy that field's value (or text) to the clipboard; the button says
  // data-copied ("Copied") for two seconds. Without the Clipboard API (a page not served
  // over HTTPS), the text is selected for the user to copy.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    function done() {
      var label = button.querySelector("[data-copy-label]") || button;
      var before = label.textContent;
      label.textContent = button.getAttribute("data-copied") || before;
      setTimeout(function () { label.textContent = before; }, 2000);
    }
    function select() {
      if (source.select) { source.focus(); source.select(); return; }
      var range = document.createRange(); range.selectNodeContents(source);
      var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text.trim()).then(done, select);
    } else { select(); }
  });
  // Auto-submit filter selects (no inline handlers).
  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (window.htmx && el.form.hasAttribute("hx-get")) { htmx.trigger(el.form, "submit"); }
      else { el.form.submit(); }
    }
  });
})();
