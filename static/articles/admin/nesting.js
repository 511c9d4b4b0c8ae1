/*
 * Drag-to-reorder for bullets in a section added in the same unsaved form.
 *
 * django-nested-admin 4.1.6 builds the nested sortable of the hidden empty
 * section template at page load, then adds a section by cloning that
 * template with jQuery's clone(true), which copies the template's data and
 * event handlers. The new section's bullet list therefore carries the
 * template's sortable instance (bound to the hidden template, not to the new
 * list), nested-admin sees "already initialised" and skips it, and a mouse
 * down on a bullet's drag handle starts a text selection instead of a drag.
 *
 * After each addition we drop that borrowed state from the new lists and
 * fire nested-admin's own "djnesting:init", which builds a real sortable
 * connected to its siblings.
 */
(function () {
  "use strict";

  var WIDGET = "nestedSortable";
  var DATA_KEYS = [
    WIDGET,
    "djnsortable",
    "uiNestedSortable",
    "ui-nestedSortable",
    "uiSortable",
  ];

  var $;

  function borrowed(list) {
    var instance = $(list).data(WIDGET);
    return Boolean(instance && instance.element && instance.element[0] !== list);
  }

  function rebuild(list) {
    var $list = $(list);
    var instance = $list.data(WIDGET);
    $list.off("." + WIDGET);
    if (instance && instance.eventNamespace) $list.off(instance.eventNamespace);
    DATA_KEYS.forEach(function (key) {
      $list.removeData(key);
    });
    $list.trigger("djnesting:init");
  }

  function start() {
    // django.jQuery is defined by admin/js/jquery.init.js, which the admin
    // may load after this file.
    $ = window.django && window.django.jQuery;
    if (!$) return;
    $(document).on("djnesting:added", function (event, $inline, $form) {
      $form.find(".djn-items").each(function () {
        if (borrowed(this)) rebuild(this);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
