"""The Jinja2 environment's filters print what Django's template engine prints."""

from datetime import UTC, date, datetime

from django.template import engines
from django.test import SimpleTestCase, override_settings
from django.utils import translation

NOON_UTC = datetime(2026, 11, 3, 12, 5, tzinfo=UTC)


def jinja(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def django(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


class DateFilterTests(SimpleTestCase):
    def test_dates_match_djangos_engine_in_local_time(self):
        for zone in ("Europe/Rome", "Asia/Tokyo", "America/New_York"):
            with self.subTest(zone=zone), override_settings(TIME_ZONE=zone):
                self.assertEqual(
                    jinja('{{ d|date("j M Y, H:i") }}', d=NOON_UTC),
                    django('{{ d|date:"j M Y, H:i" }}', d=NOON_UTC),
                )

    @override_settings(TIME_ZONE="Europe/Rome")
    def test_a_remembered_date_follows_the_active_zone_and_language(self):
        rome = jinja('{{ d|date("j F Y, H:i") }}', d=NOON_UTC)
        with override_settings(TIME_ZONE="Asia/Tokyo"):
            tokyo = jinja('{{ d|date("j F Y, H:i") }}', d=NOON_UTC)
        with translation.override("it"):
            italian = jinja('{{ d|date("j F Y, H:i") }}', d=NOON_UTC)
        self.assertEqual(rome, "3 November 2026, 13:05")
        self.assertEqual(tokyo, "3 November 2026, 21:05")
        self.assertEqual(italian, "3 Novembre 2026, 13:05")

    def test_the_default_format_is_the_languages_own(self):
        day = date(2026, 1, 2)
        english = jinja("{{ d|date }}", d=day)
        with translation.override("it"):
            italian = jinja("{{ d|date }}", d=day)
        self.assertEqual(english, django("{{ d|date }}", d=day))
        self.assertEqual((english, italian), ("Jan. 2, 2026", "02 Gennaio 2026"))

    def test_what_is_not_a_date_prints_as_django_prints_it(self):
        for value in ("", None, "not a date"):
            with self.subTest(value=value):
                self.assertEqual(
                    jinja('{{ d|date("Y") }}', d=value),
                    django('{{ d|date:"Y" }}', d=value),
                )
