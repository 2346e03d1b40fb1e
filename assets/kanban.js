// The kanban board: drag a card onto another stage to move the deal.
// The server applies the stage gate; a refusal puts the card back and
// lists what is missing (approvers may pass with a written reason).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || typeof Sortable === "undefined") return;
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var box = document.getElementById("board-msg");
  var pending = null; // the refused move an approver may override

  function show(text, items, canOverride) {
    box.querySelector("[data-msg-text]").textContent = text;
    var list = box.querySelector("[data-msg-items]");
    list.textContent = "";
    (items || []).forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t;
      list.appendChild(li);
    });
    var form = box.querySelector("[data-override]");
    if (form) {
      form.hidden = !canOverride;
      form.querySelector("[data-override-error]").hidden = true;
    }
    box.hidden = false;
  }
  function hide() {
    box.hidden = true;
    pending = null;
  }

  function putBack(move) {
    var from = move.from;
    var ref = from.children[move.oldIndex] || null;
    if (ref === move.card) return;
    from.insertBefore(move.card, ref);
  }

  function setHeads(heads) {
    heads.forEach(function (h) {
      var old = document.getElementById("head-" + h.stage_id);
      if (!old) return;
      var tpl = document.createElement("template");
      tpl.innerHTML = h.html.trim();
      var head = tpl.content.firstElementChild;
      if (!head) return;
      old.replaceWith(head);
      var chip = document.querySelector('[data-chip-count="' + h.stage_id + '"]');
      if (chip) chip.textContent = head.getAttribute("data-count");
    });
  }

  function reloadColumn(stage) {
    var cards = document.getElementById("cards-" + stage);
    if (!cards || !window.htmx) return;
    var url = "/board/cards?" + board.dataset.moveQuery + "&stage_id=" + stage;
    window.htmx.ajax("GET", url, { target: cards, swap: "innerHTML" });
  }

  function send(move, reason) {
    var body = new URLSearchParams();
    body.set("stage_id", move.to.dataset.stage);
    body.set("version", move.card.dataset.version);
    if (reason !== null) body.set("override_reason", reason);
    move.card.classList.add("busy");
    return fetch("/board/move/" + move.card.dataset.id + "?" + board.dataset.moveQuery, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "X-CSRF-Token": csrf ? csrf.content : "",
      },
      body: body.toString(),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      move.card.classList.remove("busy");
      var d = res.data || {};
      if (res.status === 200 && d.card) {
        var tpl = document.createElement("template");
        tpl.innerHTML = d.card.trim();
        var fresh = tpl.content.firstElementChild;
        if (move.card.parentNode !== move.to) move.to.insertBefore(move.card, move.to.firstChild);
        if (fresh) {
          move.card.replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
        }
        setHeads(d.heads || []);
        hide();
        return;
      }
      if (res.status === 422 && d.gate) {
        putBack(move);
        if (reason !== null && d.reason_error) {
          var err = box.querySelector("[data-override-error]");
          err.textContent = d.reason_error;
          err.hidden = false;
          box.hidden = false;
          pending = move;
          return;
        }
        show(d.message + " " + move.card.dataset.name, d.missing, d.can_override);
        pending = d.can_override ? move : null;
        if (d.can_override) {
          var reasonBox = box.querySelector("textarea");
          if (reasonBox) { reasonBox.value = ""; reasonBox.focus(); }
        }
        return;
      }
      putBack(move);
      show(d.message || res.status, null, false);
      if (res.status === 409) {
        reloadColumn(move.from.dataset.stage);
        reloadColumn(move.to.dataset.stage);
      }
    }).catch(function () {
      move.card.classList.remove("busy");
      putBack(move);
      show(board.dataset.networkError || "Network error", null, false);
    });
  }

  document.querySelectorAll("#board .kcards").forEach(function (col) {
    Sortable.create(col, {
      group: "board",
      sort: false,
      animation: 150,
      forceFallback: true,
      draggable: ".kcard",
      filter: "button, summary, select, input, textarea, .kmove-form",
      preventOnFilter: false,
      onEnd: function (evt) {
        if (evt.from === evt.to) return;
        send({ card: evt.item, from: evt.from, to: evt.to, oldIndex: evt.oldIndex }, null);
      },
    });
  });

  box.addEventListener("click", function (e) {
    if (e.target.closest("[data-msg-close]")) hide();
  });
  var form = box.querySelector("[data-override]");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!pending) return;
      var move = pending;
      var reason = form.querySelector("textarea").value;
      // Drag the card over again on the server's side: from where it is back to the target.
      move.from.removeChild(move.card);
      move.to.insertBefore(move.card, move.to.firstChild);
      send(move, reason);
    });
  }
})();
