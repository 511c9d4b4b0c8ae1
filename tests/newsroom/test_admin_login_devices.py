"""Admin login lockout by account and address, with trusted browsers
(newsroom/admin_site.py): failures from one address or at one account lock
out strangers, never an editor in a browser they have logged in with."""

import time_machine
from django.core import signing
from django.test import TestCase, override_settings

from tests.factories import make_user

DEVICE_COOKIE = "admin_device"  # the name the README's Security section gives
PASSWORD = "correct horse battery staple"  # what make_user sets
OFFICE = "198.51.100.10"  # the editors' address, and here an attacker's too
ELSEWHERE = "192.0.2.77"
T0 = 1_800_000_000
DAY = 24 * 3600
THROTTLE = {
    "FAILURES_PER_USER_AND_IP": 5,
    "FAILURES_PER_IP": 50,
    "FAILURES_PER_USER": 20,
    "FAILURES_PER_DEVICE": 5,
    "WINDOW_SECONDS": 900,
}


@override_settings(
    ADMIN_LOGIN_THROTTLE=THROTTLE,
    TRUSTED_PROXIES=[],
)
class TrustedBrowserTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", staff=True)
        make_user("other", staff=True)
        traveller = time_machine.travel(T0, tick=False)
        self.clock = traveller.start()
        self.addCleanup(traveller.stop)

    def attempt(self, username="editor", password="wrong", ip=OFFICE, device=None):
        """One login from a browser holding `device` (a device cookie value)
        or none."""
        self.client.logout()  # the test client forgets every cookie here
        if device is not None:
            self.client.cookies[DEVICE_COOKIE] = device
        return self.client.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR=ip,
        )

    def assertLoggedIn(self, response, user=None):
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        self.assertEqual(
            int(self.client.session["_auth_user_id"]), (user or self.editor).pk
        )

    def assertThrottled(self, response):
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed attempts", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def trusted_browser(self, username="editor", ip=OFFICE) -> str | None:
        """Log in once, as an editor does on their own machine; the device
        cookie the browser keeps (None if it got none: then the tests show
        what such a browser meets)."""
        response = self.attempt(username=username, password=PASSWORD, ip=ip)
        self.assertEqual(response.status_code, 302)
        cookie = response.cookies.get(DEVICE_COOKIE)
        return cookie.value if cookie else None

    def spray_from_the_office(self, times=50):
        for n in range(times):
            self.assertEqual(self.attempt(username=f"guess{n}").status_code, 200)

    def test_a_correct_password_from_a_trusted_browser_gets_through_a_locked_address(
        self,
    ):
        device = self.trusted_browser()
        self.spray_from_the_office()
        self.assertThrottled(self.attempt(username="someone"))
        self.assertLoggedIn(self.attempt(password=PASSWORD, device=device))

    def test_the_attacker_at_that_address_stays_throttled(self):
        self.trusted_browser()
        self.spray_from_the_office()
        for username in ["editor", "other", "guess0", "someone-new"]:
            with self.subTest(username=username):
                self.assertThrottled(self.attempt(username=username))
        # Not even the right password opens it for a browser without a
        # device cookie: the server cannot tell that browser from the
        # attacker's, and a throttled attempt never checks a password.
        self.assertThrottled(self.attempt(password=PASSWORD))

    def test_a_locked_account_still_opens_in_the_editors_trusted_browser(self):
        device = self.trusted_browser()
        # Strangers guess at the editor's account from twenty addresses,
        # each under its own address's limits.
        for n in range(20):
            self.assertEqual(self.attempt(ip=f"203.0.113.{n + 1}").status_code, 200)
        # The account is locked for untrusted browsers, wherever they are…
        self.assertThrottled(self.attempt(password=PASSWORD, ip=ELSEWHERE))
        self.assertThrottled(self.attempt(password=PASSWORD, ip=OFFICE))
        # …not for the editor's own, nor for other accounts.
        self.assertLoggedIn(self.attempt(password=PASSWORD, device=device))
        self.assertEqual(
            self.attempt(username="other", password=PASSWORD, ip=ELSEWHERE).status_code,
            302,
        )

    def test_a_trusted_browsers_failures_lock_neither_the_address_nor_the_account(
        self,
    ):
        device = self.trusted_browser()
        for _ in range(5):  # an editor mistyping, up to the browser's limit
            self.assertEqual(self.attempt(device=device).status_code, 200)
        # Neither the (account, address) pair nor the account counted them.
        self.assertEqual(self.attempt(password=PASSWORD).status_code, 302)

    def test_a_device_cookie_that_guessed_wrong_too_often_counts_for_nothing(self):
        device = self.trusted_browser()
        for _ in range(5):
            self.assertEqual(self.attempt(device=device).status_code, 200)
        self.spray_from_the_office()
        self.assertThrottled(self.attempt(password=PASSWORD, device=device))
        # Another browser of the editor's is not affected.
        self.clock.shift(60)
        second = self.trusted_browser(ip=ELSEWHERE)
        self.assertLoggedIn(self.attempt(password=PASSWORD, device=second))

    def test_a_device_cookie_opens_only_the_account_it_was_given_for(self):
        device = self.trusted_browser()
        self.spray_from_the_office()
        self.assertThrottled(
            self.attempt(username="other", password=PASSWORD, device=device)
        )

    def test_a_forged_or_stale_device_cookie_is_ignored(self):
        device = self.trusted_browser()
        self.assertIsNotNone(device)
        self.spray_from_the_office()
        forged = signing.get_cookie_signer(salt="not-the-salt").sign("x")
        for cookie in [device[:-2] + "xx", forged, "garbage"]:
            with self.subTest(cookie=cookie):
                self.assertThrottled(self.attempt(password=PASSWORD, device=cookie))
        self.clock.shift(91 * DAY)
        self.spray_from_the_office()
        self.assertThrottled(self.attempt(password=PASSWORD, device=device))

    def test_each_login_renews_the_device_cookie(self):
        device = self.trusted_browser()
        self.clock.shift(60 * DAY)
        renewed = self.attempt(password=PASSWORD, device=device).cookies.get(
            DEVICE_COOKIE
        )
        self.assertIsNotNone(renewed)
        self.clock.shift(60 * DAY)
        self.spray_from_the_office()
        self.assertLoggedIn(self.attempt(password=PASSWORD, device=renewed.value))

    def test_the_device_cookie_is_signed_http_only_and_kept_for_the_login_page(self):
        response = self.attempt(password=PASSWORD)
        self.assertIn(DEVICE_COOKIE, response.cookies)
        cookie = response.cookies[DEVICE_COOKIE]
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Strict")
        self.assertEqual(cookie["path"], "/admin/login/")
        self.assertEqual(int(cookie["max-age"]), 90 * DAY)
        # It names no one: the username is not in it.
        self.assertNotIn("editor", cookie.value)

    def test_a_failed_login_gives_no_device_cookie(self):
        response = self.attempt()
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(DEVICE_COOKIE, response.cookies)


