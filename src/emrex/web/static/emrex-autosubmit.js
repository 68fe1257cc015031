// Submits the EMREX redirect form (marked data-emrex-autosubmit) once the page has loaded.
// Without JavaScript the visible Continue button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-emrex-autosubmit]");
  if (form && !form.hasAttribute("data-submitted")) {
    form.setAttribute("data-submitted", "");
    form.submit();
  }
})();
