/* The order form's comfort: the customer picked by name from suggestions with the
   keyboard or the mouse (an ARIA combobox), lines added and removed without reloading
   the page, the price of each product shown as it is picked. The running total asks the
   server itself (htmx, #lines-total in orders/form.html); this only says when lines come and go.
   Without JavaScript the form works as before: a typed name is looked up on saving. */
(function () {
  "use strict";

  function customerCombobox(box) {
    var input = box.querySelector("[role=combobox]");
    var list = box.querySelector("[role=listbox]");
    var active = -1;

    function options() {
      return Array.from(list.querySelectorAll("[role=option]"));
    }

    function setActive(index) {
      options().forEach(function (option, position) {
        option.setAttribute("aria-selected", position === index ? "true" : "false");
        option.classList.toggle("active", position === index);
      });
      active = index;
      var chosen = options()[index];
      if (chosen) {
        input.setAttribute("aria-activedescendant", chosen.id);
        chosen.scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(open) {
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) {
        setActive(-1);
      }
    }

    function pickField() {
      var field = box.querySelector("input[type=hidden][name=" + input.name + "_pick]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = input.name + "_pick";
        box.appendChild(field);
      }
      return field;
    }

    function choose(option) {
      input.value = option.getAttribute("data-name");
      pickField().value = option.getAttribute("data-value");
      show(false);
      ["customer-matches", "customer-name", input.id + "_error"].forEach(function (id) {
        var stale = document.getElementById(id);
        if (stale) {
          stale.remove();
        }
      });
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      var address = box.getAttribute("data-addresses") + "?customer=" +
        encodeURIComponent(option.getAttribute("data-value"));
      window.htmx.ajax("GET", address, {target: "#id_delivery_address", swap: "innerHTML"});
    }

    input.addEventListener("input", function () {
      var field = box.querySelector("input[type=hidden][name=" + input.name + "_pick]");
      if (field) {
        field.value = "";  // typing again undoes the pick
      }
    });
    list.addEventListener("htmx:afterSwap", function () {
      show(options().length > 0 && input.value.trim() !== "");
    });
    input.addEventListener("keydown", function (event) {
      var count = options().length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        show(true);
        setActive(Math.min(active + 1, count - 1));
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        show(true);
        setActive(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && !list.hidden && count) {
        var option = options()[active] || (count === 1 ? options()[0] : null);
        if (option) {
          event.preventDefault();  // pick, do not save yet
          choose(option);
        }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        show(false);
      }
    });
    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        event.preventDefault();
        choose(option);
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(function () { show(false); }, 150);
    });
  }

  function orderLines(form) {
    var body = form.querySelector(".order-lines tbody");
    var template = document.getElementById("line-template");
    var add = document.getElementById("add-line");
    var status = document.getElementById("lines-status");
    var totalForms = form.querySelector("input[name$=-TOTAL_FORMS]");
    if (!body || !template || !add || !totalForms) {
      return;
    }

    function say(message, number) {
      status.textContent = message.replace("%(number)s", number);
    }

    function linesChanged() {
      window.htmx.trigger(document.body, "lines-changed");
    }

    function wire(row) {
      var select = row.querySelector("select");
      var price = row.querySelector(".line-price");
      if (select && price) {
        select.addEventListener("change", function () {
          var option = select.options[select.selectedIndex];
          price.textContent = (option && option.getAttribute("data-price")) || "";
        });
      }
      var remove = row.querySelector(".line-remove");
      var box = row.querySelector(".line-delete");
      var checkbox = box && box.querySelector("input[type=checkbox]");
      if (!remove || !checkbox) {
        return;
      }
      remove.hidden = false;
      box.hidden = true;
      row.hidden = checkbox.checked;
      remove.addEventListener("click", function () {
        checkbox.checked = true;
        row.hidden = true;
        say(add.getAttribute("data-removed"), Number(row.getAttribute("data-line")) + 1);
        linesChanged();
        var next = Array.from(body.querySelectorAll("tr.order-line")).find(function (other) {
          return !other.hidden;
        });
        (next ? next.querySelector("select") : add).focus();
      });
    }

    Array.from(body.querySelectorAll("tr.order-line")).forEach(wire);
    add.addEventListener("click", function (event) {
      event.preventDefault();  // without JavaScript the button posts the form for a new line
      var index = Number(totalForms.value);
      body.insertAdjacentHTML(
        "beforeend",
        template.innerHTML.replace(/__prefix__/g, index).replace(/__number__/g, index + 1)
      );
      totalForms.value = index + 1;
      var row = body.lastElementChild;
      wire(row);
      say(add.getAttribute("data-added"), index + 1);
      row.querySelector("select").focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-customer-combobox]");
    if (box) {
      customerCombobox(box);
    }
    var form = document.getElementById("order-form");
    if (form) {
      orderLines(form);
    }
  });
})();
