// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Suggestions as the shopper types, from the suggest API, into the search box's list.
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (input && list && window.fetch) {
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 120);
    });
    function suggest() {
      var q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (!q) { list.replaceChildren(); return; }
      fetch("/api/v1/search/suggest?limit=8&q=" + encodeURIComponent(q), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : { data: [] }; })
        .then(function (body) {
          if (q !== asked) return;
          list.replaceChildren.apply(list, body.data.map(function (s) {
            var option = document.createElement("option");
            option.value = s.text;
            return option;
          }));
        })
        .catch(function () {});
    }
  }

  // My car: the model list shows only the chosen make's models.
  var make = document.getElementById("car-make");
  var model = document.getElementById("car-model");
  if (make && model) {
    var narrow = function () {
      var groups = model.querySelectorAll("optgroup");
      for (var i = 0; i < groups.length; i++) {
        var shown = !make.value || groups[i].dataset.make === make.value;
        groups[i].hidden = !shown;
        groups[i].disabled = !shown;
      }
      var chosen = model.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) model.value = "";
    };
    make.addEventListener("change", narrow);
    narrow();
  }

  // A picture that does not load (a seller's link gone dead) gives way to the
  // "no photo" placeholder instead of a broken image.
  var missing = document.body.getAttribute("data-nophoto");
  document.addEventListener("error", function (event) {
    var img = event.target;
    if (!img || img.tagName !== "IMG" || !img.parentNode) return;
    var placeholder = document.createElement("div");
    placeholder.className = "nophoto";
    placeholder.textContent = missing;
    img.parentNode.replaceChild(placeholder, img);
  }, true);

  // Filters apply as soon as one is ticked or chosen.
  var forms = document.querySelectorAll("form[data-autosubmit]");
  for (var f = 0; f < forms.length; f++) {
    forms[f].addEventListener("change", function (event) {
      var target = event.target;
      if (target.type === "checkbox" || target.tagName === "SELECT") {
        target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
      }
    });
  }
})();
