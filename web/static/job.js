// The job page's live output: appends each event's text as it arrives (server-sent events) and shows
// the current play and task; reloads the page once the job ended, for its recap and timeline.
(function () {
  "use strict";
  var output = document.getElementById("output");
  if (!output || output.dataset.finished === "true" || !window.EventSource) {
    return;
  }
  var live = document.getElementById("live-status");
  var status = document.getElementById("job-status");
  var play = "", task = "";
  var totals = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  var source = new EventSource(output.dataset.stream + "?after=" + encodeURIComponent(output.dataset.after || "0"));

  function atBottom() {
    return output.scrollHeight - output.scrollTop - output.clientHeight < 40;
  }

  function show() {
    var parts = [];
    if (play) { parts.push("Play: " + play); }
    if (task) { parts.push("Task: " + task); }
    parts.push("ok " + totals.ok + ", changed " + totals.changed + ", failed " + totals.failed +
               (totals.unreachable ? ", unreachable " + totals.unreachable : ""));
    live.textContent = parts.join(" · ");
  }

  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    var data = event.event_data || {};
    if (status.textContent === "queued") {
      status.textContent = "running";
      status.className = "status status-running";
    }
    if (event.event === "playbook_on_play_start") { play = data.play || data.name || ""; task = ""; }
    else if (event.event === "playbook_on_task_start") { task = data.task || data.name || ""; }
    else if (event.event === "runner_on_ok") {
      totals.ok += 1;
      if (data.res && data.res.changed) { totals.changed += 1; }
    }
    else if (event.event === "runner_on_failed" && !data.ignore_errors) { totals.failed += 1; }
    else if (event.event === "runner_on_unreachable") { totals.unreachable += 1; }
    if (event.stdout) {
      var follow = atBottom();
      output.appendChild(document.createTextNode(event.stdout + "\n"));
      if (follow) { output.scrollTop = output.scrollHeight; }
    }
    show();
  };

  source.addEventListener("end", function (message) {
    source.close();
    var ended = JSON.parse(message.data).status;
    status.textContent = ended;
    status.className = "status status-" + ended;
    live.textContent = "The job ended: " + ended + ". Loading its recap…";
    window.setTimeout(function () { window.location.reload(); }, 800);
  });

  source.onerror = function () {
    if (source.readyState === EventSource.CLOSED) {
      // Refused (for example every stream slot taken): load the page again in a while instead.
      live.textContent = "The live output is not available; this page reloads every 5 seconds.";
      window.setTimeout(function () { window.location.reload(); }, 5000);
    }
  };
}());
