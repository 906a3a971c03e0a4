// The speed test on the Act page: the button starts it without leaving the page, and /events/speedtest shows its
// progress until it ends. Without JavaScript the form posts and the page shows where the test stands.
"use strict";
(function () {
  const form = document.getElementById("speed-form");
  const box = document.getElementById("speed-live");
  const button = document.getElementById("run-speedtest");
  if (!form || !box || !window.EventSource || !window.fetch) return;

  function follow() {
    const stream = new EventSource(box.dataset.stream);
    stream.addEventListener("speed", function (event) {
      const data = JSON.parse(event.data);
      if (data.html) box.innerHTML = data.html;
      button.disabled = !data.done;
      if (data.done) stream.close();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (response.status === 202 || response.status === 409) {
        follow();
      } else if (response.redirected) {
        window.location.assign(response.url);
      } else {
        button.disabled = false;
        box.textContent = "The speed test could not be started (" + response.status + "): reload the page and try again.";
      }
    }).catch(function () {
      button.disabled = false;
      box.textContent = "The dashboard cannot be reached: try again.";
    });
  });

  if (box.querySelector("[data-speed='running']")) follow();
})();
