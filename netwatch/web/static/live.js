// The Now page follows the daemon: /events/now sends the page's live part whenever it changes (about every second
// while the daemon runs). Without JavaScript the page reloads itself every 5 s instead (a <noscript> refresh).
"use strict";
(function () {
  const box = document.getElementById("live");
  const offline = document.getElementById("offline");
  if (!box || !window.EventSource) return;
  const stream = new EventSource(box.dataset.stream);
  let lost = null;
  stream.addEventListener("now", function (event) {
    const data = JSON.parse(event.data);
    if (data.error) {
      offline.textContent = data.error;
      offline.hidden = false;
      return;
    }
    box.innerHTML = data.html;
    document.title = data.title;
    document.body.dataset.state = data.state;
    offline.hidden = true;
    clearTimeout(lost);
  });
  stream.addEventListener("error", function () {
    // EventSource reconnects by itself; say so only when it takes longer than a blink.
    clearTimeout(lost);
    lost = setTimeout(function () { offline.hidden = false; }, 3000);
  });
})();
