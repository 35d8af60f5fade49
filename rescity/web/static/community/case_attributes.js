// The report form shows (and sends) only the questions of the chosen case type.
(function () {
  "use strict";
  var select = document.getElementById("service_code");
  if (!select) { return; }
  function show() {
    document.querySelectorAll("fieldset.case-attributes").forEach(function (fs) {
      var on = fs.getAttribute("data-for-type") === select.value;
      fs.hidden = !on;
      fs.disabled = !on;
    });
  }
  select.addEventListener("change", show);
  show();
})();
