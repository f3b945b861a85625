/* A running print job's page: polls its progress (data-progress-url of #print-job) once a second
   and reloads when the job is done, showing the download. */
(function () {
  "use strict";
  var box = document.getElementById("print-job");
  if (!box) return;
  var bar = box.querySelector(".progress-bar");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        bar.style.width = p.percent + "%";
        bar.setAttribute("aria-valuenow", p.percent);
        bar.textContent = p.done + "/" + p.total;
        document.getElementById("print-job-status").textContent = p.label;
        document.getElementById("print-job-count").textContent = "已生成 " + p.done + " / " + p.total + " 份";
        if (!p.finished) { setTimeout(poll, 1000); return; }
        bar.classList.remove("progress-bar-animated", "progress-bar-striped");
        if (p.error) {
          bar.classList.add("bg-danger");
          var err = document.getElementById("print-job-error");
          err.textContent = p.error;
          err.classList.remove("d-none");
        } else {
          bar.classList.add("bg-success");
          window.location.reload();  // shows the download with the file's size and hash
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
