/*
 * The brief form's keyboard editing and collapsible sections.
 *
 * Progressive: without this file every box, the "Add a bullet" and remove
 * links and the delete boxes still work. With it, in a bullet:
 *   Enter                 adds the next bullet after this one and goes there
 *   Shift+Enter           a line break inside the bullet (the editor's own)
 *   Backspace (if empty)  removes the bullet and goes back to the previous one
 * and in a section's lead text, Enter goes to its first bullet (adding one
 * if there is none); in the headline (a box that wraps), Enter goes to the
 * dek. Sections collapse to their label and first words; which
 * ones are collapsed is remembered for the page in sessionStorage.
 *
 * Bullets are added and removed through nested-admin's own formset object
 * (django.jQuery(group).djangoFormset()), so the management form counts, the
 * form prefixes and the positions stay what a drag or a click would make.
 */
(function () {
  "use strict";

  var $;
  var STORE = "brief-editor:collapsed:" + window.location.pathname;

  // Bullets ------------------------------------------------------------------

  function rowsOf(list) {
    // Bullet rows of one section in page order, minus the template and
    // anything marked for deletion.
    return Array.prototype.filter.call(
      list.querySelectorAll(":scope > .djn-fieldset > .djn-items > .bullet-row"),
      function (row) {
        return !/-empty$/.test(row.id) && !row.classList.contains("grp-predelete");
      }
    );
  }

  function editorOf(element) {
    return element ? element.querySelector(".ProseMirror") : null;
  }

  function isEmpty(editor) {
    return editor.textContent.trim() === "" && !editor.querySelector("img");
  }

  function focusEnd(editor) {
    if (!editor) return;
    editor.focus();
    var range = document.createRange();
    range.selectNodeContents(editor);
    range.collapse(false);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function whenEditorReady(element, callback) {
    // The rich-text editor of a form added just now is built a moment later.
    var editor = editorOf(element);
    if (editor) return callback(editor);
    var observer = new MutationObserver(function () {
      var found = editorOf(element);
      if (found) {
        observer.disconnect();
        callback(found);
      }
    });
    observer.observe(element, { childList: true, subtree: true });
  }

  function addBullet(list, after) {
    var formset = $(list).djangoFormset();
    if (formset.mgmtVal("TOTAL_FORMS") >= formset.mgmtVal("MAX_NUM_FORMS")) return;
    var form = formset.add()[0];
    if (after) {
      after.after(form);
      updatePositions(formset.prefix);
    }
    whenEditorReady(form, function (editor) {
      editor.focus();
    });
  }

  function updatePositions(prefix) {
    // nested-admin numbers the position fields in page order (it does so
    // again on submit); its bundle exports the helper under "default".
    var api = window.DJNesting || {};
    var update = api.updatePositions || (api.default && api.default.updatePositions);
    if (update) update(prefix);
  }

  function removeBullet(row) {
    var list = row.closest(".bullet-list");
    var rows = rowsOf(list);
    var index = rows.indexOf(row);
    var next = rows[index - 1] || rows[index + 1];
    var formset = $(list).djangoFormset();
    if (row.getAttribute("data-is-initial") === "true") {
      // A stored bullet is deleted on save; an empty one has nothing worth
      // showing struck through, so it goes from sight now.
      formset.delete(row);
      row.classList.add("bullet-row--dropped");
    } else {
      formset.remove(row);
    }
    var section = list.closest(".section-block");
    focusEnd(editorOf(next) || editorOf(section.querySelector(".compact-field--text")));
  }

  function plainKey(event) {
    return !(event.shiftKey || event.ctrlKey || event.metaKey || event.altKey || event.isComposing);
  }

  function onKeydown(event) {
    var target = event.target;
    if (!(target instanceof Element) || !plainKey(event)) return;
    if (event.key === "Enter" && target.id === "id_headline") {
      // The headline box wraps, but a headline is one line: on to the dek.
      event.preventDefault();
      var dek = document.getElementById("id_dek");
      if (dek) dek.focus();
      return;
    }
    var editor = target.closest(".ProseMirror");
    var row = editor && editor.closest(".bullet-row");
    var section = target.closest(".section-block");
    if (!section || /-empty$/.test(section.id)) return;

    if (row && event.key === "Enter") {
      stop(event);
      addBullet(row.closest(".bullet-list"), row);
    } else if (row && event.key === "Backspace" && isEmpty(editor)) {
      stop(event);
      removeBullet(row);
    } else if (editor && !row && event.key === "Enter") {
      // The lead is one paragraph: Enter moves on to the bullets.
      stop(event);
      var list = section.querySelector(".bullet-list");
      var first = rowsOf(list)[0];
      if (first) focusEnd(editorOf(first));
      else addBullet(list, null);
    } else if (event.key === "Enter" && target.matches("input[type=text]")) {
      // Enter in a section's label or heading would save the whole form.
      stop(event);
      var next = target.closest(".compact-field--custom_label")
        ? section.querySelector(".compact-field--heading input")
        : editorOf(section.querySelector(".compact-field--text"));
      if (next && next.matches("input")) next.focus();
      else focusEnd(next);
    }
  }

  function stop(event) {
    // Runs in the capture phase on the document, before the rich-text
    // editor's own handler on its element would add a paragraph.
    event.preventDefault();
    event.stopPropagation();
  }

  // Sections -----------------------------------------------------------------

  function sectionKey(section) {
    var pk = section.querySelector(':scope > input[name$="-id"]');
    return pk && pk.value ? "pk" + pk.value : section.id;
  }

  function stored() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE) || "[]");
    } catch (error) {
      return [];
    }
  }

  function remember() {
    var keys = Array.prototype.map.call(
      document.querySelectorAll(".section-block.is-collapsed"),
      sectionKey
    );
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify(keys));
    } catch (error) {
      // Private windows may refuse storage; collapsing still works.
    }
  }

  function labelOf(section) {
    var custom = section.querySelector(".compact-field--custom_label input");
    var select = section.querySelector(".compact-field--label select");
    if (custom && custom.value.trim()) return custom.value.trim();
    if (select && select.value) return select.options[select.selectedIndex].text;
    var readonly = section.querySelector(".section-block__line--label .readonly");
    return readonly ? readonly.textContent.trim() : "Section";
  }

  function firstWords(section) {
    var heading = section.querySelector(".compact-field--heading input");
    var texts = [heading ? heading.value : ""];
    section.querySelectorAll(".ProseMirror").forEach(function (editor) {
      texts.push(editor.textContent);
    });
    var text = texts.join(" ").replace(/\s+/g, " ").trim();
    return text.length > 140 ? text.slice(0, 140) + "…" : text;
  }

  function setCollapsed(section, collapsed) {
    var summary = section.querySelector(":scope > .section-block__summary");
    var toggle = section.querySelector(".section-block__toggle");
    if (collapsed) {
      summary.replaceChildren();
      var strong = document.createElement("strong");
      strong.textContent = labelOf(section);
      var words = document.createElement("span");
      words.textContent = firstWords(section);
      summary.append(strong, " ", words);
    }
    section.classList.toggle("is-collapsed", collapsed);
    toggle.setAttribute("aria-expanded", String(!collapsed));
    toggle.setAttribute("aria-label", (collapsed ? "Expand " : "Collapse ") + labelOf(section));
    toggle.title = collapsed ? "Show the whole section" : "Fold to its label and first words";
  }

  function syncLabel(section) {
    var select = section.querySelector(".compact-field--label select");
    var custom = section.querySelector(".compact-field--custom_label input");
    if (!select || !custom) return;
    section.classList.toggle("has-standard-label", Boolean(select.value) && !custom.value);
  }

  function initSection(section, collapsedKeys) {
    if (section.querySelector(".section-block__toggle")) return;
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "section-block__toggle";
    toggle.addEventListener("click", function () {
      setCollapsed(section, !section.classList.contains("is-collapsed"));
      remember();
    });
    section.querySelector(".section-block__tools").prepend(toggle);
    var summary = document.createElement("div");
    summary.className = "section-block__summary";
    section.querySelector(".section-block__grip").after(summary);

    var select = section.querySelector(".compact-field--label select");
    if (select) {
      select.addEventListener("change", function () {
        syncLabel(section);
        var custom = section.querySelector(".compact-field--custom_label input");
        if (!select.value && custom) custom.focus();
      });
    }
    syncLabel(section);
    // A section with an error is never folded away.
    var hasError = section.querySelector(".errorlist, .errors");
    setCollapsed(section, !hasError && collapsedKeys.indexOf(sectionKey(section)) !== -1);
  }

  function sections() {
    return Array.prototype.filter.call(
      document.querySelectorAll("#sections-group .section-block"),
      function (section) {
        return !/-empty$/.test(section.id);
      }
    );
  }

  function addListTools() {
    var title = document.querySelector("#sections-group .section-list__title");
    if (!title) return;
    var tools = document.createElement("span");
    tools.className = "section-list__tools";
    [
      ["Collapse all", true],
      ["Expand all", false],
    ].forEach(function (item) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = item[0];
      button.addEventListener("click", function () {
        sections().forEach(function (section) {
          setCollapsed(section, item[1]);
        });
        remember();
      });
      tools.append(button);
    });
    title.append(tools);
  }

  function start() {
    $ = window.django && window.django.jQuery;
    var form = document.getElementById("article_form");
    if (!$ || !form || !document.getElementById("sections-group")) return;
    var collapsedKeys = stored();
    sections().forEach(function (section) {
      initSection(section, collapsedKeys);
    });
    addListTools();
    $(document).on("djnesting:added", function (event, $inline, $form) {
      var added = $form[0];
      if (added.classList.contains("section-block")) initSection(added, []);
    });
    document.addEventListener("keydown", onKeydown, true);
    document.addEventListener("mousedown", endEditingOnDrag, true);
  }

  function endEditingOnDrag(event) {
    // Taking hold of a drag grip ends typing: a rich-text box left focused
    // keeps its toolbar open, and the sortable then drops nothing.
    var active = document.activeElement;
    if (
      event.target instanceof Element &&
      event.target.closest(".djn-drag-handler") &&
      active &&
      active.closest(".prose-editor")
    ) {
      active.blur();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
