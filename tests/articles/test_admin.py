import re

from django.test import TestCase

from articles.models import Article, Section, SectionLabel
from tests.factories import (
    label,
    make_author,
    make_brief,
    make_category,
    make_section,
    make_user,
)
from tests.helpers import brief_form, nine_bullets


class ArticleAdminTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", superuser=True)
        self.client.force_login(self.editor)

    def test_it_creates_a_brief_with_nested_sections_and_bullets(self):
        response = self.client.post(
            "/admin/articles/article/add/", brief_form(nine_bullets())
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])

        article = Article.objects.get(slug="ports-reopen")
        sections = list(article.sections.all())
        self.assertEqual(
            [s.display_label for s in sections],
            ["Why it matters", "Driving the news", "Shippers are watching"],
        )
        self.assertEqual(
            [b.text for b in sections[2].bullets.all()], ["c1", "c2", "c3"]
        )
        self.assertEqual(sum(s.bullets.count() for s in sections), 9)

    def test_it_reorders_sections_and_bullets(self):
        article = make_brief(sections=2, bullets=3, slug="reorder-me")
        first, second = article.sections.all()
        bullets = list(first.bullets.all())
        data = {
            "headline": article.headline,
            "slug": article.slug,
            "dek": article.dek,
            "intro": "",
            "status": article.status,
            "published_at_0": article.published_at.strftime("%Y-%m-%d"),
            "published_at_1": article.published_at.strftime("%H:%M:%S"),
            "bylines-TOTAL_FORMS": "0",
            "bylines-INITIAL_FORMS": "0",
            "sections-TOTAL_FORMS": "2",
            "sections-INITIAL_FORMS": "2",
            "corrections-TOTAL_FORMS": "0",
            "corrections-INITIAL_FORMS": "0",
            "loaded_version": article.version,
        }
        for i, (section, position) in enumerate([(first, 1), (second, 0)]):
            data.update(
                {
                    f"sections-{i}-id": section.pk,
                    f"sections-{i}-article": article.pk,
                    f"sections-{i}-label": section.label_id or "",
                    f"sections-{i}-custom_label": section.custom_label,
                    f"sections-{i}-heading": "",
                    f"sections-{i}-text": section.text,
                    f"sections-{i}-position": position,
                }
            )
            items = list(section.bullets.all())
            data[f"sections-{i}-bullets-TOTAL_FORMS"] = str(len(items))
            data[f"sections-{i}-bullets-INITIAL_FORMS"] = str(len(items))
            for j, bullet in enumerate(items):
                # Reverse the first section's bullets.
                new = len(items) - 1 - j if section == first else j
                data.update(
                    {
                        f"sections-{i}-bullets-{j}-id": bullet.pk,
                        f"sections-{i}-bullets-{j}-section": section.pk,
                        f"sections-{i}-bullets-{j}-text": bullet.text,
                        f"sections-{i}-bullets-{j}-position": new,
                    }
                )
        response = self.client.post(
            f"/admin/articles/article/{article.pk}/change/", data
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])

        self.assertEqual(list(article.sections.all()), [second, first])
        self.assertEqual(list(first.bullets.all()), bullets[::-1])

    def test_an_error_elsewhere_keeps_every_section_and_bullet_typed(self):
        data = brief_form(nine_bullets(), headline="")  # headline is required
        data["sections-1-bullets-2-text"] = "<p>typed but not saved yet</p>"
        response = self.client.post("/admin/articles/article/add/", data)

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Article.objects.exists())
        html = response.content.decode()
        self.assertIn("This field is required", html)
        for text in [
            "a1",
            "b2",
            "c3",
            "typed but not saved yet",
            "Shippers are watching",
        ]:
            self.assertIn(text, html)
        self.assertEqual(Section.objects.count(), 0)

    def test_a_headline_typed_over_two_lines_is_saved_as_one(self):
        data = brief_form(nine_bullets(), headline="Ports reopen\r\n after  the strike")
        response = self.client.post("/admin/articles/article/add/", data)
        self.assertEqual(response.status_code, 302, response.content[:2000])
        article = Article.objects.get(slug="ports-reopen")
        self.assertEqual(article.headline, "Ports reopen after the strike")

    def test_a_section_needs_a_label(self):
        sections = nine_bullets()
        sections[0] = (None, "", "<p>no label</p>", [])
        response = self.client.post(
            "/admin/articles/article/add/", brief_form(sections)
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "type a custom label")
        self.assertContains(response, "c2")

    def test_submitted_markup_is_sanitised(self):
        sections = nine_bullets()
        sections[0] = (
            label("Why it matters").pk,
            "",
            '<p onclick="x()">ok</p>',
            ['<p><a href="javascript:alert(1)">bad</a><script>x</script></p>'],
        )
        self.client.post("/admin/articles/article/add/", brief_form(sections))

        section = Section.objects.get(position=0)
        self.assertEqual(section.text, "ok")
        self.assertEqual(
            section.bullets.get().text, '<a rel="noopener noreferrer nofollow">bad</a>'
        )

    def test_the_list_has_search_filters_and_dates(self):
        make_brief(
            headline="Findable harbour story",
            category=make_category(name="Ports"),
            authors=[make_author(name="Harbour Writer")],
        )
        make_brief(headline="Other story")
        response = self.client.get("/admin/articles/article/?q=harbour")
        self.assertContains(response, "Findable harbour story")
        self.assertNotContains(response, "Other story")
        self.assertContains(response, "By status")
        self.assertContains(response, "By category")
        self.assertContains(response, "Harbour Writer")  # the author filter
        self.assertContains(response, 'id="date-hierarchy-label"')

    def test_it_requires_staff(self):
        self.client.logout()
        self.client.force_login(make_user("reader"))
        response = self.client.get("/admin/articles/article/add/")
        self.assertEqual(response.status_code, 302)


