"""Click and open tracking: signed redirects, scanners, privacy."""

import email
import email.policy
import re
from io import BytesIO
from urllib.parse import quote

from django.conf import settings as django_settings
from django.core import mail
from django.test import Client, TestCase, override_settings

from newsletter import privacy, tasks, tokens, tracking
from newsletter.models import (
    Click,
    Open,
    Subscriber,
    SubscriptionEvent,
    TrackedLink,
)
from tests.factories import label, make_article, make_bullet, make_section
from tests.newsletter.factories import make_audience, make_edition, make_newsletter

CLICK = re.compile(r"https://news\.example\.org/c/([^\s\"<>]+)")
PIXEL = re.compile(r"https://news\.example\.org/o/([^\s\"<>]+)")
REPORT = "https://example.com/report?a=1&b=2"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


def parts(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def brief_with_outside_link(slug="harbour"):
    article = make_article(headline="Harbour cranes return", slug=slug, dek="")
    make_section(
        article, position=0, label=label("Why it matters"), text="Ports drive exports."
    )
    zoom = make_section(article, position=1, label=label("Zoom in"), heading="Ten.")
    make_bullet(zoom, f'Read <a href="{REPORT.replace("&", "&amp;")}">the report</a>.')
    return article


def send(edition) -> dict[str, bytes]:
    """Send for real (tasks inline, the locmem mailer): raw message per address."""
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.start(edition.pk)
    return {m.to[0]: m.raw for m in mail.outbox}


class TrackingTestCase(TestCase):
    opens = False

    def setUp(self):
        self.newsletter = make_newsletter(track_opens=self.opens)
        self.readers = make_audience(self.newsletter, 3)
        self.edition = make_edition(self.newsletter, [brief_with_outside_link()])
        self.mail = send(self.edition)
        self.client = Client(HTTP_USER_AGENT=BROWSER)

    def tokens_of(self, reader) -> list[str]:
        text, html = parts(self.mail[reader.email])
        return list(dict.fromkeys(CLICK.findall(html)))

    def follow(self, token, **extra):
        return self.client.get(f"/c/{token}", **extra)


class ClickRedirectTests(TrackingTestCase):
    def test_every_link_in_both_parts_goes_through_the_readers_own_redirect(self):
        first, second = self.readers[:2]
        text, html = parts(self.mail[first.email])
        links = list(TrackedLink.objects.filter(edition=self.edition))
        self.assertEqual(
            [(link.url, link.kind) for link in links],
            [("https://news.example.org/briefs/harbour/", "brief"), (REPORT, "link")],
        )
        self.assertEqual(set(CLICK.findall(text)), set(CLICK.findall(html)))
        self.assertEqual(len(set(CLICK.findall(html))), 2)
        self.assertNotIn(REPORT.replace("&", "&amp;"), html)
        self.assertNotIn("/briefs/harbour/", text.replace("/c/", ""))
        # Footer links are not content: never tracked.
        self.assertIn("/newsletter/archive/", text)
        self.assertIn("/u/", text)
        self.assertFalse(set(self.tokens_of(first)) & set(self.tokens_of(second)))

    def test_a_click_answers_302_to_the_address_and_is_recorded_once(self):
        reader = self.readers[0]
        for token in self.tokens_of(reader):
            response = self.follow(token)
            self.assertEqual(response.status_code, 302)
            self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(
            {r.url for r in [self.follow(t) for t in self.tokens_of(reader)]},
            {"https://news.example.org/briefs/harbour/", REPORT},
        )
        clicks = Click.objects.filter(edition=self.edition)
        self.assertEqual(clicks.count(), 4)
        self.assertEqual({c.subscriber_id for c in clicks}, {reader.pk})

    def wsgi(self, path, method="GET", agent=BROWSER):
        """One request through the deployed WSGI application (newsroom.wsgi)."""
        from newsroom.wsgi import application

        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, dict(headers)

        body = b"".join(
            application(
                {
                    "REQUEST_METHOD": method,
                    "PATH_INFO": path,
                    "QUERY_STRING": "",
                    "SERVER_NAME": "testserver",
                    "SERVER_PORT": "80",
                    "HTTP_HOST": "testserver",
                    "HTTP_USER_AGENT": agent,
                    "wsgi.url_scheme": "http",
                    "wsgi.input": BytesIO(),
                    "wsgi.errors": BytesIO(),
                },
                start_response,
            )
        )
        return seen["status"], seen["headers"], body

    def test_redirects_count_every_click_with_the_page_cache_on(self):
        token = self.tokens_of(self.readers[0])[1]
        with override_settings(PAGE_CACHE_ENABLED=True):
            for _ in range(3):
                status, headers, _ = self.wsgi(f"/c/{token}")
                self.assertEqual(status, "302 Found")
                self.assertEqual(headers["Location"], REPORT)
                self.assertIn("no-store", headers["Cache-Control"])
            self.assertEqual(self.wsgi(f"/c/{token}", "HEAD")[0], "302 Found")
            self.wsgi(f"/c/{token}", agent="curl/8.5")
        self.assertEqual(Click.objects.filter(edition=self.edition).count(), 3)

    def test_the_wsgi_fast_path_answers_as_the_django_view_does(self):
        good = self.tokens_of(self.readers[0])[0]
        for token in (good, good[:-2] + "zz", "1.0.zz.abc", "nonsense", "%00"):
            with self.subTest(token=token):
                status, headers, body = self.wsgi(f"/c/{token}")
                view = self.follow(quote(token, safe="%"))
                self.assertEqual((status, body), ("302 Found", b""))
                self.assertEqual(headers["Location"], view["Location"])
                self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(Click.objects.count(), 2)

    def test_a_tampered_token_in_any_byte_never_counts_nor_leaves_the_editions_links(
        self,
    ):
        allowed = set(TrackedLink.objects.values_list("url", flat=True))
        for token in self.tokens_of(self.readers[0]):
            for i, c in enumerate(token):
                for other in {"0", "z", "A", "_", "-", ".", "é", "%00", "/"} - {c}:
                    forged = token[:i] + other + token[i + 1 :]
                    with self.subTest(forged=forged):
                        response = self.follow(quote(forged, safe="%"))
                        self.assertIn(response.status_code, (302, 404))
                        if response.status_code == 302:
                            where = response["Location"]
                            self.assertTrue(
                                where in allowed or where.startswith("/"), where
                            )
            for forged in (token[:-1], token + "A", token[:8], "", "...", "a.b.c.d"):
                self.follow(quote(forged))
        self.assertEqual(Click.objects.count(), 0)

    def test_a_forged_token_for_another_reader_or_link_is_refused(self):
        reader = self.readers[0]
        other = self.readers[1]
        token = self.tokens_of(reader)[0]
        edition, position, _, mac = token.split(".")
        swapped = f"{edition}.{position}.{tokens.int_to_base36(other.pk)}.{mac}"
        self.follow(swapped)
        self.follow(f"{edition}.1.{token.split('.')[2]}.{mac}")
        self.assertEqual(Click.objects.count(), 0)

    def switch_off(self, field):
        """Turn the list's `field` off, as the admin would, and drop the
        redirect's cached links so the next click sees it."""
        setattr(self.newsletter, field, False)
        self.newsletter.save()
        tracking.forget_cached_editions()

    def test_a_damaged_token_of_a_private_list_goes_to_the_home_page(self):
        self.switch_off("is_public")
        token = self.tokens_of(self.readers[0])[1]
        response = self.follow(token[:-1] + ("A" if token[-1] != "A" else "B"))
        self.assertEqual(response["Location"], "/")
        self.assertEqual(self.follow(token)["Location"], REPORT)

    def test_head_prefetch_and_robot_agents_are_sent_on_but_not_counted(self):
        token = self.tokens_of(self.readers[0])[0]
        self.assertEqual(self.client.head(f"/c/{token}").status_code, 302)
        self.follow(token, HTTP_SEC_PURPOSE="prefetch;prerender")
        self.follow(token, HTTP_PURPOSE="prefetch")
        for agent in ("", "python-requests/2.32", "Mozilla/5.0 (compatible; bingbot)"):
            response = Client(HTTP_USER_AGENT=agent).get(f"/c/{token}")
            self.assertEqual(response.status_code, 302)
        self.assertEqual(Click.objects.count(), 0)

    def test_switching_clicks_off_stops_counting_and_untracks_the_next_edition(self):
        self.switch_off("track_clicks")
        token = self.tokens_of(self.readers[0])[0]
        self.assertEqual(self.follow(token).status_code, 302)
        self.assertEqual(Click.objects.count(), 0)
        edition = make_edition(self.newsletter, [brief_with_outside_link("second")])
        text, html = parts(next(iter(send(edition).values())))
        self.assertNotIn("/c/", html + text)
        self.assertIn(REPORT.replace("&", "&amp;"), html)
        self.assertIn("https://news.example.org/briefs/second/", text)

    def test_an_erased_readers_old_links_still_work_but_record_nothing(self):
        reader = self.readers[0]
        token = self.tokens_of(reader)[0]
        self.follow(token)
        privacy.erase(Subscriber.objects.get(pk=reader.pk))
        self.assertFalse(Click.objects.filter(subscriber_id=reader.pk).exists())
        self.assertEqual(self.follow(token).status_code, 302)
        self.assertFalse(Click.objects.filter(subscriber_id=reader.pk).exists())


class OpenPixelTests(TrackingTestCase):
    opens = True

    def test_opens_are_off_by_default_and_clicks_on(self):
        fresh = make_newsletter()
        self.assertTrue(fresh.track_clicks)
        self.assertFalse(fresh.track_opens)

    def test_the_pixel_records_the_first_open_only(self):
        reader = self.readers[0]
        text, html = parts(self.mail[reader.email])
        self.assertNotIn("/o/", text)
        (token,) = PIXEL.findall(html)
        for _ in range(2):
            response = self.client.get(f"/o/{token}")
            self.assertEqual(response["Content-Type"], "image/gif")
            self.assertIn("no-store", response["Cache-Control"])
        self.client.get(f"/o/{token[:-1]}A")
        self.assertEqual(
            list(Open.objects.values_list("subscriber_id", flat=True)), [reader.pk]
        )

    def test_without_opens_there_is_no_pixel(self):
        edition = make_edition(make_newsletter(), [brief_with_outside_link("quiet")])
        make_audience(edition.newsletter, 1)
        _, html = parts(next(iter(send(edition).values())))
        self.assertNotIn("/o/", html)


class EditionNamedInLeavingTests(TrackingTestCase):
    def test_one_click_unsubscribe_records_the_edition(self):
        reader = self.readers[0]
        raw = self.mail[reader.email].decode()
        token = re.search(r"List-Unsubscribe: <https://[^/]+/u/([^/]+)/>", raw)[1]
        self.assertEqual(tokens.read_unsubscribe(token)[2], self.edition.pk)
        Client().post(f"/u/{token}/", {"List-Unsubscribe": "One-Click"})
        event = SubscriptionEvent.objects.get(kind="unsubscribed")
        self.assertEqual((event.edition, event.source), (self.edition, "one-click"))

    def test_leaving_from_the_preferences_link_records_the_edition(self):
        reader = self.readers[1]
        text, _ = parts(self.mail[reader.email])
        path = re.search(
            r"https://news\.example\.org(/newsletter/preferences/\S+)", text
        )[1]
        Client().post(path, {"unsubscribe_all": "1"}, HTTP_ORIGIN="http://testserver")
        event = SubscriptionEvent.objects.get(kind="unsubscribed")
        self.assertEqual(event.edition, self.edition)

    def test_old_links_without_an_edition_still_work(self):
        reader = self.readers[2]
        token = tokens.unsubscribe_token(reader.pk, self.newsletter.pk)
        Client().post(f"/u/{token}/", {"List-Unsubscribe": "One-Click"})
        event = SubscriptionEvent.objects.get(kind="unsubscribed")
        self.assertIsNone(event.edition)
        self.assertEqual(
            tokens.read_preferences(tokens.preferences_token(reader.pk)),
            (reader.pk, None),
        )

    def test_an_edition_number_cannot_be_slipped_into_a_token(self):
        reader = self.readers[0]
        token = tokens.unsubscribe_token(reader.pk, self.newsletter.pk)
        value, mac = token.rsplit(".", 1)
        self.assertIsNone(tokens.read_unsubscribe(f"{value}.1.{mac}"))


class PrivacyTests(TrackingTestCase):
    opens = True

    def test_a_readers_data_export_lists_their_clicks_and_opens(self):
        reader = self.readers[0]
        self.follow(self.tokens_of(reader)[1])
        _, html = parts(self.mail[reader.email])
        self.client.get(f"/o/{PIXEL.findall(html)[0]}")
        data = privacy.personal_data(Subscriber.objects.get(pk=reader.pk))
        self.assertEqual(
            [(c["edition"], c["link"]) for c in data["clicks"]],
            [(self.edition.subject, REPORT)],
        )
        self.assertEqual([o["edition"] for o in data["opens"]], [self.edition.subject])

    def test_erasure_removes_clicks_and_opens_and_keeps_other_readers(self):
        first, second = self.readers[:2]
        for reader in (first, second):
            self.follow(self.tokens_of(reader)[0])
            _, html = parts(self.mail[reader.email])
            self.client.get(f"/o/{PIXEL.findall(html)[0]}")
        privacy.erase(Subscriber.objects.get(pk=first.pk))
        self.assertEqual(
            set(Click.objects.values_list("subscriber_id", flat=True)), {second.pk}
        )
        self.assertEqual(
            set(Open.objects.values_list("subscriber_id", flat=True)), {second.pk}
        )
        data = privacy.personal_data(Subscriber.objects.get(pk=first.pk))
        self.assertEqual((data["clicks"], data["opens"]), ([], []))


class PersonaliseSpeedShapeTests(TestCase):
    def test_tokens_are_no_longer_than_their_placeholders(self):
        big = 36**13 - 1
        self.assertLessEqual(
            len(tracking.click_token(big, tracking.MAX_LINKS - 1, big)),
            tracking.CLICK_MAX,
        )
        self.assertLessEqual(len(tracking.open_token(big, big)), tracking.OPEN_MAX)
        self.assertEqual(len(tracking.link_placeholder(5)), tracking.CLICK_MAX)

    def test_the_senders_tokens_are_the_ones_the_redirect_reads(self):
        placeholders = {tracking.link_placeholder(3).encode()}
        values = tracking.ReaderTokens(41, placeholders).values(1234)
        token = values[tracking.link_placeholder(3).encode()].decode()
        self.assertEqual(token, tracking.click_token(41, 3, 1234))
        self.assertEqual(tracking.read_click_token(token)[0], (41, 3, 1234))


class ClickBatchTests(TrackingTestCase):
    def test_clicks_are_written_a_batch_at_a_time_and_none_is_lost(self):
        tokens_ = [t for r in self.readers for t in self.tokens_of(r)]
        batching = {"CLICK_BATCH": 4, "CLICK_BATCH_SECONDS": 600}
        with self.settings(NEWSLETTER={**django_settings.NEWSLETTER, **batching}):
            for token in tokens_[:3]:
                self.assertEqual(self.follow(token).status_code, 302)
            self.assertEqual(Click.objects.count(), 0)
            self.follow(tokens_[3])
            self.assertEqual(Click.objects.count(), 4)
            self.follow(tokens_[4])
            tracking.clicks.flush()  # what the timer (or the worker's exit) does
        self.assertEqual(Click.objects.count(), 5)
        self.assertIsNone(tracking.clicks.timer)


class LogRedactionTests(TrackingTestCase):
    opens = True

    def test_click_and_pixel_tokens_never_reach_a_log_line(self):
        from newsroom.logging import redact

        _, html = parts(self.mail[self.readers[0].email])
        for token, prefix in (
            (self.tokens_of(self.readers[0])[0], "/c/"),
            (PIXEL.findall(html)[0], "/o/"),
        ):
            line = redact(f'"GET {prefix}{token} HTTP/1.1" 302 0')
            self.assertNotIn(token, line)
            self.assertIn(prefix, line)
