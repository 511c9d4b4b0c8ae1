"""What every message is made of: the HTML head, buttons, preheader, text."""

import re

from django.test import TestCase

from newsletter import compose
from newsletter.emails import render_email
from tests.factories import label, make_article, make_brief, make_bullet, make_section
from tests.newsletter.factories import default_newsletter, make_edition

LINKS = {
    "unsubscribe": "https://x.example/u/1.1.abc/",
    "preferences": "https://x.example/p/",
}
TRANSACTIONAL = {
    "confirm": {
        "confirm_url": "https://x.example/newsletter/confirm/1:abc/",
        "max_age_days": 7,
        "newsletters": [],
    },
    "welcome": {
        "newsletters": [],
        "preferences_url": "https://x.example/newsletter/preferences/1.x/",
        "unsubscribe_url": "https://x.example/u/1.1.x/",
    },
    "already-subscribed": {
        "preferences_url": "https://x.example/newsletter/preferences/1.x/"
    },
}


def head(html: str) -> str:
    return html.split("<head>", 1)[1].split("</head>", 1)[0]


class EmailHtmlTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        newsletter = default_newsletter()
        cls.edition = make_edition(
            newsletter, [make_brief()], preheader="Ports, rates and a heat plan"
        )

    def messages(self):
        for name, context in TRANSACTIONAL.items():
            yield name, render_email(name, context)
        snapshot = compose.build_snapshot(self.edition)
        yield "edition", compose.render(snapshot, LINKS)

    def test_the_charset_is_the_first_thing_in_the_head(self):
        for name, (_, _, html) in self.messages():
            with self.subTest(name):
                self.assertTrue(head(html).startswith('<meta charset="utf-8">'))

    def test_apple_reformatting_is_turned_off_with_a_content(self):
        for name, (_, _, html) in self.messages():
            with self.subTest(name):
                self.assertIn(
                    '<meta name="x-apple-disable-message-reformatting" content="">',
                    html,
                )

    def test_buttons_are_table_cells_outlook_can_colour_and_pad(self):
        for name in TRANSACTIONAL:
            with self.subTest(name):
                _, _, html = render_email(name, TRANSACTIONAL[name])
                cell = re.search(r'<td class="button-cell"[^>]*>', html)
                self.assertIsNotNone(cell, "no button cell")
                self.assertIn('bgcolor="#b3261e"', cell[0])
                self.assertIn("mso-padding-alt: 12px 22px", cell[0])

    def test_the_preheader_is_hidden_by_inline_styles_gmail_and_outlook_read(self):
        _, _, html = compose.render(compose.build_snapshot(self.edition), LINKS)
        div = re.search(r'<div class="preheader" style="([^"]+)">', html)
        style = [rule.strip() for rule in div[1].split(";") if rule.strip()]
        self.assertIn("display: none", style)
        self.assertIn("mso-hide: all", style)
        self.assertTrue(all("!important" not in rule for rule in style), style)
        body = html.split("<body", 1)[1]
        self.assertLess(body.index("preheader"), body.index("Ports, rates"))


class EmailTextTests(TestCase):
    def test_transactional_text_is_wrapped_for_mail_readers(self):
        for name, context in TRANSACTIONAL.items():
            with self.subTest(name):
                _, text, _ = render_email(name, context)
                long = [
                    line
                    for line in text.splitlines()
                    if len(line) > 78 and " " in line.strip()
                ]
                self.assertEqual(long, [])

    def test_a_long_url_stays_whole_on_its_own_line(self):
        url = "https://x.example/newsletter/confirm/" + "a" * 90 + "/"
        _, text, _ = render_email(
            "confirm", {**TRANSACTIONAL["confirm"], "confirm_url": url}
        )
        self.assertIn(f"\n{url}\n", text)


class EditionTextLinkTests(TestCase):
    def test_links_inside_a_brief_keep_their_address_as_numbered_references(self):
        article = make_article(headline="Ports reopen", slug="ports", dek="")
        rule = "https://agency.example/rules/2026?id=4&lang=en"
        why = make_section(
            article,
            position=0,
            label=label("Why it matters"),
            text=f'<p>Read <a href="{rule.replace("&", "&amp;")}">the rule</a>.</p>',
        )
        assert why.pk
        zoom = make_section(article, position=1, label=label("Zoom in"))
        make_bullet(zoom, f'<p>The <a href="{rule}">same rule</a> again.</p>')
        make_bullet(zoom, '<p>A <a href="https://port.example/">port map</a>.</p>')
        make_bullet(zoom, '<p><a href="https://x.example/">https://x.example/</a></p>')
        edition = make_edition(default_newsletter(), [article])
        _, text, _ = compose.render(compose.build_snapshot(edition), LINKS)
        self.assertIn("Read the rule [1].", text)
        self.assertIn("The same rule [1] again.", text)
        self.assertIn("A port map [2].", text)
        # An address that is its own text needs no reference.
        self.assertNotIn("https://x.example/ [", text)
        after = text.split("Read the brief: ", 1)[1]
        self.assertIn(f"\n[1] {rule}\n[2] https://port.example/\n", after)
