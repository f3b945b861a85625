/* The form engine in the browser: evaluates the JSON trees made by portal/lowcode/expr.py with the
 * same rules, to show and hide fields, mark required ones and fill calculated ones as the user types.
 * The server re-checks everything on submit; this only keeps the page honest while typing. */
(function () {
  "use strict";

  function isNumber(v) { return typeof v === "number"; }
  function num(v) { return isNumber(v) && isFinite(v) ? v : null; }
  function finite(v) { return isFinite(v) ? v : null; }
  function truthy(v) {
    if (v === null || v === undefined || v === false || v === "") return false;
    if (Array.isArray(v)) return v.length > 0;
    if (isNumber(v)) return num(v) !== null && v !== 0;
    return true;
  }
  function equal(a, b) {
    if (isNumber(a) && isNumber(b)) return num(a) === num(b);
    if (typeof a === "boolean" || typeof b === "boolean") return a === b;
    if (a === null || b === null) return a === b;
    if (Array.isArray(a) || Array.isArray(b)) {
      if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
      for (var i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
      return true;
    }
    return typeof a === typeof b && a === b;
  }
  function order(op, a, b) {
    if (isNumber(a) && isNumber(b)) {
      a = num(a); b = num(b);
      if (a === null || b === null) return false;
    } else if (typeof a === "string" && typeof b === "string") {
      // A date-time compares with a date by its date, as on the server.
      var iso = /^\d{4}-\d{2}-\d{2}/;
      if (a.length !== b.length && iso.test(a) && iso.test(b)) { a = a.slice(0, 10); b = b.slice(0, 10); }
    } else {
      return false;
    }
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
  }
  function arithmetic(op, a, b) {
    a = num(a); b = num(b);
    if (a === null || b === null) return null;
    if (op === "+") return finite(a + b);
    if (op === "-") return finite(a - b);
    if (op === "*") return finite(a * b);
    return b === 0 ? null : finite(a / b);
  }
  function days(a, b) {
    var re = /^(\d{4})-(\d{2})-(\d{2})/;
    var x = re.exec(String(a)), y = re.exec(String(b));
    if (!x || !y) return null;
    var s = Date.UTC(+x[1], +x[2] - 1, +x[3]), e = Date.UTC(+y[1], +y[2] - 1, +y[3]);
    return Math.round((e - s) / 86400000);
  }
  function round(v, places) {
    var n = num(v), d = places === undefined ? 0 : num(places);
    if (n === null || d === null || d < 0 || d > 6 || d !== Math.floor(d)) return null;
    var f = Math.pow(10, d);
    return finite((n < 0 ? -1 : 1) * Math.floor(Math.abs(n) * f + 0.5) / f);
  }

  function evaluate(tree, ctx) {
    if (tree === null || typeof tree !== "object") return tree;
    var op = Object.keys(tree)[0], args = tree[op], i;
    switch (op) {
      case "var": return ctx.values.hasOwnProperty(args[0]) ? ctx.values[args[0]] : null;
      case ".": return ctx.current === undefined ? null : ctx.current;
      case "and": for (i = 0; i < args.length; i++) if (!truthy(evaluate(args[i], ctx))) return false; return true;
      case "or": for (i = 0; i < args.length; i++) if (truthy(evaluate(args[i], ctx))) return true; return false;
      case "!": return !truthy(evaluate(args[0], ctx));
      case "today": return ctx.today;
    }
    var v = args.map(function (a) { return evaluate(a, ctx); });
    switch (op) {
      case "list": return v;
      case "==": return equal(v[0], v[1]);
      case "!=": return !equal(v[0], v[1]);
      case "<": case "<=": case ">": case ">=": return order(op, v[0], v[1]);
      case "+": case "-": case "*": case "/": return arithmetic(op, v[0], v[1]);
      case "neg": return num(v[0]) === null ? null : -v[0];
      case "in":
        if (Array.isArray(v[1])) return v[1].some(function (x) { return equal(v[0], x); });
        return v[1] !== null && equal(v[0], v[1]);
      case "empty": return v[0] === null || v[0] === "" || (Array.isArray(v[0]) && v[0].length === 0);
      case "count": return Array.isArray(v[0]) ? v[0].length : (v[0] === null || v[0] === "" ? 0 : 1);
      case "sum":
        var total = 0;
        (Array.isArray(v[0]) ? v[0] : [v[0]]).forEach(function (x) { if (num(x) !== null) total += x; });
        return finite(total);
      case "selected": return Array.isArray(v[0]) ? v[0].some(function (x) { return equal(v[1], x); }) : equal(v[0], v[1]);
      case "length": return typeof v[0] === "string" ? Array.from(v[0]).length : (Array.isArray(v[0]) ? v[0].length : 0);
      case "days": return days(v[0], v[1]);
      case "min": case "max":
        if (num(v[0]) === null || num(v[1]) === null) return null;
        return op === "min" ? Math.min(v[0], v[1]) : Math.max(v[0], v[1]);
      case "round": return round(v[0], v[1]);
    }
    return null;
  }

  /* Read a field's value from the page, typed as the server stores it. */
  function read(root, name, type) {
    var els = root.querySelectorAll('[name="' + name + '"]');
    if (!els.length) return null;
    if (type === "select_multiple") {
      var list = [];
      els.forEach(function (e) { if (e.checked) list.push(e.value); });
      return list.length ? list : null;
    }
    if (type === "boolean") {
      var on = null;
      els.forEach(function (e) { if (e.checked) on = e.value === "1"; });
      return on;
    }
    var text = (els[0].value || "").trim();
    if (text === "") return null;
    if (type === "integer" || type === "decimal" || type === "money") {
      var t = text.replace(/[,，]/g, "");
      return /^[-+]?\d+(\.\d+)?$/.test(t) ? Number(t) : null;
    }
    if (type === "datetime") return text.slice(0, 16);
    return text;
  }

  function write(root, name, type, value) {
    var els = root.querySelectorAll('[name="' + name + '"]');
    if (type === "boolean") {
      els.forEach(function (e) { e.checked = value !== null && (e.value === "1") === truthy(value); });
    } else if (els.length) {
      var text = value === null || value === undefined ? "" : String(value);
      if (type === "money" && isNumber(value)) text = value.toFixed(2);
      els[0].value = text;
    }
  }

  function LowcodeForm(root) {
    this.root = root;
    this.spec = JSON.parse(root.getAttribute("data-spec"));
    var self = this;
    root.addEventListener("input", function () { self.refresh(); });
    root.addEventListener("change", function () { self.refresh(); });
    root.addEventListener("click", function (event) {
      var target = event.target;
      if (target.classList.contains("lowcode-add-row")) self.addRow(target.closest(".lowcode-repeat"));
      if (target.classList.contains("lowcode-remove-row")) { target.closest(".lowcode-row").remove(); self.refresh(); }
    });
    this.refresh();
  }

  LowcodeForm.prototype.rows = function (group) {
    return Array.prototype.slice.call(
      this.root.querySelectorAll('.lowcode-repeat[data-key="' + group + '"] > .lowcode-rows > .lowcode-row'));
  };

  LowcodeForm.prototype.addRow = function (repeat) {
    var rows = repeat.querySelector(".lowcode-rows");
    var used = Array.prototype.map.call(rows.children, function (r) { return +r.getAttribute("data-index"); });
    var index = used.length ? Math.max.apply(null, used) + 1 : 0;
    var html = repeat.querySelector(".lowcode-row-template").innerHTML.replace(/__index__/g, index);
    rows.insertAdjacentHTML("beforeend", html);
    this.refresh();
  };

  LowcodeForm.prototype.refresh = function () {
    var spec = this.spec, fields = spec.fields, root = this.root, self = this, prefix = spec.prefix;
    var top = {}, rowValues = {}, hidden = {};
    // Read every value first: top-level ones, then each repeat group's rows.
    Object.keys(fields).forEach(function (key) {
      var f = fields[key];
      if (f.group || f.type === "note") return;
      if (f.type === "repeat") {
        rowValues[key] = self.rows(key).map(function (row) {
          var data = { _index: row.getAttribute("data-index") };
          Object.keys(fields).forEach(function (k) {
            if (fields[k].group === key) data[k] = read(row, prefix + "." + key + "." + data._index + "." + k, fields[k].type);
          });
          return data;
        });
        top[key] = rowValues[key];
      } else {
        top[key] = read(root, prefix + "." + key, f.type);
      }
    });
    function context(row, current) {
      var values = Object.assign({}, top);
      Object.keys(fields).forEach(function (k) {
        var g = fields[k].group;
        if (g) values[k] = (rowValues[g] || []).map(function (r) { return r[k] === undefined ? null : r[k]; });
      });
      if (row) Object.assign(values, row);
      return { values: values, today: spec.today, current: current };
    }
    function show(path, visible, requiredNow) {
      var el = root.querySelector('.lowcode-field[data-path="' + path + '"]');
      if (!el) return;
      el.classList.toggle("d-none", !visible);
      var mark = el.querySelector(":scope > label .lowcode-required");
      if (mark) mark.classList.toggle("d-none", !requiredNow);
    }
    function settle(key, row, path) {
      var f = fields[key], ctx = context(row);
      var visible = f.relevant === null || f.relevant === undefined || truthy(evaluate(f.relevant, ctx));
      var holder = row || top;
      if (!visible) {
        hidden[path] = true;
        holder[key] = f.type === "repeat" ? [] : null;
        if (f.type === "repeat") rowValues[key] = [];
      } else if (f.calculate !== null && f.calculate !== undefined) {
        var value = evaluate(f.calculate, ctx);
        if (f.type === "integer" && num(value) !== null) value = round(value, 0);
        if (f.type === "money" && num(value) !== null) value = round(value, 2);
        holder[key] = value;
        var name = row ? prefix + "." + f.group + "." + row._index + "." + key : prefix + "." + key;
        write(root, name, f.type, value);
      }
      var req = visible && f.required !== null && f.required !== undefined && truthy(evaluate(f.required, context(row)));
      show(path, visible, req);
    }
    spec.order.forEach(function (key) {
      var g = fields[key].group;
      if (!g) { settle(key, null, key); return; }
      (rowValues[g] || []).forEach(function (row) { settle(key, row, g + "." + row._index + "." + key); });
    });
    this.rows && Object.keys(fields).forEach(function (key) {
      if (fields[key].type !== "repeat") return;
      self.rows(key).forEach(function (row, i) {
        var n = row.querySelector(".lowcode-row-number");
        if (n) n.textContent = i + 1;
      });
    });
    root.dispatchEvent(new CustomEvent("lowcode:refreshed", { detail: { hidden: hidden } }));
  };

  window.Lowcode = {
    evaluate: evaluate,
    truthy: truthy,
    init: function (scope) {
      (scope || document).querySelectorAll(".lowcode-form").forEach(function (root) {
        if (!root.lowcode) root.lowcode = new LowcodeForm(root);
      });
    }
  };
  document.addEventListener("DOMContentLoaded", function () { window.Lowcode.init(document); });
})();
