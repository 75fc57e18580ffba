// oncely console: live updates. The server sends an SSE `change` event when
// the store changed; the page then fetches its own URL again and swaps its
// <main id="live"> for the fresh one. Without this script every page is
// complete as served (links and forms work alone).
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var busy = false;
  var again = false;

  function show(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser()
          .parseFromString(html, "text/html")
          .getElementById("live");
        var current = document.getElementById("live");
        if (fresh && current) {
          current.replaceWith(document.adoptNode(fresh));
        }
        show("live");
      })
      .catch(function () {
        show("refresh failed");
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var source = new EventSource("/events");
  source.addEventListener("change", refresh);
  source.onopen = function () {
    show("live");
  };
  source.onerror = function () {
    show("reconnecting…");
  };
})();
