// hotich data entry: the scan viewer (previous/next page, zoom, rotate) and keyboard shortcuts.
// Plain JS, no dependency; the pages work without it (forms post as usual).
(function () {
  "use strict";
  var viewer = document.getElementById("scan-viewer");
  if (!viewer) return;
  var pages = JSON.parse(document.getElementById("scan-pages").textContent || "[]");
  var image = document.getElementById("scan-image");
  var none = document.getElementById("scan-none");
  var other = document.getElementById("scan-other");
  var link = document.getElementById("scan-link");
  var label = document.getElementById("scan-page-label");
  var pagesInput = document.getElementById("field-pages");
  var lang = document.body.getAttribute("data-lang") || "vi";
  var zoom = 1, turn = 0, index = 0, shownPage = null;

  function indexOf(page) {
    for (var i = 0; i < pages.length; i++) if (pages[i].page === page) return i;
    for (var j = 0; j < pages.length; j++) if (pages[j].page > page) return j;
    return Math.max(pages.length - 1, 0);
  }

  function draw() {
    // zoom by width, so the frame scrolls over the enlarged page; rotate by transform
    image.style.width = zoom === 1 ? "" : Math.round(zoom * 100) + "%";
    image.style.maxWidth = zoom === 1 ? "" : "none";
    image.style.transform = turn ? "rotate(" + turn + "deg)" : "";
    viewer.setAttribute("data-zoom", String(zoom));
    viewer.setAttribute("data-rotation", String(turn));
  }

  function show(i) {
    if (!pages.length) {
      label.textContent = "";
      return;
    }
    index = Math.min(Math.max(i, 0), pages.length - 1);
    var p = pages[index];
    label.textContent = (lang === "vi" ? "Trang " : "Page ") + p.page + " (" + (index + 1) + "/" + pages.length + ")";
    viewer.setAttribute("data-page", p.page);
    none.hidden = true;
    if (p.shown && p.url) {
      image.src = p.url;
      image.hidden = false;
      other.hidden = true;
    } else {
      image.hidden = true;
      other.hidden = false;
      link.href = p.url || "#";
    }
    // the entry's pages follow the page shown, unless the clerk typed something else
    if (pagesInput && (pagesInput.value.trim() === "" || pagesInput.value.trim() === String(shownPage))) {
      pagesInput.value = String(p.page);
    }
    shownPage = p.page;
    document.getElementById("scan-prev").disabled = index === 0;
    document.getElementById("scan-next").disabled = index === pages.length - 1;
  }

  var actions = {
    prev: function () { show(index - 1); },
    next: function () { show(index + 1); },
    zoomIn: function () { zoom = Math.min(zoom * 1.25, 8); draw(); },
    zoomOut: function () { zoom = Math.max(zoom / 1.25, 0.25); draw(); },
    rotate: function () { turn = (turn + 90) % 360; draw(); },
    reset: function () { zoom = 1; turn = 0; draw(); }
  };
  var buttons = {
    "scan-prev": "prev", "scan-next": "next", "scan-zoom-in": "zoomIn",
    "scan-zoom-out": "zoomOut", "scan-rotate": "rotate", "scan-reset": "reset"
  };
  Object.keys(buttons).forEach(function (id) {
    document.getElementById(id).addEventListener("click", actions[buttons[id]]);
  });
  var keys = { n: "next", p: "prev", r: "rotate", "=": "zoomIn", "+": "zoomIn", "-": "zoomOut", "0": "reset" };
  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var action = keys[event.key.toLowerCase()] || keys[event.code === "KeyN" ? "n" : event.code === "KeyP" ? "p" : event.code === "KeyR" ? "r" : ""];
      if (action) {
        event.preventDefault();
        actions[action]();
      }
      return;
    }
    // Ctrl+Enter saves from a textarea (Enter alone saves from any other input)
    if (event.key === "Enter" && event.ctrlKey && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  var start = parseInt(viewer.getAttribute("data-start-page") || "1", 10);
  shownPage = pagesInput ? pagesInput.value.trim() : null;
  show(indexOf(start));
  // put the cursor in the first field that the server marked invalid
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
})();
