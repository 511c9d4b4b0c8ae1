import time_machine
from django.contrib.auth.signals import user_login_failed
from django.test import TestCase, override_settings

from tests.factories import make_user

PASSWORD = "correct horse battery staple"  # what make_user sets
EDITOR_IP = "198.51.100.10"
ATTACKER_IP = "203.0.113.66"
T0 = 1_800_000_000


@override_settings(
    ADMIN_LOGIN_THROTTLE={
        "FAILURES_PER_USER_AND_IP": 5,
        "FAILURES_PER_IP": 50,
        "WINDOW_SECONDS": 900,
    },
    TRUSTED_PROXIES=[],
)
class AdminLoginThrottleTests(TestCase):
    def setUp(self):
        self.editor = make_user("editor", staff=True)
        traveller = time_machine.travel(T0, tick=False)
        self.clock = traveller.start()
        self.addCleanup(traveller.stop)

    def attempt(self, username="editor", password="wrong", ip=ATTACKER_IP, **extra):
        self.client.logout()
        return self.client.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR=ip,
            **extra,
        )

    def fail_logins(self, times, **kwargs):
        for _ in range(times):
            response = self.attempt(**kwargs)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "Please enter the correct username")

    def assertThrottled(self, response):
        self.assertEqual(response.status_code, 429)
        seconds = int(response.headers["Retry-After"])
        # The refused attempt counts too, so the wait may run past the
        # 15-minute window, but never past two windows.
        self.assertTrue(60 <= seconds <= 1800, seconds)
        minutes = -(-seconds // 60)
        self.assertContains(
            response,
            f"Too many failed attempts, try again in {minutes} minutes.",
            status_code=429,
        )
        # The form is still there, with what the person typed.
        self.assertContains(response, 'name="username"', status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_refuses_even_the_right_password_after_five_failures(self):
        self.fail_logins(5)
        self.assertThrottled(self.attempt(password=PASSWORD))

    def test_a_throttled_attempt_does_not_check_the_password(self):
        self.fail_logins(5)
        checked = []

        def record(**kwargs):
            checked.append(kwargs)

        user_login_failed.connect(record)
        self.addCleanup(user_login_failed.disconnect, record)
        self.attempt(ip=EDITOR_IP)
        self.assertEqual(len(checked), 1)  # the receiver works
        self.assertThrottled(self.attempt(password="another guess"))
        self.assertEqual(len(checked), 1)

    def test_the_editor_still_logs_in_from_the_editors_own_address(self):
        self.fail_logins(5)
        self.assertThrottled(self.attempt())
        response = self.attempt(password=PASSWORD, ip=EDITOR_IP)
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.editor.pk)

    def test_a_spoofed_forwarded_header_from_an_untrusted_peer_does_not_reset_it(self):
        self.fail_logins(5)
        for spoof in ["1.2.3.4", EDITOR_IP, f"{EDITOR_IP}, 10.0.0.1"]:
            with self.subTest(spoof=spoof):
                response = self.attempt(password=PASSWORD, HTTP_X_FORWARDED_FOR=spoof)
                self.assertThrottled(response)

    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
    def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(self):
        via_proxy = {"ip": "10.0.0.2"}
        self.fail_logins(5, HTTP_X_FORWARDED_FOR=ATTACKER_IP, **via_proxy)
        self.assertThrottled(
            self.attempt(HTTP_X_FORWARDED_FOR=ATTACKER_IP, **via_proxy)
        )
        # The attacker prepending the editor's address changes nothing: the
        # proxy appended the attacker's real one.
        spoofed = f"{EDITOR_IP}, {ATTACKER_IP}"
        self.assertThrottled(self.attempt(HTTP_X_FORWARDED_FOR=spoofed, **via_proxy))
        response = self.attempt(
            password=PASSWORD, HTTP_X_FORWARDED_FOR=EDITOR_IP, **via_proxy
        )
        self.assertEqual(response.status_code, 302)

    def test_case_and_spaces_in_the_username_do_not_buy_more_attempts(self):
        for username in ["editor", "EDITOR", "Editor", " editor ", "eDitor"]:
            self.attempt(username=username)
        self.assertThrottled(self.attempt(username="EdItOr", password=PASSWORD))

    def test_one_address_spraying_many_usernames_is_stopped(self):
        with self.settings(
            ADMIN_LOGIN_THROTTLE={
                "FAILURES_PER_USER_AND_IP": 5,
                "FAILURES_PER_IP": 12,
                "WINDOW_SECONDS": 900,
            }
        ):
            for n in range(12):
                self.assertEqual(self.attempt(username=f"guess{n}").status_code, 200)
            self.assertThrottled(self.attempt(username="someone-new"))
            # The limit is the address's, not the editor's.
            self.assertEqual(
                self.attempt(password=PASSWORD, ip=EDITOR_IP).status_code, 302
            )

    def test_a_successful_login_clears_the_count(self):
        self.fail_logins(4, ip=EDITOR_IP)
        self.assertEqual(self.attempt(password=PASSWORD, ip=EDITOR_IP).status_code, 302)
        self.fail_logins(4, ip=EDITOR_IP)
        self.assertEqual(self.attempt(password=PASSWORD, ip=EDITOR_IP).status_code, 302)

    def test_it_lets_the_editor_try_again_after_the_wait(self):
        self.fail_logins(5)
        response = self.attempt(password=PASSWORD)
        self.assertThrottled(response)
        self.clock.shift(int(response.headers["Retry-After"]))
        self.assertEqual(self.attempt(password=PASSWORD).status_code, 302)

    def test_the_wait_is_shown_in_whole_minutes(self):
        self.fail_logins(5)
        self.clock.shift(14 * 60 + 30)
        # 30 s of the window left, but the sliding count keeps most of the
        # five failures in view: the page rounds the wait up to minutes.
        response = self.attempt()
        self.assertEqual(response.status_code, 429)
        seconds = int(response.headers["Retry-After"])
        minutes = -(-seconds // 60)
        expected = f"{minutes} minute{'s' if minutes != 1 else ''}"
        self.assertContains(response, f"try again in {expected}.", status_code=429)

    def test_missing_fields_are_reported_without_counting(self):
        for _ in range(10):
            response = self.client.post(
                "/admin/login/", {"username": "editor"}, REMOTE_ADDR=ATTACKER_IP
            )
            self.assertEqual(response.status_code, 200)
        self.assertEqual(self.attempt(password=PASSWORD).status_code, 302)

    def test_the_login_page_itself_is_unchanged(self):
        response = self.client.get("/admin/login/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="password"')
