/* The case form's extra fields (templates/lowcode/_form.html):
   - choosing another dispute type brings that type's fields into the form: the slot
     (templates/admin/cases/_answers_slot.html) names the URL that renders them in data-url;
   - cascading choices (select[data-depends-on]) list only the options under the chosen parent
     (option[data-parent]); the server checks the pair again, so the form works without this script;
   - a multi-page form (ol.lowcode-steps) shows one page at a time with 上一步/下一步 and its steps;
     without this script every page stays on one screen, reached by the step anchors. */
(function () {
  "use strict";

  function parentSelect(select) {
    var key = select.getAttribute("data-depends-on");
    var row = select.closest(".lowcode-row");
    var scopes = row ? [row, select.closest(".lowcode-form")] : [select.closest(".lowcode-form")];
    for (var i = 0; i < scopes.length; i++) {
      if (!scopes[i]) continue;
      var found = scopes[i].querySelector('.lowcode-field[data-key="' + key + '"] select');
      if (found) return found;
    }
    return null;
  }

  function narrow(select) {
    var parent = parentSelect(select);
    if (!parent) return;
    if (!select.lowcodeOptions) {
      select.lowcodeOptions = Array.prototype.slice.call(select.options, 1).map(function (o) {
        return o.cloneNode(true);
      });
    }
    var wanted = parent.value;
    var current = select.value;
    while (select.options.length > 1) select.remove(1);
    var kept = false;
    select.lowcodeOptions.forEach(function (option) {
      var under = option.getAttribute("data-parent");
      if (under === null || (wanted !== "" && under === wanted)) {
        var copy = option.cloneNode(true);
        copy.selected = option.value === current;
        if (copy.selected) kept = true;
        select.add(copy);
      }
    });
    select.options[0].textContent = wanted === "" ? "请先选择上一级" : "请选择";
    if (!kept && current !== "") {
      select.value = "";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function dependents(parent) {
    var field = parent.closest(".lowcode-field");
    var form = parent.closest(".lowcode-form");
    if (!field || !form) return [];
    var key = field.getAttribute("data-key");
    return Array.prototype.filter.call(
      form.querySelectorAll('select[data-depends-on="' + key + '"]'),
      function (s) { return parentSelect(s) === parent; }
    );
  }

  function Pages(form) {
    this.form = form;
    this.pages = Array.prototype.slice.call(form.querySelectorAll(".lowcode-page"));
    this.steps = Array.prototype.slice.call(form.querySelectorAll(".lowcode-steps .nav-link"));
    this.pager = form.querySelector(".lowcode-pager");
    var wrong = this.pages.findIndex(function (p) { return p.querySelector(".is-invalid, .invalid-feedback"); });
    this.show(wrong >= 0 ? wrong : 0);
    if (this.pager) this.pager.classList.remove("d-none");
    var self = this;
    this.steps.forEach(function (link, index) {
      link.addEventListener("click", function (event) { event.preventDefault(); self.show(index); });
    });
    form.querySelector(".lowcode-prev").addEventListener("click", function () { self.show(self.current - 1); });
    form.querySelector(".lowcode-next").addEventListener("click", function () { self.show(self.current + 1); });
  }

  Pages.prototype.show = function (index) {
    var last = this.pages.length - 1;
    this.current = Math.max(0, Math.min(index, last));
    var current = this.current;
    this.pages.forEach(function (page, i) { page.classList.toggle("d-none", i !== current); });
    this.steps.forEach(function (link, i) {
      link.classList.toggle("active", i === current);
      if (i === current) link.setAttribute("aria-current", "step"); else link.removeAttribute("aria-current");
      var wrong = this.pages[i].querySelector(".is-invalid, .invalid-feedback");
      link.classList.toggle("text-danger", Boolean(wrong) && i !== current);
    }, this);
    var prev = this.form.querySelector(".lowcode-prev");
    var next = this.form.querySelector(".lowcode-next");
    if (prev) prev.disabled = current === 0;
    if (next) next.classList.toggle("d-none", current === last);
  };

  function init(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("select[data-depends-on]"), narrow);
    Array.prototype.forEach.call(scope.querySelectorAll(".lowcode-form"), function (form) {
      if (!form.lowcodePages && form.querySelector(".lowcode-steps")) form.lowcodePages = new Pages(form);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.tagName === "SELECT" && target.closest(".lowcode-form")) {
      dependents(target).forEach(narrow);
    }
  });
  // A repeat row added by engine.js: its cascading choices start narrowed too.
  document.addEventListener("click", function (event) {
    if (event.target && event.target.classList && event.target.classList.contains("lowcode-add-row")) {
      window.setTimeout(function () { init(event.target.closest(".lowcode-repeat") || document); }, 0);
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });

  var slot = document.getElementById("case-answers");
  var select = document.getElementById("dispute_type");
  if (!slot || !select || !window.jQuery) return;
  // Select2 reports the choice as a jQuery event only.
  window.jQuery(select).on("change", function () {
    var base = slot.getAttribute("data-url");
    var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "dispute_type=" + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { slot.innerHTML = html; window.Lowcode.init(slot); init(slot); });
  });
})();
