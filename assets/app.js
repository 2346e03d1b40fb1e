// Salesflow's own small script: CSRF header for htmx, sidebar drawer,
// confirmations, busy buttons, dismissible flash. No inline scripts (CSP).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) e.detail.headers["X-CSRF-Token"] = csrf.content;
  });

  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-toggle-sidebar]");
    if (t) {
      document.body.classList.toggle("sidebar-open");
      t.setAttribute("aria-expanded", document.body.classList.contains("sidebar-open"));
      return;
    }
    if (e.target.closest("[data-close-sidebar]")) {
      document.body.classList.remove("sidebar-open");
      return;
    }
    var d = e.target.closest("[data-dismiss]");
    if (d) {
      var box = d.closest("[data-flash]");
      if (box) box.remove();
      return;
    }
    var c = e.target.closest("[data-confirm]");
    if (c && !window.confirm(c.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
    if (e.target.closest("[data-print]")) window.print();
  });

  // A slow submit shows a spinner on the button that started it.
  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;
    var b = e.submitter || e.target.querySelector("[data-busy]");
    if (b && b.hasAttribute("data-busy")) {
      setTimeout(function () { b.classList.add("busy"); b.setAttribute("aria-busy", "true"); }, 150);
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      document.body.classList.remove("sidebar-open");
      document.querySelectorAll("details.user-menu[open]").forEach(function (m) { m.removeAttribute("open"); });
    }
  });

  // Bulk actions: the bar shows once a row is selected; "select all" ticks
  // every loaded row.
  function updateBulk() {
    var bar = document.querySelector("[data-bulk]");
    if (!bar) return;
    var n = document.querySelectorAll("[data-row-select]:checked").length;
    bar.classList.toggle("active", n > 0);
    var count = bar.querySelector("[data-bulk-count]");
    if (count) count.setAttribute("data-count", n);
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-select-all]")) {
      document.querySelectorAll("[data-row-select]").forEach(function (b) { b.checked = e.target.checked; });
    }
    if (e.target.matches("[data-select-all], [data-row-select]")) updateBulk();
  });
  document.addEventListener("htmx:afterSwap", updateBulk);
  // A select marked data-autosubmit submits its form when changed.
  document.addEventListener("change", function (e) {
    var s = e.target.closest && e.target.closest("select[data-autosubmit]");
    if (s && s.form) s.form.requestSubmit();
  });

  // The top bar's search: "/" focuses it (unless typing elsewhere), the
  // arrow keys walk its results, Escape closes them.
  var hits = function () { return Array.prototype.slice.call(document.querySelectorAll("#global-results .search-hit")); };
  document.addEventListener("keydown", function (e) {
    var box = document.getElementById("global-q");
    if (!box) return;
    var typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      box.focus();
      box.select();
      return;
    }
    var inSearch = e.target === box || (e.target.closest && e.target.closest("#global-results"));
    if (!inSearch) return;
    var list = hits();
    var at = list.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && list.length) {
      e.preventDefault();
      list[Math.min(at + 1, list.length - 1)].focus();
    } else if (e.key === "ArrowUp" && list.length) {
      e.preventDefault();
      if (at <= 0) box.focus(); else list[at - 1].focus();
    } else if (e.key === "Escape") {
      document.getElementById("global-results").innerHTML = "";
      box.focus();
    } else if (e.key === "Enter" && e.target === box && list.length) {
      // Enter in the box opens the first result (the page lists them all otherwise).
      e.preventDefault();
      window.location.href = list[0].getAttribute("href");
    }
  });

  // A frame around something wider than the page (the board): shadows on
  // the sides where there is more to scroll to, and the hint shown only
  // while there is.
  function markScroll(frame) {
    var inner = frame.firstElementChild;
    if (!inner) return;
    var more = inner.scrollWidth - inner.clientWidth > 2;
    frame.classList.toggle("more-left", more && inner.scrollLeft > 2);
    frame.classList.toggle("more-right", more && inner.scrollLeft + inner.clientWidth < inner.scrollWidth - 2);
    var hint = document.querySelector("[data-scroll-hint]");
    if (hint) hint.hidden = !more;
  }
  function markAll() {
    document.querySelectorAll("[data-scroll-frame]").forEach(markScroll);
  }
  document.addEventListener("scroll", function (e) {
    var frame = e.target.parentElement;
    if (frame && frame.hasAttribute && frame.hasAttribute("data-scroll-frame")) markScroll(frame);
  }, true);
  window.addEventListener("resize", markAll);
  document.addEventListener("DOMContentLoaded", markAll);
  document.addEventListener("htmx:afterSettle", markAll);
  // Swiping the board marks the chip of the stage in view (phones show one column at a time).
  document.addEventListener("scroll", function (e) {
    var board = e.target;
    if (!board || board.id !== "board") return;
    var cols = board.querySelectorAll(".kcol");
    var best = null, dist = Infinity;
    cols.forEach(function (c) {
      var d = Math.abs(c.offsetLeft - board.offsetLeft - board.scrollLeft);
      if (d < dist) { dist = d; best = c; }
    });
    if (!best) return;
    document.querySelectorAll(".stage-chip[data-jump]").forEach(function (chip) {
      var on = chip.getAttribute("data-jump") === best.getAttribute("data-stage");
      chip.classList.toggle("on", on);
      if (on) chip.setAttribute("aria-current", "true"); else chip.removeAttribute("aria-current");
    });
  }, true);
  // A stage chip scrolls its column into view (smoothly, without a jump of the page).
  document.addEventListener("click", function (e) {
    var chip = e.target.closest && e.target.closest("[data-jump]");
    if (!chip) return;
    var col = document.getElementById("col-" + chip.getAttribute("data-jump"));
    if (!col) return;
    e.preventDefault();
    col.scrollIntoView({ behavior: "smooth", block: "nearest", inline: "start" });
    col.classList.add("flash-target");
    setTimeout(function () { col.classList.remove("flash-target"); }, 1200);
  });

  // Help: on a phone the contents start folded and fold again once a
  // section is chosen.
  var phone = window.matchMedia("(max-width: 768px)");
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("details[data-help-toc]").forEach(function (d) { if (phone.matches) d.open = false; });
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("details[data-help-toc] a");
    if (link && phone.matches) link.closest("details").open = false;
  });
  // On a phone, filter panels and long forms fold behind a button.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-fold-toggle]");
    if (!b) return;
    var box = b.closest(".foldable, .fold-sm");
    if (!box) return;
    e.preventDefault();
    var open = box.classList.toggle("open");
    b.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = box.querySelector(".fold-body input:not([type=hidden]), .fold-body select, .fold-body textarea");
      if (first && box.classList.contains("fold-sm")) first.focus({ preventScroll: true });
    }
  });
  // A link to a folded form (#log-activity) opens it.
  function openHashed() {
    var id = window.location.hash.slice(1);
    var box = id && document.getElementById(id);
    if (box && box.classList.contains("fold-sm")) {
      box.classList.add("open");
      var b = box.querySelector("[data-fold-toggle]");
      if (b) b.setAttribute("aria-expanded", "true");
    }
  }
  document.addEventListener("DOMContentLoaded", openHashed);
  window.addEventListener("hashchange", openHashed);
  // The filter button counts the filters in use (the search box aside).
  function countFilters() {
    document.querySelectorAll(".filter-bar.foldable").forEach(function (form) {
      var n = 0;
      form.querySelectorAll("select, input").forEach(function (f) {
        if (f.type === "hidden" || f.classList.contains("search") || f.closest(".filter-toggle")) return;
        // A choice counts when it differs from "all" (a list without an
        // "all" entry, like the board's pipeline, is not a filter).
        if (f.tagName === "SELECT" && !(f.options.length && f.options[0].value === "")) return;
        if (f.type === "checkbox" ? f.checked : f.value) n++;
      });
      var out = form.querySelector(".filter-count");
      if (out) out.textContent = n ? String(n) : "";
    });
  }
  document.addEventListener("DOMContentLoaded", countFilters);
  document.addEventListener("change", countFilters);
  // The person picker: every select marked data-person-picker with three
  // people or more gets a search box; what is typed (characters, pinyin
  // or pinyin initials: "zw" finds 张伟) asks the server which people of
  // the caller's scope match, and the select keeps only those, choosing
  // the first. The server keeps the order (by pinyin).
  function enhancePicker(sel) {
    var count = Array.prototype.filter.call(sel.options, function (o) { return /^[0-9]+$/.test(o.value); }).length;
    // One or two people need no search.
    if (sel.hasAttribute("data-picker-ready") || count < 3) return;
    sel.setAttribute("data-picker-ready", "");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.autocomplete = "off";
    var hint = document.body.getAttribute("data-picker-hint") || "";
    box.placeholder = hint;
    box.setAttribute("aria-label", hint);
    if (sel.id) { box.id = sel.id + "-search"; box.setAttribute("aria-controls", sel.id); }
    box.setAttribute("data-picker-for", sel.id || "");
    sel.parentNode.insertBefore(box, sel);
    var timer = null;
    var people = function () {
      return Array.prototype.filter.call(sel.options, function (o) { return /^[0-9]+$/.test(o.value); });
    };
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter") e.preventDefault();
      e.stopPropagation();
    });
    box.addEventListener("input", function (e) {
      e.stopPropagation();
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = box.value.trim();
        if (!q) {
          people().forEach(function (o) { o.hidden = false; o.disabled = false; });
          return;
        }
        fetch("/people/options?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (ids) {
            if (!ids) return;
            var keep = {};
            ids.forEach(function (id) { keep[String(id)] = true; });
            var first = null;
            people().forEach(function (o) {
              var on = !!keep[o.value];
              o.hidden = !on;
              o.disabled = !on;
              if (on && !first) first = o;
            });
            if (first && sel.value !== first.value) {
              sel.value = first.value;
              sel.dispatchEvent(new Event("change", { bubbles: true }));
            }
          });
      }, 200);
    });
  }
  function enhancePickers(root) {
    (root || document).querySelectorAll("select[data-person-picker]").forEach(enhancePicker);
  }
  document.addEventListener("DOMContentLoaded", function () { enhancePickers(document); });
  document.addEventListener("htmx:afterSettle", function (e) { enhancePickers(e.target); });
  // The region picker: the city list shows the chosen province's cities
  // (the server checks the pair again).
  function regionCities(province) {
    var form = province.form;
    var city = form && form.querySelector("select[data-region-city]");
    if (!city) return;
    city.querySelectorAll("optgroup").forEach(function (g) {
      var mine = (g.getAttribute("data-province") || g.label) === province.value;
      g.hidden = !mine;
      g.disabled = !mine;
    });
    var chosen = city.selectedOptions[0];
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) city.value = "";
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-region-province]")) regionCities(e.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-region-province]").forEach(regionCities);
  });

  // The @ picker of a comment box: typing "@" and the start of a name lists
  // the people who may be mentioned; a click, Enter or Tab puts "@name " in.
  function mentionQuery(box) {
    var before = box.value.slice(0, box.selectionStart);
    var at = before.lastIndexOf("@");
    if (at < 0) return null;
    var typed = before.slice(at + 1);
    if (typed.length > 20 || /[\n@]/.test(typed)) return null;
    return { at: at, typed: typed.toLowerCase() };
  }
  function mentionList(box) {
    return document.getElementById(box.getAttribute("data-mentions"));
  }
  function mentionShow(box) {
    var list = mentionList(box);
    if (!list) return;
    var q = mentionQuery(box);
    // The list belongs to the box being typed in.
    if (list.parentElement !== box.parentElement) box.parentElement.appendChild(list);
    var shown = 0;
    list.querySelectorAll("li").forEach(function (li) {
      var hit = q !== null && li.getAttribute("data-name").toLowerCase().indexOf(q.typed) === 0 && shown < 8;
      li.hidden = !hit;
      li.setAttribute("aria-selected", "false");
      if (hit) shown++;
    });
    list.hidden = shown === 0;
    var first = list.querySelector("li:not([hidden])");
    if (first) first.setAttribute("aria-selected", "true");
  }
  function mentionPick(box, li) {
    var q = mentionQuery(box);
    var list = mentionList(box);
    if (!q || !li) return;
    var name = "@" + li.getAttribute("data-name") + " ";
    var caret = box.selectionStart;
    box.value = box.value.slice(0, q.at) + name + box.value.slice(caret);
    var end = q.at + name.length;
    box.setSelectionRange(end, end);
    list.hidden = true;
    box.focus();
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("textarea[data-mentions]")) mentionShow(e.target);
  });
  document.addEventListener("keydown", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) return;
    var list = mentionList(box);
    if (!list || list.hidden) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("li:not([hidden])"));
    var index = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (index >= 0) items[index].setAttribute("aria-selected", "false");
      index = (index + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[index].setAttribute("aria-selected", "true");
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      mentionPick(box, items[Math.max(index, 0)]);
    } else if (e.key === "Escape") {
      list.hidden = true;
    }
  });
  document.addEventListener("mousedown", function (e) {
    var li = e.target.closest && e.target.closest(".mention-list li");
    if (!li) return;
    e.preventDefault();
    var box = li.closest(".mention-field").querySelector("textarea[data-mentions]");
    mentionPick(box, li);
  });

  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", function (e) {
    var results = document.getElementById("global-results");
    if (results && !e.target.closest("[data-global-search]")) results.innerHTML = "";
    document.querySelectorAll("details.user-menu[open], details.quick-create[open]").forEach(function (m) {
      if (!m.contains(e.target)) m.removeAttribute("open");
    });
  });
})();

// A "print" button (the printable quote).
document.addEventListener("click", function (e) {
  if (e.target.closest && e.target.closest("[data-print]")) window.print();
});
