/* Behaviour shared by every page of the portal, bound here rather than in on…= attributes, which the
   Content-Security-Policy forbids (portal/headers.py). Loaded by templates/admin/portal_base.html. */
(function () {
  "use strict";

  // <form data-confirm="…">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : event.target.parentElement;
    if (!target || !target.closest) return;
    // A batch action of a list ("With selected" menu): Flask-Admin's actions.js does the rest.
    var batch = target.closest("[data-batch-action]");
    if (batch) {
      event.preventDefault();
      window.modelActions.execute(batch.getAttribute("data-batch-action"));
      return;
    }
    // "Add" of an inline list (the parties of a case, the trainings of a mediator).
    var inline = target.closest("[data-inline-add]");
    if (inline) {
      event.preventDefault();
      window.faForm.addInlineField(inline, inline.getAttribute("data-inline-add"));
      return;
    }
  });

  // Flask-Admin's tabs and menus are links to "javascript:void(0)"; following one would run an inline
  // script, which the policy refuses (and reports). They do nothing when clicked, so say so before any
  // widget sees the click (capture phase: a widget may stop the click from bubbling up to here).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='javascript:']");
    if (link) event.preventDefault();
  }, true);

  // Progress bars rendered by the server carry their width in data-percent (no style= attribute).
  function sizeBars(root) {
    var bars = (root || document).querySelectorAll(".progress-bar[data-percent]");
    for (var i = 0; i < bars.length; i++) bars[i].style.width = bars[i].getAttribute("data-percent") + "%";
  }
  window.Portal = { sizeBars: sizeBars };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { sizeBars(); });
  else sizeBars();
})();
