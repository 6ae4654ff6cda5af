// hotich pages: what every page needs beside htmx. Plain JS.
(function () {
  "use strict";
  // A blank optional field of an htmx form is left out of the request (a blank rescan_reason
  // would otherwise ask the upload to replace pages).
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    ["rescan_reason", "pages"].forEach(function (name) {
      var value = params.get ? params.get(name) : params[name];
      if (value !== undefined && value !== null && String(value).trim() === "") {
        if (params.delete) params.delete(name); else delete params[name];
      }
    });
  });
})();
