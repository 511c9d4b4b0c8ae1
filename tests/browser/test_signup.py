"""The newsletter signup in a real browser, with and without JavaScript."""

import re

import pytest
from django.core import mail

from newsletter.models import Subscriber, Subscription
from tests.factories import make_brief
from tests.helpers import IMMEDIATE_TASKS
from tests.newsletter.factories import default_newsletter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inline_tasks(settings):
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def brief():
    default_newsletter()
    return make_brief(headline="Harbour cranes return", slug="cranes")


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def subscribe_in_footer(page, email: str):
    """On the brief's page, type `email` into the footer's signup form and
    press Subscribe; the form."""
    page.goto("/briefs/cranes/")
    form = page.locator("section.signup form")
    form.get_by_label("Email address").fill(email)
    form.get_by_role("button", name="Subscribe").click()
    return form


def test_with_javascript_the_answer_appears_in_place(page, brief):
    form = subscribe_in_footer(page, "Ada@Example.com")
    status = form.locator("[data-signup-status]")
    status.filter(has_text="Almost done").wait_for()
    assert page.url.endswith("/briefs/cranes/")  # no reload, no navigation
    assert not form.get_by_label("Email address").is_visible()
    subscription = Subscription.objects.get()
    assert subscription.subscriber.email == "ada@example.com"
    assert subscription.status == Subscription.Status.PENDING
    assert subscription.source_url == "/briefs/cranes/"
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert page.js_errors == []


def test_with_javascript_an_error_keeps_what_was_typed(page, brief):
    # The browser accepts the address; the server does not.
    form = subscribe_in_footer(page, "ada@example")
    field = form.get_by_label("Email address")
    form.locator(".signup-form__status--error").wait_for()
    assert "valid email address" in form.locator("[data-signup-status]").inner_text()
    assert field.input_value() == "ada@example"
    assert field.get_attribute("aria-invalid") == "true"
    assert Subscriber.objects.count() == 0
    assert page.js_errors == []


def test_without_javascript_post_redirect_get(no_js_page, brief):
    page = no_js_page
    subscribe_in_footer(page, "ada@example.com")
    page.wait_for_url(re.compile(r"/newsletter/check-your-inbox/"))
    assert page.locator("h1").inner_text() == "Check your inbox"
    page.get_by_role("link", name="Back to where you were").click()
    page.wait_for_url("**/briefs/cranes/")
    assert Subscription.objects.get().status == Subscription.Status.PENDING
    assert len(mail.outbox) == 1


def test_without_javascript_an_error_page_keeps_what_was_typed(no_js_page, brief):
    page = no_js_page
    subscribe_in_footer(page, "ada@example")
    page.wait_for_url("**/newsletter/")
    assert "valid email address" in page.locator(".nl-error").inner_text()
    field = page.locator("form.signup-form--page").get_by_label("Email address")
    assert field.input_value() == "ada@example"
    field.fill("ada@example.com")
    page.locator("form.signup-form--page").get_by_role(
        "button", name="Subscribe"
    ).click()
    page.wait_for_url(re.compile(r"/newsletter/check-your-inbox/"))
    assert Subscriber.objects.get().email == "ada@example.com"


def test_the_confirmation_link_confirms_only_when_the_button_is_pressed(page, brief):
    page.goto("/newsletter/")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_role("button", name="Subscribe").click()
    page.locator("[data-signup-status]").filter(has_text="Almost done").wait_for()
    link = re.search(
        r"https?://\S+/newsletter/confirm/\S+/", mail.outbox[0].body
    ).group(0)
    path = link.split("/newsletter/", 1)[1]
    page.goto(f"/newsletter/{path}")
    assert Subscription.objects.get().status == Subscription.Status.PENDING
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.get_by_role("heading", name="You're subscribed").wait_for()
    assert Subscription.objects.get().status == Subscription.Status.CONFIRMED
    assert [m.subject for m in mail.outbox][1] == "Welcome to The Daily Brief"
    assert page.js_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_subscriber_pages_have_no_accessibility_violations(
    browser, live_server, scheme
):
    import json

    from newsletter import starting, tokens
    from newsletter.models import Edition
    from tests.newsletter.factories import make_edition, make_subscriber
    from tests.reader_pages import require_axe

    axe_path = require_axe()
    daily = default_newsletter()
    pending = make_subscriber("new@example.com", newsletters=[daily], status="pending")
    reader = make_subscriber("ada@example.com", newsletters=[daily])
    edition = make_edition(daily, [make_brief(sections=3, bullets=2)])
    starting.freeze(edition)
    edition.status = Edition.Status.SENT
    edition.save()
    urls = [
        "/newsletter/check-your-inbox/?next=/",
        f"/newsletter/confirm/{tokens.confirmation_token(pending.pk)}/",
        f"/newsletter/confirm/{tokens.confirmation_token(reader.pk)}/",
        f"/newsletter/preferences/{tokens.preferences_token(reader.pk)}/?saved=1",
        f"/u/{tokens.unsubscribe_token(reader.pk, daily.pk)}/",
        "/newsletter/archive/",
        edition.get_absolute_url(),
    ]
    context = browser.new_context(
        base_url=live_server.url, bypass_csp=True, color_scheme=scheme
    )
    try:
        page = context.new_page()
        problems = {}
        for url in urls:
            page.goto(url)
            page.add_script_tag(path=str(axe_path))
            violations = page.evaluate(
                """async () => (await axe.run(document, {resultTypes: ["violations"]}))
                    .violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))"""
            )
            if violations:
                problems[url] = violations
        # The signup page with an error, after a real form post.
        page.goto("/newsletter/")
        page.get_by_label("Email address").fill("x@y")
        with page.expect_navigation():
            page.evaluate("document.querySelector('form.signup-form--page').submit()")
        page.add_script_tag(path=str(axe_path))
        violations = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]}))
                .violations.map(v => v.id)"""
        )
        if violations:
            problems["signup with an error"] = violations
    finally:
        context.close()
    assert problems == {}, json.dumps(problems, indent=1)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_newsletter_page_shows_a_one_line_email_box_and_its_button(page, width):
    default_newsletter()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/newsletter/")
    box = page.locator("main .signup-form__input").bounding_box()
    font = page.locator("main .signup-form__input").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert box["height"] < 3 * font, (box["height"], font)
    button = page.get_by_role("button", name="Subscribe").bounding_box()
    # Phone or desktop, the button is on the first screen under the box.
    assert box["y"] + box["height"] <= button["y"] < 800
