// The reception queue updates itself: it asks the console's JSON for the day's check-ins every poll interval,
// sending the version it shows, and redraws the rows only when the queue changed. It stops asking once nobody has
// touched the page for the session's idle time, so a shared reception PC still signs itself out.
(function () {
  "use strict";
  var table = document.getElementById("queue");
  if (!table || table.dataset.live !== "true") {
    return;
  }

  var body = table.tBodies[0];
  var status = document.getElementById("queue-status");
  var version = table.dataset.version;
  var pollMs = parseInt(table.dataset.pollMs, 10);
  var idleMs = parseInt(table.dataset.idleMs, 10);
  var lastInput = Date.now();
  var timer = null;

  ["keydown", "pointerdown", "wheel", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () {
      lastInput = Date.now();
      if (timer === null) {
        schedule();
      }
    }, { passive: true });
  });

  function cell(tag, text) {
    var c = document.createElement(tag);
    c.textContent = text;
    if (tag === "th") {
      c.scope = "row";
    }
    return c;
  }

  function draw(data) {
    var rows = document.createDocumentFragment();
    data.checkins.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.dataset.queue = String(r.queue);
      tr.appendChild(cell("th", String(r.queue)));
      tr.appendChild(cell("td", r.patientNo));
      tr.appendChild(cell("td", r.subsidy));
      tr.appendChild(cell("td", r.time));
      var identity = cell("td", r.identity);
      identity.dataset.myNumber = r.myNumber ? "verified" : "none";
      tr.appendChild(identity);
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    status.textContent = data.date + ": " + data.checkins.length + "件 / " + data.checkins.length + " check-ins（自動更新 / live）";
  }

  function schedule() {
    if (Date.now() - lastInput >= idleMs) {
      timer = null;
      status.textContent = status.textContent.replace("（自動更新 / live）", "（自動更新を停止 / paused: touch the page to resume）");
      return;
    }
    timer = setTimeout(poll, pollMs);
  }

  function poll() {
    var url = table.dataset.pollUrl + "&v=" + encodeURIComponent(version);
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") !== 0) {
          // The session ended: the page itself goes to sign-in.
          window.location.reload();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.changed) {
          version = data.version;
          draw(data);
        }
      })
      .catch(function () { /* a network hiccup: the next poll tries again */ })
      .then(schedule);
  }

  schedule();
})();
