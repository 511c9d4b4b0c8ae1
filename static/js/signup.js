// Newsletter signup without a page reload. The form works without this file
// (POST, redirect, GET); with it, the answer appears in place and what the
// reader typed stays in the field when something is wrong.
(function () {
  "use strict";

  function show(form, message, isError) {
    var status = form.querySelector("[data-signup-status]");
    if (!status) {
      return;
    }
    status.textContent = message;
    status.classList.toggle("signup-form__status--error", Boolean(isError));
  }

  function firstError(data) {
    if (data.message) {
      return data.message;
    }
    var errors = data.errors || {};
    for (var name in errors) {
      if (Object.prototype.hasOwnProperty.call(errors, name) && errors[name].length) {
        return errors[name][0];
      }
    }
    return "Something went wrong. Please try again.";
  }

  function enhance(form) {
    var email = form.querySelector("input[name=email]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) {
        return; // old browser: the ordinary form post still works
      }
      event.preventDefault();
      if (button) {
        button.disabled = true;
      }
      show(form, "Sending…", false);
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok && data.ok, data: data };
          });
        })
        .then(function (result) {
          if (result.ok) {
            form.classList.add("signup-form--done");
            show(form, result.data.message, false);
          } else {
            show(form, firstError(result.data), true);
            if (email) {
              email.setAttribute("aria-invalid", "true");
              email.focus();
            }
          }
        })
        .catch(function () {
          // Network trouble or an unexpected answer: fall back to a normal
          // post, which shows a full page either way.
          form.submit();
        })
        .finally(function () {
          if (button) {
            button.disabled = false;
          }
        });
    });
    if (email) {
      email.addEventListener("input", function () {
        email.removeAttribute("aria-invalid");
      });
    }
  }

  document.querySelectorAll("form[data-signup]").forEach(enhance);
})();
