/* Chinese texts for the Select2 and date-picker widgets, which Flask-Admin ships in English only
   ("No matches found", "Su Mo Tu", "Nov", "Apply"). Loaded on every admin page from portal_base's
   tail_js unless the user chose English; it runs as the first page-ready handler, after every widget
   script has loaded (form.js, added later by the form pages, sets the widgets up in its own, later,
   ready handler). */
jQuery(function ($) {
  "use strict";
  if ($.fn.select2 && $.fn.select2.defaults) {
    $.extend($.fn.select2.defaults, {
      formatNoMatches: function () { return "没有找到匹配项"; },
      formatSearching: function () { return "正在搜索…"; },
      formatLoadMore: function () { return "正在加载更多…"; },
      formatInputTooShort: function (input, min) { return "请再输入" + (min - input.length) + "个字"; },
      formatInputTooLong: function (input, max) { return "请删掉" + (input.length - max) + "个字"; },
      formatSelectionTooBig: function (limit) { return "最多只能选择" + limit + "项"; }
    });
  }
  var picker = $.fn.daterangepicker;
  if (picker) {
    var zh = {
      applyLabel: "确定", cancelLabel: "取消", fromLabel: "从", toLabel: "到",
      weekLabel: "周", customRangeLabel: "自定义",
      daysOfWeek: ["日", "一", "二", "三", "四", "五", "六"],
      monthNames: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      firstDay: 1
    };
    $.fn.daterangepicker = function (options, callback) {
      return picker.call(this, $.extend(true, { locale: zh }, options), callback);
    };
  }
});
