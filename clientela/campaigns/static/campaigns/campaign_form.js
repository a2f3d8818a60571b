/* The campaign form's comfort: the conversion products or amount shown only for the rule
   that uses them, the sending rate only for e-mail. Without JavaScript every field shows. */
(function () {
  "use strict";

  function toggle(form) {
    var rule = form.querySelector("[data-conversion-rule]");
    var channel = form.querySelector("[data-channel]");
    form.querySelectorAll("[data-rule-only]").forEach(function (part) {
      part.hidden = !rule || part.getAttribute("data-rule-only") !== rule.value;
    });
    form.querySelectorAll("[data-channel-only]").forEach(function (part) {
      part.hidden = !channel || part.getAttribute("data-channel-only") !== channel.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("campaign-form");
    if (!form) {
      return;
    }
    toggle(form);
    form.addEventListener("change", function () { toggle(form); });
  });
})();