class ImportFromTextTests(TestCase):
    """The admin's “New brief from text”: paste, review, save as a draft."""

    url = "/admin/articles/article/import/"

    def setUp(self):
        from tests.articles.test_import_command import HARBOUR

        self.text = HARBOUR
        self.editor = make_user("editor", superuser=True)
        self.client.force_login(self.editor)

    def test_the_list_links_to_it(self):
        response = self.client.get("/admin/articles/article/")
        self.assertContains(response, f'href="{self.url}"')
        self.assertContains(response, "New brief from text")

    def test_reading_shows_the_parsed_draft_and_saves_nothing(self):
        response = self.client.post(self.url, {"text": self.text, "_parse": "1"})

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Article.objects.exists())
        self.assertContains(response, "Review the draft before saving it")
        self.assertContains(
            response, '<strong data-part="label">Shippers are asking:</strong>'
        )
        self.assertContains(response, "custom label")
        self.assertContains(
            response, '<li data-part="bullet">Pay rises by 6% over two years.</li>'
        )
        # Markup in the paste is shown as text, not interpreted.
        self.assertContains(response, "&lt;b&gt;not markup&lt;/b&gt;")
        self.assertContains(response, 'name="_create"')
        # The text stays in the box, to fix and read again.
        self.assertContains(response, "Harbour workers end their strike\n")

    def test_creating_saves_a_draft_and_opens_it_for_editing(self):
        response = self.client.post(self.url, {"text": self.text, "_create": "1"})

        article = Article.objects.get()
        self.assertRedirects(
            response,
            f"/admin/articles/article/{article.pk}/change/",
            fetch_redirect_response=False,
        )
        self.assertEqual(article.status, Article.Status.DRAFT)
        self.assertEqual(article.created_by, self.editor)
        self.assertEqual(article.sections.count(), 4)
        page = self.client.get(response.url)
        self.assertContains(page, "created from the pasted text")
        self.assertContains(page, "Who pays for the delay?")

    def test_unreadable_text_comes_back_with_the_reason_and_the_text(self):
        pasted = "\x00\x01\x02 garbage \x03\x04" * 50
        response = self.client.post(self.url, {"text": pasted, "_create": "1"})

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Article.objects.exists())
        self.assertContains(response, "could not be read as a brief")
        self.assertContains(response, "garbage")

    def test_empty_text_is_asked_for(self):
        response = self.client.post(self.url, {"text": "", "_parse": "1"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This field is required")

    def test_a_writer_may_import_and_owns_the_draft(self):
        from django.contrib.auth.models import Group

        writer = make_user("writer", staff=True)
        writer.groups.add(Group.objects.get(name="Writer"))
        self.client.force_login(writer)
        self.client.post(self.url, {"text": self.text, "_create": "1"})
        self.assertEqual(Article.objects.get().created_by, writer)

    def test_it_needs_the_add_permission(self):
        self.client.force_login(make_user("viewer", staff=True))
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 403)


class InlineLimitTests(TestCase):
    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))

    def test_a_crafted_form_count_is_refused_not_built(self):
        data = brief_form(nine_bullets())
        data["sections-TOTAL_FORMS"] = "100000"
        data["sections-0-bullets-TOTAL_FORMS"] = "100000"
        response = self.client.post("/admin/articles/article/add/", data)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please submit at most 40")
        self.assertFalse(Article.objects.exists())
        # Only the capped number of section forms were rendered back.
        headings = re.findall(rb'name="sections-\d+-heading"', response.content)
        self.assertLessEqual(len(headings), 40)


