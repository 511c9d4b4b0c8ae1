/*
 * Live Smart Brevity guidance on the brief form.
 *
 * Mirrors articles/brevity.py exactly: the same text extraction, the same
 * word count, the same rules and the same messages, so the panel shows while
 * typing what the warnings say on save. Change one, change the other (the
 * browser test compares them).
 */
(function () {
  "use strict";

  var WHY_IT_MATTERS = "why it matters";

  function toText(html) {
    // newsroom.richtext.to_text: breaks become spaces, tags go, entities decode.
    if (!html) return "";
    var spaced = String(html).replace(/<br\s*\/?>|<\/p>|<\/li>/gi, " ");
    var doc = new DOMParser().parseFromString(spaced, "text/html");
    return (doc.body.textContent || "").split(/\s+/).filter(Boolean).join(" ");
  }

  function countWords(text) {
    return text.split(/\s+/).filter(function (token) {
      return /[\p{L}\p{N}]/u.test(token);
    }).length;
  }

  // articles/labels.py: labels are stored without the colon or dash typed
  // after them, and shown as "Why it matters:".
  function cleanLabel(text) {
    var label = String(text || "").split(/\s+/).filter(Boolean).join(" ");
    while (label && ":\uff1a-\u2013\u2014".indexOf(label.slice(-1)) !== -1) {
      label = label.slice(0, -1).trim();
    }
    return label;
  }

  function shownLabel(text) {
    var label = cleanLabel(text);
    if (!label || "?!\u2026".indexOf(label.slice(-1)) !== -1) return label;
    return label + ":";
  }

  function labelKey(label) {
    return cleanLabel(label.replace(/\u2019/g, "'").toLowerCase());
  }

  function readingMinutes(words, wpm) {
    if (words <= 0) return 0;
    return Math.max(1, Math.ceil(words / Math.max(wpm, 1)));
  }

  function analyse(structure, limit) {
    var headlineWords = countWords(toText(structure.headline));
    var total =
      headlineWords +
      countWords(toText(structure.dek)) +
      countWords(toText(structure.intro));
    var warnings = [];
    if (headlineWords > limit.HEADLINE_MAX_WORDS) {
      warnings.push(
        "The headline has " + headlineWords + " words; aim for " +
          limit.HEADLINE_MAX_WORDS + " or fewer."
      );
    }
    var sections = [];
    var hasWhy = false;
    structure.sections.forEach(function (section, index) {
      var label = cleanLabel(toText(section.label)) || "Section " + (index + 1);
      var shown = shownLabel(label);
      hasWhy = hasWhy || labelKey(label) === WHY_IT_MATTERS;
      var textWords =
        countWords(toText(section.heading)) + countWords(toText(section.text));
      var bulletWords = section.bullets.map(function (bullet) {
        return countWords(toText(bullet));
      });
      var words = bulletWords.reduce(function (a, b) { return a + b; }, textWords);
      total += countWords(label) + words;
      sections.push({ label: label, words: words, bullets: bulletWords.length });

      bulletWords.forEach(function (n, i) {
        if (n > limit.BULLET_MAX_WORDS) {
          warnings.push(
            label + ", bullet " + (i + 1) + ": " + n + " words; aim for " +
              limit.BULLET_MAX_WORDS + " or fewer."
          );
        }
      });
      if (words > limit.SECTION_MAX_WORDS) {
        warnings.push(
          shown + " " + words + " words; aim for " + limit.SECTION_MAX_WORDS +
            " or fewer."
        );
      }
      if (bulletWords.length > limit.SECTION_MAX_BULLETS) {
        warnings.push(
          shown + " " + bulletWords.length + " bullets; aim for " +
            limit.SECTION_MAX_BULLETS + " or fewer."
        );
      }
      var hasBulletText = section.bullets.some(function (b) { return toText(b); });
      if (!toText(section.text) && !hasBulletText) {
        warnings.push(shown + " has neither text nor bullets.");
      }
    });
    if (!hasWhy) {
      warnings.push(
        "No \u201cWhy it matters\u201d section: tell readers why this brief matters."
      );
    }
    var minutes = readingMinutes(total, limit.WORDS_PER_MINUTE);
    if (total > limit.TOTAL_MAX_WORDS) {
      warnings.push(
        "The brief has " + total + " words (about " + minutes +
          " min to read); aim for " + limit.TOTAL_MAX_WORDS + " or fewer."
      );
    }
    return {
      words: total,
      minutes: minutes,
      headline_words: headlineWords,
      sections: sections,
      warnings: warnings,
    };
  }

  // Reading the admin form --------------------------------------------------

  function value(form, name) {
    var field = form.querySelector('[name="' + name + '"]');
    return field ? field.value : "";
  }

  function isDeleted(form, element) {
    if (element.classList.contains("grp-predelete")) return true;
    var box = form.querySelector('[name="' + element.id + '-DELETE"]');
    return Boolean(box && box.checked);
  }

  function formsOf(form, prefix) {
    // Inline forms of one formset, in page (drag) order, minus the template
    // and anything marked for deletion.
    var pattern = new RegExp("^" + prefix.replace(/[-]/g, "\\-") + "-\\d+$");
    return Array.prototype.filter.call(
      form.querySelectorAll(".djn-inline-form"),
      function (element) {
        return pattern.test(element.id) && !isDeleted(form, element);
      }
    );
  }

  function readForm(form) {
    return {
      headline: value(form, "headline"),
      dek: value(form, "dek"),
      intro: value(form, "intro"),
      sections: formsOf(form, "sections").map(function (element) {
        var p = element.id;
        var custom = value(form, p + "-custom_label").trim();
        var select = form.querySelector('[name="' + p + '-label"]');
        var standard =
          select && select.value ? select.options[select.selectedIndex].text : "";
        return {
          label: custom || standard,
          heading: value(form, p + "-heading"),
          text: value(form, p + "-text"),
          bullets: formsOf(form, p + "-bullets").map(function (bullet) {
            return value(form, bullet.id + "-text");
          }),
        };
      }),
    };
  }

  // Showing it ----------------------------------------------------------------

  function fillList(list, items, emptyText, emptyClass) {
    list.replaceChildren();
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
    if (!items.length && emptyText) {
      var li = document.createElement("li");
      li.textContent = emptyText;
      li.className = emptyClass;
      list.appendChild(li);
    }
  }

  function show(panel, report) {
    ["words", "minutes", "headline_words"].forEach(function (key) {
      var dd = panel.querySelector('[data-brevity="' + key + '"]');
      if (dd) dd.textContent = String(report[key]);
    });
    fillList(
      panel.querySelector('[data-brevity="sections"]'),
      report.sections.map(function (s) {
        return shownLabel(s.label) + " " + s.words + " words, " + s.bullets + " bullets";
      })
    );
    fillList(
      panel.querySelector('[data-brevity="warnings"]'),
      report.warnings,
      "Nothing to tighten.",
      "brevity-ok"
    );
    panel.dataset.updated = String(Date.now());
  }

  function start() {
    var panel = document.getElementById("brevity-panel");
    var form = document.getElementById("article_form");
    if (!panel || !form) return;
    var limit = JSON.parse(panel.dataset.limits || "{}");
    var timer = null;

    function refresh() {
      timer = null;
      show(panel, analyse(readForm(form), limit));
    }
    function soon() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }

    // The rich-text editors write their HTML into their textarea and fire
    // "input" on every change; adding, deleting and dragging inlines change
    // the DOM, which the observer sees.
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    var groups = document.getElementById("sections-group");
    if (groups && window.MutationObserver) {
      new MutationObserver(soon).observe(groups, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ["class"],
      });
    }
    refresh();
  }

  window.NewsroomBrevity = {
    analyse: analyse,
    countWords: countWords,
    toText: toText,
    readForm: readForm,
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
