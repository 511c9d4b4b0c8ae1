"""Two editors, one brief: the second save is refused and nothing is lost."""

import re

from django.test import Client, TestCase

from articles import revisions
from articles.models import Article
from tests.factories import change_form_data, label, make_brief, make_user


class EditConflictTests(TestCase):
    def setUp(self):
        self.alice = make_user("alice", superuser=True, first_name="Alice")
        self.bob = make_user("bob", superuser=True)
        self.article = make_brief(
            headline="Storm reaches the coast", sections=1, bullets=2
        )
        revisions.record(self.article, note="Created")
        self.url = f"/admin/articles/article/{self.article.pk}/change/"
        # Both open the form now: the same version.
        self.alice_form = change_form_data(self.article)
        self.bob_form = change_form_data(self.article)
        self.alice_client, self.bob_client = Client(), Client()
        self.alice_client.force_login(self.alice)
        self.bob_client.force_login(self.bob)

    def alice_saves(self):
        data = dict(
            self.alice_form,
            headline="Storm makes landfall",
            **{"sections-0-bullets-1-text": "Alice rewrote this bullet."},
        )
        response = self.alice_client.post(self.url, data)
        self.assertEqual(response.status_code, 302, response.content[:2000])

    def bob_data(self):
        data = dict(
            self.bob_form,
            headline="Bob's headline",
            dek="Bob's dek he spent ten minutes on.",
        )
        data["sections-0-bullets-0-text"] = "Bob's first bullet."
        # Bob also added a whole new section with a bullet.
        data.update(
            {
                "sections-TOTAL_FORMS": "2",
                "sections-1-label": label("What's next").pk,
                "sections-1-custom_label": "",
                "sections-1-heading": "Bob's heading.",
                "sections-1-text": "Bob's new section lead.",
                "sections-1-position": "1",
                "sections-1-bullets-TOTAL_FORMS": "1",
                "sections-1-bullets-INITIAL_FORMS": "0",
                "sections-1-bullets-0-text": "Bob's nested new bullet.",
                "sections-1-bullets-0-position": "0",
            }
        )
        return data

    def test_the_second_save_is_refused_with_what_changed(self):
        self.alice_saves()
        response = self.bob_client.post(self.url, self.bob_data())

        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("Alice changed this brief while you were editing it", html)
        self.assertIn("Nothing was saved from your form", html)
        # What Alice changed, word by word.
        self.assertIn("<ins>makes landfall</ins>", html)
        self.assertIn("Alice rewrote this bullet.", html)

        self.article.refresh_from_db()
        self.assertEqual(self.article.headline, "Storm makes landfall")
        self.assertEqual(self.article.sections.count(), 1)

    def test_everything_bob_typed_is_still_in_the_form(self):
        self.alice_saves()
        response = self.bob_client.post(self.url, self.bob_data())
        html = response.content.decode()
        for typed in [
            "Bob&#x27;s headline",
            "Bob&#x27;s dek he spent ten minutes on.",
            "Bob&#x27;s first bullet.",
            "Bob&#x27;s heading.",
            "Bob&#x27;s new section lead.",
            "Bob&#x27;s nested new bullet.",
        ]:
            self.assertIn(typed, html)

    def test_saving_again_after_reading_the_changes_goes_through(self):
        self.alice_saves()
        data = self.bob_data()
        response = self.bob_client.post(self.url, data)
        # The re-rendered form now carries the version stored meanwhile.
        loaded = re.search(
            r'name="loaded_version" value="(\d+)"', response.content.decode()
        )
        self.article.refresh_from_db()
        self.assertEqual(int(loaded.group(1)), self.article.version)

        data["loaded_version"] = loaded.group(1)
        response = self.bob_client.post(self.url, data)
        self.assertEqual(response.status_code, 302, response.content[:3000])
        article = Article.objects.get(pk=self.article.pk)
        self.assertEqual(article.headline, "Bob's headline")
        self.assertEqual(
            [b.text for b in article.sections.get(position=1).bullets.all()],
            ["Bob's nested new bullet."],
        )

    def test_a_save_from_an_up_to_date_form_is_not_a_conflict(self):
        self.alice_saves()
        fresh = change_form_data(self.article, headline="Bob, up to date")
        response = self.bob_client.post(self.url, fresh)
        self.assertEqual(response.status_code, 302, response.content[:2000])

    def test_a_publish_from_the_list_counts_as_a_change(self):
        draft = make_brief(status=Article.Status.REVIEW, published_at=None)
        stale = change_form_data(draft, headline="Edited while it was published")
        self.alice_client.post(
            "/admin/articles/article/",
            {"action": "publish_now", "_selected_action": [draft.pk]},
        )
        response = self.bob_client.post(
            f"/admin/articles/article/{draft.pk}/change/", stale
        )
        self.assertContains(response, "changed this brief while you were editing it")
        draft.refresh_from_db()
        self.assertEqual(draft.status, Article.Status.PUBLISHED)


class DeletedMeanwhileTests(TestCase):
    """Rows someone else deleted come back as new rows, with what was typed."""

    def setUp(self):
        self.client.force_login(make_user("bob", superuser=True))
        self.article = make_brief(sections=2, bullets=2)
        revisions.record(self.article)
        self.url = f"/admin/articles/article/{self.article.pk}/change/"
        self.data = change_form_data(self.article)
        self.data["sections-1-text"] = "Bob kept working on this lead."
        self.data["sections-1-bullets-1-text"] = "Bob's edited bullet."
        # Meanwhile someone deletes the second section, bullets and all.
        self.article.sections.get(position=1).delete()
        self.article.save()
        revisions.record(self.article, note="Deleted a section")

    def test_the_conflict_form_still_holds_the_deleted_rows(self):
        response = self.client.post(self.url, self.data)
        self.assertContains(response, "changed this brief while you were editing it")
        self.assertContains(response, "Bob kept working on this lead.")
        self.assertContains(response, "Bob&#x27;s edited bullet.")
        self.assertNotContains(response, "Select a valid choice")

    def test_saving_again_brings_them_back_with_the_new_text(self):
        response = self.client.post(self.url, self.data)
        loaded = re.search(
            r'name="loaded_version" value="(\d+)"', response.content.decode()
        )
        self.data["loaded_version"] = loaded.group(1)
        response = self.client.post(self.url, self.data)
        self.assertEqual(response.status_code, 302, response.content[:3000])

        sections = list(self.article.sections.all())
        self.assertEqual(len(sections), 2)
        self.assertEqual(sections[1].text, "Bob kept working on this lead.")
        self.assertEqual(
            [b.text for b in sections[1].bullets.all()],
            ["Bullet 1.0 says something.", "Bob's edited bullet."],
        )

    def test_a_deleted_bullet_alone_comes_back_too(self):
        data = change_form_data(self.article)
        data["sections-0-bullets-0-text"] = "Bob's version of a bullet."
        self.article.sections.get(position=0).bullets.first().delete()
        data["loaded_version"] = self.article.version  # not even a conflict
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 302, response.content[:3000])
        self.assertEqual(
            [b.text for b in self.article.sections.get(position=0).bullets.all()],
            ["Bob's version of a bullet.", "Bullet 0.1 says something."],
        )