@override_settings(
    ADMIN_LOGIN_THROTTLE=THROTTLE,
    TRUSTED_PROXIES=["10.0.0.0/8"],
)
class BehindABalancerTests(TrustedBrowserTests):
    """The same, when every request comes through a proxy: addresses are
    read from X-Forwarded-For, and a balancer left out of TRUSTED_PROXIES
    makes everyone one address (where the device cookie matters most)."""

    def attempt(self, username="editor", password="wrong", ip=OFFICE, device=None):
        self.client.logout()
        if device is not None:
            self.client.cookies[DEVICE_COOKIE] = device
        return self.client.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=ip,
        )

    @override_settings(TRUSTED_PROXIES=[])
    def test_an_untrusted_balancer_locks_out_strangers_not_editors(self):
        editor_device = self.trusted_browser(ip=ELSEWHERE)
        other_device = self.trusted_browser(username="other")
        # Everyone is 10.0.0.2 now: fifty failures from anywhere…
        self.spray_from_the_office()
        self.assertThrottled(self.attempt(password=PASSWORD, ip=ELSEWHERE))
        # …and the editors who have logged in before still get in.
        self.assertLoggedIn(self.attempt(password=PASSWORD, device=editor_device))
        other = self.attempt(username="other", password=PASSWORD, device=other_device)
        self.assertEqual(other.status_code, 302)
