/* Clientela's own behaviour. Everything works without it; it only adds comfort. */
(function () {
  "use strict";

  // Forms with data-confirm ask before they are sent (deleting a contact, merging...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Filter forms leave their empty fields out of the address (?q=pan, not ?q=pan&tag=&city=).
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    var data = event.detail.formData;
    if (!form || !form.hasAttribute("data-drop-empty") || !data) {
      return;
    }
    Array.from(data.keys()).forEach(function (key) {
      if (data.getAll(key).every(function (value) { return value === ""; })) {
        data.delete(key);
      }
    });
  });

  // After htmx replaces the results, tell screen readers how many there are now.
  document.addEventListener("htmx:afterSwap", function (event) {
    var status = document.getElementById("results-status");
    if (status && event.detail.target && event.detail.target.classList.contains("results-region")) {
      var summary = event.detail.target.querySelector("[data-summary]");
      status.textContent = summary ? summary.getAttribute("data-summary") : "";
    }
  });

  // Forms that return the user to this page (the language menu) go back to the address as
  // it is now, with the search htmx pushed into it since the page was drawn.
  document.addEventListener("submit", function (event) {
    var next = event.target.querySelector("input[name=next][data-current-address]");
    if (next) {
      next.value = window.location.pathname + window.location.search;
    }
  });

  // A long multiple choice (products) gets a search box above it that hides the options
  // not matching what is typed (accents and case aside); chosen ones always stay in view.
  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.addEventListener("htmx:load", function (event) {
    event.detail.elt.querySelectorAll("select[multiple][data-filter]").forEach(function (select) {
      if (select.previousElementSibling && select.previousElementSibling.hasAttribute("data-filters")) {
        return;
      }
      var box = document.createElement("input");
      box.type = "search";
      box.className = "form-control form-control-sm mb-1";
      box.placeholder = select.getAttribute("data-filter");
      box.setAttribute("aria-label", select.getAttribute("data-filter"));
      box.setAttribute("aria-controls", select.id);
      box.setAttribute("data-filters", "");
      box.addEventListener("input", function () {
        var term = folded(box.value.trim());
        Array.from(select.options).forEach(function (option) {
          option.hidden = !option.selected && term !== "" && folded(option.text).indexOf(term) === -1;
        });
      });
      select.parentNode.insertBefore(box, select);
    });
  });

  // A failed htmx request says so instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var messages = document.getElementById("messages");
    var text = document.body.getAttribute("data-request-failed");
    if (messages && text) {
      var alert = document.createElement("div");
      alert.className = "alert alert-danger";
      alert.setAttribute("role", "alert");
      alert.textContent = text + " (" + event.detail.xhr.status + ")";
      messages.appendChild(alert);
    }
  });
})();
