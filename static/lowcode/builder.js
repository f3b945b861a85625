/* The form builder (表单设计器) in the browser; the server does and checks every edit.
 *
 * 1. The builder page: drag a field's row (HTML5 drag and drop) and drop it before another row, or in the
 *    lower half of a row to go after it; the move is posted as the builder's `move_to` operation. The ↑ ↓
 *    buttons of each row do the same from the keyboard.
 * 2. The field page: only the settings the chosen type uses are shown, and the display condition is built
 *    from rows of menus (field → comparison suited to its type → value: the field's options for a choice
 *    field, a date or number input otherwise). The rows are posted as rule-N-field/op/value and the
 *    server writes the expression (portal/lowcode/builder.py, condition_text) — nobody types one.
 */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- 1. drag and drop on the builder page -------------------------------------------------------
  function initDragAndDrop() {
    var move = document.getElementById("builder-move");
    if (!move) return;
    var dragged = null;

    function rowsOf(tbody, group) {
      return Array.prototype.filter.call(tbody.querySelectorAll("tr.builder-row"), function (row) {
        return row.getAttribute("data-group") === group;
      });
    }
    function clearMarks() {
      document.querySelectorAll(".builder-drop-before, .builder-drop-after, .builder-drop-end").forEach(function (n) {
        n.classList.remove("builder-drop-before", "builder-drop-after", "builder-drop-end");
      });
    }
    // Where a drop at this event would put the dragged row: {section, before, mark, cls}, or null.
    function target(event) {
      if (!dragged) return null;
      var group = dragged.getAttribute("data-group");
      var row = event.target.closest ? event.target.closest("tr.builder-row") : null;
      var tbody = event.target.closest ? event.target.closest("tbody.builder-drop") : null;
      if (!tbody) return null;
      if (row && row.getAttribute("data-group") === group && row !== dragged) {
        var box = row.getBoundingClientRect();
        if (event.clientY < box.top + box.height / 2) {
          return { section: row.getAttribute("data-section"), before: row.getAttribute("data-key"), mark: row, cls: "builder-drop-before" };
        }
        var siblings = rowsOf(tbody, group);
        var next = siblings[siblings.indexOf(row) + 1];
        return { section: row.getAttribute("data-section"), before: next ? next.getAttribute("data-key") : "", mark: row, cls: "builder-drop-after" };
      }
      if (!row && group === "") {  // the empty part of a section (its "no fields yet" row): its end
        return { section: tbody.getAttribute("data-section"), before: "", mark: tbody, cls: "builder-drop-end" };
      }
      return null;
    }

    document.querySelectorAll("tr.builder-row").forEach(function (row) {
      row.addEventListener("dragstart", function (event) {
        dragged = row;
        row.classList.add("builder-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.getAttribute("data-key"));
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("builder-dragging");
        dragged = null;
        clearMarks();
      });
    });
    document.querySelectorAll("tbody.builder-drop").forEach(function (tbody) {
      tbody.addEventListener("dragover", function (event) {
        var found = target(event);
        clearMarks();
        if (!found) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        found.mark.classList.add(found.cls);
      });
      tbody.addEventListener("dragleave", function (event) {
        if (!tbody.contains(event.relatedTarget)) clearMarks();
      });
      tbody.addEventListener("drop", function (event) {
        var found = target(event);
        clearMarks();
        if (!found) return;
        event.preventDefault();
        move.elements.key.value = dragged.getAttribute("data-key");
        move.elements.section.value = found.section;
        move.elements.before.value = found.before;
        move.submit();
      });
    });
  }

  // --- 2. the field page ----------------------------------------------------------------------------
  function initFieldForm() {
    var form = document.querySelector(".builder-condition-form");  // a field's page, or a section's
    if (!form) return;
    var spec = JSON.parse(document.getElementById("condition-spec").textContent);
    var type = document.getElementById("type");
    var list = document.getElementById("rules");
    var byKey = {};
    spec.fields.forEach(function (f) { byKey[f.key] = f; });

    function checked(name) {
      var input = form.querySelector('input[name="' + name + '"]:checked');
      return input ? input.value : "";
    }
    function show(selector, visible) {
      var node = form.querySelector(selector);
      if (node) node.classList.toggle("d-none", !visible);
    }
    function toggle() {
      if (type) show(".builder-options", type.value === "select_one" || type.value === "select_multiple");
      show(".builder-required-expr", checked("required_mode") === "expr");
      var mode = checked("relevant_mode");
      show(".builder-rules-editor", mode === "rules");
      show(".builder-relevant-expr", mode === "expr");
      if (mode === "rules" && !list.children.length && spec.fields.length) addRule({});
    }

    function valueControl(field, op, values) {
      var holder = el("div", { "class": "col-sm-4 builder-rule-value" });
      if (!field || op === "empty" || op === "filled") return holder;
      var control;
      var many = op === "in" || op === "not_in";
      if (field.options && field.options.length) {
        control = el("select", { "class": "form-control form-control-sm", "aria-label": "值" });
        if (many) {
          control.multiple = true;
          control.size = Math.min(5, field.options.length);
        } else {
          control.appendChild(el("option", { value: "" }, "请选择"));
        }
        field.options.forEach(function (o) {
          var option = el("option", { value: o.value }, o.label);
          if (values.indexOf(o.value) >= 0) option.selected = true;
          control.appendChild(option);
        });
      } else {
        var kind = { integer: "number", decimal: "number", money: "number", date: "date", datetime: "date" }[field.type] || "text";
        control = el("input", { "class": "form-control form-control-sm", type: kind, "aria-label": "值" });
        if (kind === "number") control.setAttribute("step", "any");
        if (many) control.setAttribute("placeholder", "多个值用顿号“、”分隔");
        control.value = values.length ? (many ? values.join("、") : values[0]) : "";
      }
      holder.appendChild(control);
      return holder;
    }

    function renumber() {
      Array.prototype.forEach.call(list.children, function (row, index) {
        var parts = { field: ".builder-rule-field select", op: ".builder-rule-op select", value: ".builder-rule-value select, .builder-rule-value input" };
        Object.keys(parts).forEach(function (part) {
          var input = row.querySelector(parts[part]);
          if (input) input.name = "rule-" + index + "-" + part;
        });
        var join = row.querySelector(".builder-rule-join");
        join.textContent = index === 0 ? "当" : (spec.join === "or" ? "或者" : "并且");
      });
    }

    function addRule(rule) {
      var row = el("div", { "class": "form-row align-items-center mb-2 builder-rule" });
      row.appendChild(el("div", { "class": "col-auto small builder-rule-join" }, ""));
      var fieldCell = el("div", { "class": "col-sm builder-rule-field" });
      var fieldSelect = el("select", { "class": "form-control form-control-sm", "aria-label": "字段" });
      fieldSelect.appendChild(el("option", { value: "" }, "选择字段"));
      spec.fields.forEach(function (f) {
        var option = el("option", { value: f.key }, f.label + "（" + f.type_label + "）");
        if (f.key === rule.field) option.selected = true;
        fieldSelect.appendChild(option);
      });
      fieldCell.appendChild(fieldSelect);
      var opCell = el("div", { "class": "col-sm-3 builder-rule-op" });
      var remove = el("button", { type: "button", "class": "btn btn-sm btn-link text-danger", "aria-label": "删除此条件", title: "删除此条件" }, "✕");
      row.appendChild(fieldCell);
      row.appendChild(opCell);
      row.appendChild(valueControl(null, "", []));
      var removeCell = el("div", { "class": "col-auto" });
      removeCell.appendChild(remove);
      row.appendChild(removeCell);

      function fillOps(selected) {
        var field = byKey[fieldSelect.value];
        opCell.innerHTML = "";
        var opSelect = el("select", { "class": "form-control form-control-sm", "aria-label": "比较方式" });
        (field ? field.ops : []).forEach(function (pair) {
          var option = el("option", { value: pair[0] }, pair[1]);
          if (pair[0] === selected) option.selected = true;
          opSelect.appendChild(option);
        });
        opCell.appendChild(opSelect);
        opSelect.addEventListener("change", function () { fillValue([]); });
      }
      function fillValue(values) {
        var field = byKey[fieldSelect.value];
        var opSelect = opCell.querySelector("select");
        row.replaceChild(valueControl(field, opSelect ? opSelect.value : "", values), row.querySelector(".builder-rule-value"));
        renumber();
      }
      fieldSelect.addEventListener("change", function () { fillOps(""); fillValue([]); });
      remove.addEventListener("click", function () { list.removeChild(row); renumber(); });
      list.appendChild(row);
      fillOps(rule.op || "");
      fillValue(rule.values || []);
    }

    document.getElementById("rule-add").addEventListener("click", function () { addRule({}); });
    var joinSelect = document.getElementById("relevant_join");
    joinSelect.addEventListener("change", function () { spec.join = joinSelect.value; renumber(); });
    (spec.rules || []).forEach(addRule);
    if (type) type.addEventListener("change", toggle);
    form.querySelectorAll('input[name="required_mode"], input[name="relevant_mode"]').forEach(function (r) {
      r.addEventListener("change", toggle);
    });
    toggle();
  }

  initDragAndDrop();
  initFieldForm();
})();
