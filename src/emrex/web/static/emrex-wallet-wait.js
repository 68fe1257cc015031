// Waits for a wallet's answer on the page marked data-emrex-wallet-status: asks that address every few
// seconds and reloads the page once, when it says the answer is there. The page does not refresh by
// itself in between (a timed refresh disturbs screen readers); without JavaScript, "Check now" does it.
(function () {
  "use strict";
  var marker = document.querySelector("[data-emrex-wallet-status]");
  if (!marker || !window.fetch) {
    return;
  }
  var url = marker.getAttribute("data-emrex-wallet-status");
  var interval = parseInt(marker.getAttribute("data-emrex-interval"), 10) || 4000;
  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer && answer.pending === false) {
          window.location.reload();
        } else {
          window.setTimeout(check, interval);
        }
      })
      .catch(function () { window.setTimeout(check, interval); });
  }
  window.setTimeout(check, interval);
})();
