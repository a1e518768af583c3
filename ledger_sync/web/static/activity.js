// Sync activity's progress bar, served as a file: the Content-Security-Policy allows no inline script.
// While a run is in progress (or one was just started with Sync now) the page asks for the newest run's
// progress every 1.5 s; when the run it watched finishes, it reloads to show its counts.
(function () {
  var box = document.getElementById("progress");
  if (!box || !(box.dataset.running || box.dataset.watch)) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-testid=progress-text]");
  var before = box.dataset.running ? "" : box.dataset.run;  // a run finished before Sync now is not ours
  var tries = 0;
  function show(run) {
    box.hidden = false;
    if (run.percent === null) { bar.removeAttribute("value"); } else { bar.value = run.percent; }
    text.textContent = run.kind + " run in progress: " + run.done +
      (run.total === null ? "" : " of " + run.total) + " records read" +
      (run.percent === null ? "" : " (" + run.percent + " %)");
  }
  function poll() {
    tries += 1;
    fetch(box.dataset.url, {credentials: "same-origin", cache: "no-store"})
      .then(function (answer) { return answer.json(); })
      .then(function (run) {
        var ours = run.run_id !== null && String(run.run_id) !== before;
        if (ours && run.running) { show(run); }
        if (ours && !run.running) { window.location.replace(window.location.pathname + window.location.search.replace(/&watch=1/, "")); return; }
        if (tries < 400) { window.setTimeout(poll, 1500); }
      })
      .catch(function () { if (tries < 400) { window.setTimeout(poll, 3000); } });
  }
  poll();
})();
