/* The field editor's helpers: show only the settings a type uses, and compose conditions from menus. */
(function () {
  "use strict";
  var form = document.querySelector(".builder-field-form");
  if (!form) return;
  var fields = JSON.parse(document.getElementById("helper-fields").textContent);
  var type = document.getElementById("type");

  function toggle() {
    var t = type.value, selects = t === "select_one" || t === "select_multiple";
    form.querySelector(".builder-options").classList.toggle("d-none", !selects);
    var mode = form.querySelector('input[name="required_mode"]:checked');
    form.querySelector('.builder-condition[data-target="required_expr"]').classList.toggle("d-none", !mode || mode.value !== "expr");
  }
  type.addEventListener("change", toggle);
  form.querySelectorAll('input[name="required_mode"]').forEach(function (r) { r.addEventListener("change", toggle); });
  toggle();

  var fieldSelect = document.getElementById("helper-field");
  function fillOptions() {
    var list = document.getElementById("helper-options");
    list.innerHTML = "";
    var chosen = fields.filter(function (f) { return f.key === fieldSelect.value; })[0];
    var values = chosen && chosen.type === "boolean" ? [{ value: "是", label: "是" }, { value: "否", label: "否" }] : (chosen ? chosen.options : []);
    values.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o.value;
      option.label = o.label;
      list.appendChild(option);
    });
  }
  fieldSelect.addEventListener("change", fillOptions);
  fillOptions();

  function literal(value, fieldType) {
    if (fieldType === "boolean") return value === "否" || value === "false" ? "false" : "true";
    if (/^-?\d+(\.\d+)?$/.test(value) && fieldType !== "text" && fieldType !== "select_one" && fieldType !== "select_multiple") return value;
    return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
  }

  document.getElementById("helper-add").addEventListener("click", function () {
    var key = fieldSelect.value, op = document.getElementById("helper-op").value;
    var value = document.getElementById("helper-value").value.trim();
    var chosen = fields.filter(function (f) { return f.key === key; })[0];
    var ref = key === "." ? "." : "${" + key + "}";
    var condition;
    if (op === "filled") condition = "not empty(" + ref + ")";
    else if (op === "empty") condition = "empty(" + ref + ")";
    else if (op === "selected") condition = "selected(" + ref + ", " + literal(value, "text") + ")";
    else condition = ref + " " + op + " " + literal(value, chosen ? chosen.type : "decimal");
    var target = document.getElementById(document.getElementById("helper-target").value);
    var join = document.getElementById("helper-join").value;
    target.value = target.value.trim() ? target.value.trim() + " " + join + " " + condition : condition;
    if (target.id === "required_expr") {
      var expr = form.querySelector('input[name="required_mode"][value="expr"]');
      if (expr) { expr.checked = true; toggle(); }
    }
    target.focus();
  });
})();
