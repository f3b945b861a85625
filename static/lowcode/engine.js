/* The form engine in the browser: evaluates the JSON trees made by portal/lowcode/expr.py with the
 * same rules, to show and hide fields and sections, mark required ones, fill calculated ones and show
 * the same messages as portal/lowcode/engine.py (required, format, bounds, patterns, constraints) as the
 * user types. The definition comes parsed from the server (data-spec, engine.browser_spec): there is no
 * second parser here. The server re-checks everything on submit and its answer is the one kept. */
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

  /* count-if(${group or field}, cond) and sum-if(${field}, cond): cond is evaluated inside each row. */
  function overRows(op, args, ctx) {
    var target = args[0], cond = args[1];
    if (target === null || typeof target !== "object" || !target.hasOwnProperty("var")) return op === "count-if" ? 0 : null;
    var key = target["var"][0], groups = ctx.groups || {};
    var group = groups.hasOwnProperty(key) ? groups[key] : key;
    var rows = ctx.values.hasOwnProperty(group) ? ctx.values[group] : null;
    var total = 0, counted = 0;
    (Array.isArray(rows) ? rows : []).forEach(function (row) {
      if (row === null || typeof row !== "object" || Array.isArray(row)) return;
      var inside = { values: Object.assign({}, ctx.values, row), current: ctx.current, today: ctx.today, groups: ctx.groups };
      if (!truthy(evaluate(cond, inside))) return;
      counted += 1;
      var n = num(row.hasOwnProperty(key) ? row[key] : null);
      if (n !== null) total += n;
    });
    return op === "count-if" ? counted : finite(total);
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
      case "if": return evaluate(truthy(evaluate(args[0], ctx)) ? args[1] : args[2], ctx);
      case "count-if": case "sum-if": return overRows(op, args, ctx);
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

  function isBlank(v) {
    return v === null || v === undefined || (typeof v === "string" && v.trim() === "") || (Array.isArray(v) && v.length === 0);
  }
  function chars(text) { return Array.from(text).length; }

  /* A typed text as the server's values.coerce takes it: {value, error}. */
  function coerce(f, text, spec) {
    var m = spec.messages, type = f.type, match;
    if (type === "text" || type === "textarea") {
      var kept = type === "text" ? text.trim() : text.replace(/^[\r\n ]+|[\r\n ]+$/g, "");
      if (f.max_length && chars(kept) > f.max_length) return { value: null, error: "不能超过 " + f.max_length + " 个字符" };
      return { value: kept, error: null };
    }
    if (type === "integer" || type === "decimal" || type === "money") {
      var t = text.trim().replace(/[,，]/g, "");
      match = /^([-+]?)(\d+)(?:\.(\d+))?$/.exec(t);
      if (!match) return { value: null, error: m[type] };
      var n = Number(t), fraction = (match[3] || "").replace(/0+$/, "");
      if (Math.abs(n) > 1e15) return { value: null, error: m.too_big };
      if (type === "integer" && fraction) return { value: null, error: m.integer };
      if (type === "money") {
        if (n < 0) return { value: null, error: m.money_negative };
        if (n >= 1e12) return { value: null, error: m.money_limit };
        if (fraction.length > 2) return { value: null, error: m.money_fen };
      }
      return { value: n === 0 ? 0 : n, error: null };
    }
    if (type === "date" || type === "datetime") {
      // As date.fromisoformat(text[:10]) and datetime.fromisoformat(text.replace(" ", "T")) read it.
      var trimmed = text.trim();
      match = type === "date" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed.slice(0, 10))
        : /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::\d{2}(?:\.\d{1,6})?)?)?)?$/.exec(trimmed);
      var day = match && new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
      if (!match || +match[1] < 1 || day.getUTCMonth() !== +match[2] - 1 || day.getUTCDate() !== +match[3] ||
          (match[4] !== undefined && +match[4] > 23) || (match[5] !== undefined && +match[5] > 59)) {
        return { value: null, error: m[type] };
      }
      var iso = match[1] + "-" + match[2] + "-" + match[3];
      if (iso < spec.window.earliest) return { value: null, error: spec.window.early };
      if (iso > spec.window.latest) return { value: null, error: spec.window.late };
      return { value: type === "date" ? iso : iso + "T" + (match[4] || "00") + ":" + (match[5] || "00"), error: null };
    }
    if (type === "id_number") return idNumber(clean(text).toUpperCase(), spec);
    if (type === "phone") return phone(clean(text), spec);
    if (type === "credit_code") return { value: clean(text).toUpperCase(), error: null };  // the server checks it
    return { value: text.trim(), error: null };
  }

  /* As validators._clean: full-width characters folded, whitespace dropped. */
  function clean(text) { return text.normalize("NFKC").replace(/\s+/g, ""); }

  /* As validators.id_number_error: shape, region, birth date, check character (MOD 11-2). */
  function idNumber(id, spec) {
    var m = spec.messages;
    if (!/^\d{17}[\dX]$/.test(id)) return { value: null, error: m.id_format };
    if (spec.numbers.id_provinces.indexOf(+id.slice(0, 2)) < 0) return { value: null, error: m.id_region };
    var y = +id.slice(6, 10), mo = +id.slice(10, 12), d = +id.slice(12, 14);
    var born = new Date(Date.UTC(y, mo - 1, d)), iso = id.slice(6, 10) + "-" + id.slice(10, 12) + "-" + id.slice(12, 14);
    if (y < 1 || mo < 1 || mo > 12 || born.getUTCMonth() !== mo - 1 || born.getUTCDate() !== d || iso < "1900-01-01") {
      return { value: null, error: m.id_birth };
    }
    if (iso > spec.today) return { value: null, error: m.id_future };
    var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], total = 0;
    for (var i = 0; i < 17; i++) total += +id[i] * weights[i];
    if ("10X98765432"[total % 11] !== id[17]) return { value: null, error: m.id_checksum };
    return { value: id, error: null };
  }

  /* As validators.normalize_phone and phone_error: a mobile, or a landline with its area code. */
  function phone(text, spec) {
    var n = spec.numbers, found;
    if ((found = new RegExp("^(?:" + n.mobile + ")$").exec(text.replace(/-/g, "")))) return { value: found[1], error: null };
    if ((found = new RegExp("^(?:" + n.landline + ")$").exec(text))) {
      return { value: [found[1], found[2], found[3]].filter(Boolean).join("-"), error: null };
    }
    if ((found = new RegExp("^(?:" + n.landline_no_ext + ")$").exec(text.replace(/-/g, "")))) {
      return { value: found[1] + "-" + found[2], error: null };
    }
    return { value: null, error: spec.messages.phone };
  }

  /* Read a field's raw input from the page: {value (typed as the server stores it), error, filled}. */
  function read(root, name, f, spec) {
    var els = root.querySelectorAll('[name="' + name + '"]');
    if (!els.length || f.type === "file") return { value: null, error: null, filled: false };
    if (f.type === "select_multiple") {
      var list = [];
      els.forEach(function (e) { if (e.checked) list.push(e.value); });
      return { value: list.length ? list : null, error: null, filled: list.length > 0 };
    }
    if (f.type === "boolean") {
      var on = null;
      els.forEach(function (e) { if (e.checked) on = e.value === "1"; });
      return { value: on, error: null, filled: on !== null };
    }
    var text = els[0].value || "";
    if (text.trim() === "") return { value: null, error: null, filled: false };
    var got = coerce(f, text, spec);
    got.filled = true;
    return got;
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

  /* A calculation's result as its field stores it (engine._calculated). */
  function calculated(type, result) {
    if (result === null || result === undefined) return null;
    var number = isNumber(result);
    if (number && (!isFinite(result) || Math.abs(result) > 1e15)) return null;
    if (type === "integer") return number ? round(result, 0) : null;
    if (type === "money") {
      var amount = number ? round(result, 2) : null;
      return amount === null || amount < 0 || amount >= 1e12 ? null : amount;
    }
    if (type === "decimal") return number ? result : null;
    if (type === "boolean") return truthy(result);
    if (typeof result === "boolean") return result ? "是" : "否";
    return String(result);
  }

  function boundError(f, value) {
    var low = f.min, high = f.max, type = f.type, measure, unit = "";
    if ((low === null || low === undefined) && (high === null || high === undefined)) return null;
    if (type === "integer" || type === "decimal" || type === "money") measure = value;
    else if (type === "text" || type === "textarea") { measure = chars(value); unit = " 个字符"; }
    else if (type === "repeat" || type === "select_multiple") { measure = value.length; unit = type === "repeat" ? " 行" : " 项"; }
    else if (type === "date" || type === "datetime") measure = String(value).slice(0, 10);
    else return null;
    if (low !== null && low !== undefined && measure < low) return unit ? "不能少于 " + f.min_text + unit : "不能小于 " + f.min_text;
    if (high !== null && high !== undefined && measure > high) return unit ? "不能多于 " + f.max_text + unit : "不能大于 " + f.max_text;
    return null;
  }

  function fullMatch(pattern, text) {
    var re;
    try { re = new RegExp("^(?:" + pattern + ")$", "u"); } catch (e) {
      try { re = new RegExp("^(?:" + pattern + ")$"); } catch (e2) { return true; }  // the server judges
    }
    return re.test(text);
  }

  /* The checks of engine._validate for one visible field: "" when it passes. */
  function validate(f, value, ctx, spec) {
    var m = spec.messages;
    if (isBlank(value)) {
      var required = f.required !== null && f.required !== undefined && truthy(evaluate(f.required, ctx));
      return required ? (f.type === "repeat" ? m.required_rows : m.required) : "";
    }
    var bound = boundError(f, value);
    if (bound) return bound;
    if (f.pattern && (f.type === "text" || f.type === "textarea") && !fullMatch(f.pattern, String(value))) {
      return f.message || m.pattern;
    }
    if (f.constraint !== null && f.constraint !== undefined && !truthy(evaluate(f.constraint, ctx))) {
      return f.message || m.constraint;
    }
    return "";
  }

  function LowcodeForm(root) {
    this.root = root;
    this.spec = JSON.parse(root.getAttribute("data-spec"));
    this.touched = {};
    this.showAll = false;
    var self = this, prefix = this.spec.prefix + ".";
    function touch(event) {
      var name = event.target && event.target.name;
      if (name && name.indexOf(prefix) === 0) self.touched[name.slice(prefix.length)] = true;
    }
    root.addEventListener("input", function () { self.refresh(); });
    root.addEventListener("change", function (event) { touch(event); self.refresh(); });
    root.addEventListener("focusout", function (event) { touch(event); self.refresh(); });
    root.addEventListener("click", function (event) {
      var target = event.target;
      if (target.classList.contains("lowcode-add-row")) self.addRow(target.closest(".lowcode-repeat"));
      if (target.classList.contains("lowcode-remove-row")) {
        var repeat = target.closest(".lowcode-repeat");
        target.closest(".lowcode-row").remove();
        if (repeat) self.touched[repeat.getAttribute("data-path")] = true;
        self.refresh();
      }
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

  /* Mark every field as touched, so every message shows (what the server would say on submit). */
  LowcodeForm.prototype.touchAll = function () {
    this.showAll = true;
    this.refresh();
    return this.state;
  };

  /* Read, settle (hide, compute) and validate the whole form, in the server's order; show the result. */
  LowcodeForm.prototype.refresh = function () {
    var spec = this.spec, fields = spec.fields, root = this.root, self = this, prefix = spec.prefix;
    var top = {}, allRows = {}, hidden = {}, errors = {}, required = {}, groups = {}, shownSections = {};
    Object.keys(fields).forEach(function (k) { if (fields[k].group) groups[k] = fields[k].group; });
    // 1. Read every value: top-level ones, then each repeat group's rows (blank rows are not posted).
    Object.keys(fields).forEach(function (key) {
      var f = fields[key];
      if (f.group || f.type === "note") return;
      if (f.type === "repeat") {
        allRows[key] = self.rows(key).map(function (row) {
          var data = { _index: row.getAttribute("data-index") }, filled = false;
          Object.keys(fields).forEach(function (k) {
            if (fields[k].group !== key || fields[k].type === "note") return;
            var path = key + "." + data._index + "." + k;
            var got = read(row, prefix + "." + path, fields[k], spec);
            data[k] = got.value;
            if (got.error) errors[path] = got.error;
            if (got.filled) filled = true;
          });
          Object.defineProperty(data, "_filled", { value: filled, enumerable: false });
          return data;
        });
        top[key] = allRows[key].filter(function (r) { return r._filled; });
        if (top[key].length > spec.max_rows) errors[key] = "最多 " + spec.max_rows + " 行";
      } else {
        var got = read(root, prefix + "." + key, f, spec);
        top[key] = got.value;
        if (got.error) errors[key] = got.error;
      }
    });
    function context(row, current) {
      var values = Object.assign({}, top);
      Object.keys(groups).forEach(function (k) {
        values[k] = (top[groups[k]] || []).map(function (r) { return r[k] === undefined ? null : r[k]; });
      });
      if (row) Object.assign(values, row);
      return { values: values, today: spec.today, current: current === undefined ? null : current, groups: groups };
    }
    function sectionShown(n, ctx) {
      if (n === null || n === undefined || !spec.sections[n]) return true;
      if (!shownSections.hasOwnProperty(n)) shownSections[n] = truthy(evaluate(spec.sections[n], ctx));
      return shownSections[n];
    }
    function forget(path) {
      Object.keys(errors).forEach(function (p) { if (p === path || p.indexOf(path + ".") === 0) delete errors[p]; });
    }
    // 2. In dependency order: hide what is not relevant (dropping its value), compute what is calculated.
    function settle(key, row, path) {
      var f = fields[key], ctx = context(row), holder = row || top;
      var visible = (f.group || sectionShown(f.section, ctx)) &&
        (f.relevant === null || f.relevant === undefined || truthy(evaluate(f.relevant, ctx)));
      if (!visible) {
        hidden[path] = true;
        holder[key] = f.type === "repeat" ? [] : null;
        if (f.type === "repeat") allRows[key] = [];
        forget(path);
      } else if (f.calculate !== null && f.calculate !== undefined) {
        var value = calculated(f.type, evaluate(f.calculate, ctx));
        holder[key] = value;
        delete errors[path];
        if (!f.hidden) write(root, prefix + "." + path, f.type, value);
      }
    }
    spec.order.forEach(function (key) {
      var g = fields[key].group;
      if (!g) { settle(key, null, key); return; }
      (allRows[g] || []).forEach(function (row) { settle(key, row, g + "." + row._index + "." + key); });
    });
    // 3. Required, bounds, patterns and constraints for what remains visible (blank rows: marks only).
    spec.order.forEach(function (key) {
      var f = fields[key], g = f.group;
      if (f.type === "note" || f.type === "file") return;  // uploads are checked by the server only
      if (!g) {
        if (hidden[key]) return;
        var ctx = context(null, top[key]);
        required[key] = f.required !== null && f.required !== undefined && truthy(evaluate(f.required, ctx));
        if (!errors[key]) errors[key] = validate(f, top[key], ctx, spec);
        return;
      }
      if (hidden[g]) return;
      (allRows[g] || []).forEach(function (row) {
        var path = g + "." + row._index + "." + key;
        if (hidden[path]) return;
        var ctx = context(row, row[key]);
        required[path] = f.required !== null && f.required !== undefined && truthy(evaluate(f.required, ctx));
        if (!row._filled) { delete errors[path]; return; }
        if (!errors[path]) errors[path] = validate(f, row[key], ctx, spec);
      });
    });
    Object.keys(errors).forEach(function (p) { if (!errors[p]) delete errors[p]; });
    this.show(hidden, required, errors, shownSections);
    this.state = { values: this.stored(top), hidden: Object.keys(hidden).sort(), errors: errors, required: required };
    root.dispatchEvent(new CustomEvent("lowcode:refreshed", { detail: this.state }));
  };

  /* What the server would store: visible, non-blank values; rows without their page index. */
  LowcodeForm.prototype.stored = function (top) {
    var fields = this.spec.fields, out = {};
    Object.keys(top).forEach(function (key) {
      var value = top[key];
      if (isBlank(value) || fields[key].type === "note") return;
      if (fields[key].type === "repeat") {
        value = value.map(function (row) {
          var copy = {};
          Object.keys(row).forEach(function (k) { if (k !== "_index") copy[k] = row[k]; });
          return copy;
        });
      }
      out[key] = value;
    });
    return out;
  };

  LowcodeForm.prototype.show = function (hidden, required, errors, shownSections) {
    var root = this.root, self = this, fields = this.spec.fields;
    // Sections: the section holding a field of section n is shown or hidden with its condition.
    Object.keys(fields).forEach(function (key) {
      var n = fields[key].section;
      if (n === null || n === undefined || fields[key].group || !self.spec.sections[n]) return;
      var el = root.querySelector('.lowcode-field[data-path="' + key + '"]');
      var section = el && el.closest(".lowcode-section");
      if (section) section.classList.toggle("d-none", shownSections[n] === false);
    });
    root.querySelectorAll(".lowcode-field[data-path]").forEach(function (el) {
      var path = el.getAttribute("data-path");
      if (path.indexOf("__index__") >= 0) return;
      el.classList.toggle("d-none", !!hidden[path]);
      var mark = el.querySelector(":scope > label .lowcode-required");
      if (mark) mark.classList.toggle("d-none", !required[path]);
      if (!(self.showAll || self.touched[path])) return;
      // Once touched, the live message replaces the one the server gave.
      el.querySelectorAll(":scope > .invalid-feedback:not(.lowcode-live), :scope > div > .invalid-feedback:not(.lowcode-live)")
        .forEach(function (old) { old.remove(); });
      var message = errors[path] || "";
      var live = el.querySelector(":scope > .lowcode-live");
      if (!live) {
        live = document.createElement("div");
        live.className = "invalid-feedback lowcode-live";
        var help = el.querySelector(":scope > small.form-text");
        var rows = el.querySelector(":scope > .lowcode-rows");
        el.insertBefore(live, rows ? el.querySelector(":scope > .lowcode-add-row").nextSibling : help);
      }
      live.textContent = message;
      live.classList.toggle("d-block", !!message);
      el.querySelectorAll(":scope > .form-control, :scope > div > .form-control, :scope > .lowcode-radios, :scope > .lowcode-checks")
        .forEach(function (input) { input.classList.toggle("is-invalid", !!message); });
    });
    root.querySelectorAll(".lowcode-repeat").forEach(function (repeat) {
      Array.prototype.forEach.call(repeat.querySelectorAll(":scope > .lowcode-rows > .lowcode-row"), function (row, i) {
        var n = row.querySelector(".lowcode-row-number");
        if (n) n.textContent = i + 1;
      });
    });
  };

  window.Lowcode = {
    evaluate: evaluate,
    truthy: truthy,
    coerce: coerce,
    init: function (scope) {
      (scope || document).querySelectorAll(".lowcode-form").forEach(function (root) {
        if (!root.lowcode) root.lowcode = new LowcodeForm(root);
      });
    }
  };
  document.addEventListener("DOMContentLoaded", function () { window.Lowcode.init(document); });
})();
