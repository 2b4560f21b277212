// Thulium Live: small behaviours of the admin pages, here and not inline (the
// Content-Security-Policy allows scripts from our own files only).
(function () {
  "use strict";

  // A campaign's agent picker: the search box hides the agents that do not match.
  document.addEventListener("input", function (e) {
    if (!e.target.matches("[data-agent-search]")) return;
    var q = e.target.value.trim().toLowerCase();
    document.querySelectorAll("[data-picker] label").forEach(function (l) {
      l.hidden = q && l.dataset.search.indexOf(q) === -1;
    });
  });

  document.addEventListener("click", function (e) {
    // Wallboards: a link field selects itself; "Copy link" copies it.
    if (e.target.matches("[data-wallboard-link]")) e.target.select();
    var button = e.target.closest("[data-copy-link]");
    if (!button) return;
    var field = button.closest("tr").querySelector("[data-wallboard-link]");
    field.select();
    (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject())
      .catch(function () { document.execCommand("copy"); })
      .finally(function () {
        var label = button.dataset.label || (button.dataset.label = button.textContent);
        button.textContent = button.dataset.copiedText || "Copied";  // in the page's language
        setTimeout(function () { button.textContent = label; }, 2000);
      });
  });

  // A campaign form: the fields of one dialer only (data-dialer-only="predictive") show, and are
  // sent, only while that dialer is chosen (or, cloning, is the campaign's own: data-dialer).
  function dialerFields(form) {
    var select = form.querySelector("select[name=dialer]");
    var dialer = select ? select.value : form.getAttribute("data-dialer");
    if (!dialer) return;
    form.querySelectorAll("[data-dialer-only]").forEach(function (input) {
      var off = input.getAttribute("data-dialer-only") !== dialer;
      var box = input.closest("form > div") || input.parentElement;
      box.hidden = off;
      box.style.display = off ? "none" : "";  // the form's CSS lays its divs out as flex
      input.disabled = off;
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[name=dialer]")) dialerFields(e.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-dialer-only]")) dialerFields(form);
    });
  });

  // A form with data-confirm-submit="question" is sent only once the question is answered OK.
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute("data-confirm-submit");
    if (question && !window.confirm(question)) e.preventDefault();
  });
})();
