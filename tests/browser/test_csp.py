"""The enforced Content-Security-Policy breaks nothing, in a real browser.

Every page is watched two ways: Chromium's console messages about the
Content Security Policy, and `securitypolicyviolation` events reported from
the page to the test. A control test injects an inline style to prove the
watch sees violations at all.
"""

import pytest

from articles.models import Article
from tests.factories import (
    make_article,
    make_filed_brief,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-csp-tests-1"

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(
    `${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber} ${e.sample || ""}`
  );
}, true);
"""


@pytest.fixture
def watched(page):
    """The page, with `page.csp_violations` collecting every CSP report."""
    violations = []
    page.expose_function("__cspViolation", lambda text: violations.append(text))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            violations.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.csp_violations = violations
    return page


def log_in(page, django_user_model):
    django_user_model.objects.create_superuser("chief", "chief@example.com", PASSWORD)
    page.goto("/admin/login/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def visit(page, url):
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_load_state("networkidle")
    assert "content-security-policy" in response.headers
    assert "unsafe-inline" not in response.headers["content-security-policy"]


def test_the_watch_sees_a_violation_when_there_is_one(watched):
    make_article(slug="control")
    visit(watched, "/briefs/control/")
    watched.evaluate("document.body.setAttribute('style', 'color: red')")
    watched.wait_for_timeout(200)
    assert any("style-src" in v for v in watched.csp_violations), watched.csp_violations


def test_reader_pages_run_under_the_policy_without_violations(watched):
    make_filed_brief(
        slug="ports",
        lead="<p>Lead.</p>",
        bullet="<p>A <strong>bold</strong> bullet.</p>",
    )
    for url in [
        "/",
        "/briefs/ports/",
        "/category/world/",
        "/topic/trade/",
        "/author/ana/",
    ]:
        visit(watched, url)
    assert watched.csp_violations == []
    assert watched.js_errors == []


def test_an_editor_writes_a_brief_with_the_rich_text_editor_without_violations(
    watched, django_user_model
):
    log_in(watched, django_user_model)
    visit(watched, "/admin/")
    visit(watched, "/admin/articles/article/")
    visit(watched, "/admin/articles/article/add/")

    # The slug is filled from the headline by the admin's own script.
    watched.fill("#id_headline", "Harbour cranes return")
    intro = watched.locator(".field-intro .ProseMirror")
    intro.click()
    watched.keyboard.type("Dockers voted to go back.")
    watched.keyboard.press("Control+b")
    watched.keyboard.type(" Bold too.")

    watched.get_by_text("Add a section").click()
    section = watched.locator(".djn-dynamic-form-articles-section").first
    section.locator(".field-custom_label input").fill("What happened")
    section.locator(".field-text .ProseMirror").click()
    watched.keyboard.type("Ten cranes restarted.")
    section.get_by_text("Add a bullet").click()
    section.locator(".field-text .ProseMirror").last.click()
    watched.keyboard.type("Two remain idle.")

    watched.locator("input[name=_continue]").first.click()
    watched.wait_for_url("**/change/**")
    watched.wait_for_load_state("networkidle")

    assert watched.input_value("#id_slug") == "harbour-cranes-return"
    article = Article.objects.get(headline="Harbour cranes return")
    assert "Dockers voted to go back." in article.intro
    assert "<strong>" in article.intro
    stored = article.sections.get()
    assert stored.display_label == "What happened"
    assert "Ten cranes restarted." in stored.text
    assert [b.text for b in stored.bullets.all()] == ["Two remain idle."]

    assert watched.csp_violations == []
    assert watched.js_errors == []
