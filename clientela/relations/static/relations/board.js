/* The board's drag and drop (SortableJS): a card dropped on another column is saved
   through htmx with the version it was drawn with, and the server draws the columns
   again (a refused move puts the card back, with the reason). Dropping on a won or
   lost column first asks what the server needs: a draft order or not, why it was lost.
   Without JavaScript each card's stage menu does the same. */
(function () {
  "use strict";

  var pending = null;  // the drop waiting for a dialog's answer

  function putBack(drop) {
    var before = drop.from.children[drop.oldIndex] || null;
    drop.from.insertBefore(drop.item, before);
  }

  function save(card, values) {
    values.version = card.getAttribute("data-version");
    window.htmx.ajax("POST", card.getAttribute("data-move") + window.location.search, {
      source: card,
      target: "#board",
      swap: "outerHTML",
      values: values
    });
  }

  function ask(drop, column) {
    var dialog = document.getElementById(column.getAttribute("data-closed") + "-dialog");
    if (!dialog) {
      putBack(drop);
      return;
    }
    pending = drop;
    var form = dialog.querySelector("form");
    form.reset();
    form.querySelector("[name=stage]").value = column.getAttribute("data-stage");
    var title = drop.item.querySelector(".board-card-title");
    dialog.querySelector("[data-dialog-deal]").textContent = title ? title.textContent.trim() : "";
    var competitor = dialog.querySelector("[data-competitor]");
    if (competitor) {
      competitor.hidden = true;
    }
    dialog.showModal();
  }

  function dropped(event) {
    if (event.from === event.to) {
      return;  // the order inside a column is by expected close: nothing to save
    }
    var column = event.to.closest("[data-stage]");
    if (column.getAttribute("data-closed")) {
      ask(event, column);
      return;
    }
    save(event.item, {stage: column.getAttribute("data-stage")});
  }

  function setUp(root) {
    root.querySelectorAll("[data-board-cards]").forEach(function (list) {
      if (list.sortable) {
        return;
      }
      list.sortable = window.Sortable.create(list, {
        group: "board",
        draggable: "[data-card]",
        // A won or lost card is reopened from its page; menus and links stay clickable.
        filter: "[data-card]:not([data-movable]), select, button, input, label, a",
        preventOnFilter: false,
        animation: 150,
        forceFallback: true,  // pointer events: one behaviour for mouse, touch and pen
        fallbackOnBody: true,
        delayOnTouchOnly: true,
        delay: 150,
        onEnd: dropped
      });
    });
  }

  function dialogs() {
    document.querySelectorAll("dialog.board-dialog").forEach(function (dialog) {
      var form = dialog.querySelector("form");
      var reason = form.querySelector("[name=lost_reason]");
      var competitor = form.querySelector("[data-competitor]");
      if (reason && competitor) {
        reason.addEventListener("change", function () {
          var option = reason.options[reason.selectedIndex];
          var asks = option && option.hasAttribute("data-asks-competitor");
          competitor.hidden = !asks;
          competitor.querySelector("input").required = asks;
        });
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!pending || !form.reportValidity()) {
          return;
        }
        var values = {};
        new FormData(form).forEach(function (value, key) { values[key] = value; });
        var drop = pending;
        pending = null;
        dialog.close();
        save(drop.item, values);
      });
      dialog.addEventListener("close", function () {
        if (pending) {  // cancelled: the card goes back where it was
          putBack(pending);
          pending = null;
        }
      });
      dialog.querySelector("[data-dialog-cancel]").addEventListener("click", function () {
        dialog.close();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUp(document);
    dialogs();
  });
  document.addEventListener("htmx:afterSwap", function () {
    setUp(document);
  });
})();
