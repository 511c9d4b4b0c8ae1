// Live progress for edition sends and subscriber imports: polls the JSON
// endpoint named in data-progress-url and fills in [data-field] elements and
// the <progress data-bar>. When the job finishes (or a send pauses or
// resumes) the page reloads once to show what the server renders for it.
(function () {
  "use strict";

  function update(panel, data) {
    panel.querySelectorAll("[data-field]").forEach(function (el) {
      var key = el.getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(data, key)) {
        el.textContent = data[key];
      }
    });
    var bar = panel.querySelector("progress[data-bar]");
    if (bar) {
      var total = data.total || 0;
      bar.max = total || 1;
      bar.value = "sent" in data ? data.sent : data.processed || 0;
    }
  }

  function finished(data, panel) {
    // Done, or an edition's send paused or resumed: the server renders that.
    var blocked = panel.getAttribute("data-blocked");
    var changed = blocked !== null && blocked !== (data.blocked ? "1" : "0");
    return data.finished === true || data.status === "sent" || changed;
  }

  function poll(panel) {
    var url = panel.getAttribute("data-progress-url");
    var delay = 1500;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (data) {
          update(panel, data);
          if (finished(data, panel)) {
            window.location.reload();
          } else {
            window.setTimeout(tick, delay);
          }
        })
        .catch(function () {
          delay = Math.min(delay * 2, 30000); // back off while the server is unhappy
          window.setTimeout(tick, delay);
        });
    }
    window.setTimeout(tick, delay);
  }

  document.querySelectorAll("[data-progress-url]").forEach(function (panel) {
    if (panel.getAttribute("data-done") !== "1") {
      poll(panel);
    }
  });
})();
