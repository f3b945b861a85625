/* A batch print's page (templates/admin/print_jobs/details.html): polls the job's progress JSON
   (data-progress-url of #print-job) once a second, moves the bar, lists the documents left out, and
   reloads the page once the job has stopped, which then shows the download, 重试 or the error.
   Without scripts the page refreshes itself (a <noscript> refresh) and has a 刷新 button. */
(function () {
  "use strict";
  var box = document.getElementById("print-job");
  if (!box || box.getAttribute("data-finished") === "yes") return;
  var bar = box.querySelector(".progress-bar");

  function text(id, value) {
    var node = document.getElementById(id);
    if (node) node.textContent = value;
  }

  function showSkipped(p) {
    var card = document.getElementById("print-job-skipped");
    var list = document.getElementById("print-job-skipped-list");
    if (!card || !list || !p.skipped) return;
    card.classList.remove("d-none");
    text("print-job-skipped-count", p.skipped);
    while (list.firstChild) list.removeChild(list.firstChild);
    p.errors.forEach(function (message) {
      var item = document.createElement("li");
      item.className = "list-group-item text-danger";
      item.textContent = message;
      list.appendChild(item);
    });
  }

  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        bar.style.width = p.percent + "%";
        bar.setAttribute("aria-valuenow", p.percent);
        bar.setAttribute("data-percent", p.percent);
        bar.textContent = p.done + "/" + p.total;
        text("print-job-status", p.label);
        text("print-job-count", "已处理 " + p.done + " / " + p.total + " 份");
        text("print-job-percent", p.percent + "%");
        showSkipped(p);
        if (!p.finished) { setTimeout(poll, 1000); return; }
        bar.classList.remove("progress-bar-animated", "progress-bar-striped");
        bar.classList.add(p.status === "done" ? "bg-success" : (p.status === "failed" ? "bg-danger" : "bg-secondary"));
        window.location.reload();  // shows the download (size, hash), 重试 or the reason
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
