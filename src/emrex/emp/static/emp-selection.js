// The selection page's running total: "Chosen: N results, C credits (ECTS)" follows the ticks as the
// server would count them (each checkbox says what it adds; data-covered-by names chosen results above
// it whose own credits already include it). Without JavaScript the "Update the total" button asks the
// server instead; with it that button is not needed and is hidden.
(function () {
  "use strict";
  var form = document.getElementById("selection");
  var total = form && form.querySelector(".selection-total[data-template]");
  if (!total) {
    return;
  }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=item]"));

  function format(value) {
    // Credits as the server writes them: no trailing zeros, a point before decimals.
    return String(Math.round(value * 1000) / 1000);
  }

  function update() {
    var chosen = {};
    boxes.forEach(function (box) {
      if (box.checked) {
        chosen[box.value] = true;
      }
    });
    var count = 0;
    var credits = 0;
    boxes.forEach(function (box) {
      if (!box.checked) {
        return;
      }
      count += Number(box.getAttribute("data-count")) || 0;
      var covering = JSON.parse(box.getAttribute("data-covered-by") || "[]");
      var covered = covering.some(function (key) { return chosen[key]; });
      if (!covered) {
        credits += Number(box.getAttribute("data-credits")) || 0;
      }
    });
    total.textContent = total.getAttribute("data-template")
      .replace("{count}", String(count))
      .replace("{credits}", format(credits));
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", update);
  });
  Array.prototype.forEach.call(form.querySelectorAll("[data-without-script]"), function (element) {
    element.hidden = true;
    element.style.display = "none"; // a stylesheet's display for buttons would override "hidden"
  });
  update();
})();