class SectionLabelDeletionTests(TestCase):
    """A label briefs use cannot be deleted; the admin says which briefs."""

    def setUp(self):
        self.client.force_login(make_user("chief", superuser=True))
        self.label = SectionLabel.objects.create(name="Of note")
        self.ports = make_brief(sections=0, headline="Ports reopen", slug="ports")
        self.rail = make_brief(sections=0, headline="Rail strike ends", slug="rail")
        self.sections = [
            make_section(self.ports, label=self.label, text="Cargo moves."),
            make_section(self.ports, label=self.label, text="Again."),
            make_section(self.rail, label=self.label, text="Trains run."),
        ]
        self.unused = SectionLabel.objects.create(name="Nobody uses this")
        self.url = f"/admin/articles/sectionlabel/{self.label.pk}/delete/"

    def assertNothingDeleted(self):
        self.assertTrue(SectionLabel.objects.filter(pk=self.label.pk).exists())
        for section in self.sections:
            section.refresh_from_db()
            self.assertEqual(section.label_id, self.label.pk)

    def assertListsTheBriefs(self, response):
        for brief in (self.ports, self.rail):
            self.assertContains(
                response,
                f'<a href="/admin/articles/article/{brief.pk}/change/">'
                f"{brief.headline}</a>",
                html=True,
            )
        self.assertContains(response, "cannot be deleted")
        self.assertContains(response, "another label")
        self.assertNotContains(response, "Yes, I’m sure")

    def test_the_confirmation_page_lists_the_briefs_using_the_label(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertListsTheBriefs(response)
        self.assertContains(response, "“Of note” is used by 2 briefs")
        # Each brief once, however many of its sections use the label.
        self.assertContains(response, f"/admin/articles/article/{self.ports.pk}/", 1)

    def test_posting_the_confirmation_deletes_nothing(self):
        response = self.client.post(self.url, {"post": "yes"})
        self.assertLess(response.status_code, 500)
        self.assertNothingDeleted()

    def test_the_reader_page_still_shows_the_label_after_a_refused_delete(self):
        self.client.post(self.url, {"post": "yes"})
        page = self.client.get("/briefs/ports/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Of note:")

    def test_the_bulk_delete_action_lists_the_briefs_and_deletes_nothing(self):
        action = {
            "action": "delete_selected",
            "_selected_action": [self.label.pk, self.unused.pk],
        }
        response = self.client.post("/admin/articles/sectionlabel/", action)
        self.assertEqual(response.status_code, 200)
        self.assertListsTheBriefs(response)

        self.client.post("/admin/articles/sectionlabel/", {**action, "post": "yes"})
        self.assertNothingDeleted()
        self.assertTrue(SectionLabel.objects.filter(pk=self.unused.pk).exists())

    def test_an_unused_label_is_deleted_as_usual(self):
        url = f"/admin/articles/sectionlabel/{self.unused.pk}/delete/"
        self.assertContains(self.client.get(url), "Yes, I’m sure")
        response = self.client.post(url, {"post": "yes"})
        self.assertRedirects(response, "/admin/articles/sectionlabel/")
        self.assertFalse(SectionLabel.objects.filter(pk=self.unused.pk).exists())


class BylineDefaultTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", superuser=True)
        self.author = make_author(name="Edna Editor", user=self.editor)
        self.client.force_login(self.editor)

    def byline_forms(self, response):
        formset = next(
            f.formset
            for f in response.context["inline_admin_formsets"]
            if f.formset.prefix == "bylines"
        )
        return formset.forms

    def test_a_new_brief_offers_the_editors_own_byline(self):
        response = self.client.get("/admin/articles/article/add/")
        forms = self.byline_forms(response)
        self.assertEqual(
            [form.initial.get("author") for form in forms], [self.author.pk]
        )
        self.assertContains(
            response, f'<option value="{self.author.pk}" selected>Edna Editor</option>'
        )

    def test_the_offered_byline_is_saved_as_it_stands(self):
        data = brief_form(
            nine_bullets(),
            **{
                "bylines-TOTAL_FORMS": "1",
                "bylines-0-author": self.author.pk,
                "bylines-0-position": "0",
            },
        )
        response = self.client.post("/admin/articles/article/add/", data)
        self.assertEqual(response.status_code, 302, response.content[:2000])
        article = Article.objects.get(slug="ports-reopen")
        self.assertEqual(article.byline_authors, [self.author])

    def test_a_byline_the_editor_removed_stays_removed(self):
        data = brief_form(nine_bullets(), status=Article.Status.DRAFT)
        response = self.client.post("/admin/articles/article/add/", data)
        self.assertEqual(response.status_code, 302, response.content[:2000])
        self.assertEqual(Article.objects.get(slug="ports-reopen").byline_authors, [])

    def test_an_editor_without_an_author_profile_gets_an_empty_byline(self):
        self.client.force_login(make_user("desk", superuser=True))
        response = self.client.get("/admin/articles/article/add/")
        self.assertEqual(self.byline_forms(response), [])

    def test_an_existing_brief_gets_no_byline_proposed(self):
        article = make_brief(sections=1, bullets=1)
        response = self.client.get(f"/admin/articles/article/{article.pk}/change/")
        self.assertEqual(self.byline_forms(response), [])


class NoBylineWarningTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", superuser=True)
        self.client.force_login(self.editor)

    def messages_of(self, response):
        return [str(m) for m in response.context["messages"]]

    def test_publishing_without_a_byline_warns_and_still_publishes(self):
        data = brief_form(nine_bullets(), _publish="Save and publish")
        response = self.client.post("/admin/articles/article/add/", data, follow=True)
        article = Article.objects.get(slug="ports-reopen")
        self.assertEqual(article.status, Article.Status.PUBLISHED)
        self.assertIn(
            "“Ports reopen after the strike” is published with no byline: "
            "add its author under “Byline”.",
            self.messages_of(response),
        )

    def test_publishing_with_a_byline_does_not_warn(self):
        author = make_author()
        data = brief_form(
            nine_bullets(),
            _publish="Save and publish",
            **{"bylines-TOTAL_FORMS": "1", "bylines-0-author": author.pk},
        )
        response = self.client.post("/admin/articles/article/add/", data, follow=True)
        self.assertFalse(
            [m for m in self.messages_of(response) if "no byline" in m],
        )

    def test_a_draft_without_a_byline_does_not_warn(self):
        data = brief_form(nine_bullets(), status=Article.Status.DRAFT)
        response = self.client.post("/admin/articles/article/add/", data, follow=True)
        self.assertFalse(
            [m for m in self.messages_of(response) if "no byline" in m],
        )

    def test_the_publish_action_warns_about_briefs_without_a_byline(self):
        bare = make_brief(sections=1, bullets=1, status=Article.Status.DRAFT)
        signed = make_brief(
            sections=1,
            bullets=1,
            status=Article.Status.DRAFT,
            authors=[make_author()],
        )
        response = self.client.post(
            "/admin/articles/article/",
            {"action": "publish_now", "_selected_action": [bare.pk, signed.pk]},
            follow=True,
        )
        bare.refresh_from_db()
        self.assertEqual(bare.status, Article.Status.PUBLISHED)
        self.assertIn(
            "Published with no byline: “" + bare.headline + "”. Add their authors.",
            self.messages_of(response),
        )
