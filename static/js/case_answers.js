/* The case form: choosing another dispute type brings that type's extra fields into the form.
   The slot (templates/admin/cases/_answers_slot.html) names the URL that renders them in data-url. */
(function () {
  "use strict";
  var slot = document.getElementById("case-answers");
  var select = document.getElementById("dispute_type");
  if (!slot || !select) return;
  // Select2 reports the choice as a jQuery event only.
  window.jQuery(select).on("change", function () {
    var base = slot.getAttribute("data-url");
    var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "dispute_type=" + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { slot.innerHTML = html; window.Lowcode.init(slot); });
  });
})();
