from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, override_settings

from newsroom.csrf import CsrfViewMiddleware, csrf_origin_checked


@csrf_origin_checked
def signup(request):
    return HttpResponse("ok")


def plain(request):
    return HttpResponse("ok")


@override_settings(ALLOWED_HOSTS=["news.example"], CSRF_TRUSTED_ORIGINS=[])
class OriginCheckedViewTests(SimpleTestCase):
    def run_view(self, view, **headers):
        request = RequestFactory().post("/", HTTP_HOST="news.example", **headers)
        middleware = CsrfViewMiddleware(lambda r: HttpResponse())
        middleware.process_request(request)
        return middleware.process_view(request, view, (), {})

    def test_a_same_origin_post_needs_no_token(self):
        self.assertIsNone(self.run_view(signup, HTTP_ORIGIN="http://news.example"))
        self.assertIsNone(self.run_view(signup, HTTP_SEC_FETCH_SITE="same-origin"))

    def test_a_cross_site_post_is_refused(self):
        for headers in [
            {"HTTP_ORIGIN": "https://evil.example"},
            {"HTTP_ORIGIN": "http://news.example.evil.example"},
            {"HTTP_SEC_FETCH_SITE": "cross-site"},
            {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "cross-site"},
        ]:
            with self.subTest(headers=headers):
                self.assertEqual(self.run_view(signup, **headers).status_code, 403)

    def test_without_origin_headers_it_falls_back_to_the_token(self):
        self.assertEqual(self.run_view(signup).status_code, 403)

    def test_other_views_still_need_the_token_even_from_the_same_origin(self):
        response = self.run_view(plain, HTTP_ORIGIN="http://news.example")
        self.assertEqual(response.status_code, 403)
