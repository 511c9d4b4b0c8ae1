import io
import re
import struct
import zlib
from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.utils import timezone
from PIL import Image

from articles.models import Article, Author
from tests.factories import make_article, make_author, make_category
from tests.helpers import DUMMY_TASKS, IMMEDIATE_TASKS, MediaRootMixin
from tests.imagefiles import GPS_IFD, image_bytes, upload


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares `width`×`height`: a decompression bomb's shape."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


class HeroForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["headline", "slug", "hero_image", "hero_alt"]


@override_settings(TASKS=DUMMY_TASKS)
class UploadValidationTests(MediaRootMixin, TestCase):
    def form(self, name, data, alt="A harbour at dawn", content_type="image/jpeg"):
        return HeroForm(
            data={"headline": "H", "slug": "h", "hero_alt": alt},
            files={"hero_image": SimpleUploadedFile(name, data, content_type)},
        )

    def error(self, name, data, **kwargs) -> str:
        form = self.form(name, data, **kwargs)
        self.assertFalse(form.is_valid())
        return " ".join(form.errors["hero_image"])

    def test_a_sound_jpeg_png_webp_or_gif_is_accepted(self):
        for fmt, name in [
            ("JPEG", "a.jpg"),
            ("PNG", "a.png"),
            ("WEBP", "a.webp"),
            ("GIF", "a.gif"),
        ]:
            with self.subTest(fmt=fmt):
                form = self.form(name, image_bytes(fmt, (300, 200)))
                self.assertTrue(form.is_valid(), form.errors)

    def test_a_text_file_named_jpg_is_a_form_error(self):
        message = self.error("photo.jpg", b"this is not an image at all" * 50)
        self.assertIn("image", message.lower())

    def test_formats_outside_the_list_are_refused(self):
        for fmt in ["BMP", "TIFF"]:
            with self.subTest(fmt=fmt):
                message = self.error(f"a.{fmt.lower()}", image_bytes(fmt, (50, 50)))
                self.assertIn("JPEG, PNG, WebP, GIF", message)

    def test_a_decompression_bomb_is_a_form_error_before_decoding(self):
        bomb = png_header_only(11_000, 11_000)  # 121 megapixels in ~1 KB
        self.assertLess(len(bomb), 2_000)
        message = self.error("bomb.png", bomb, content_type="image/png")
        self.assertIn("pixel", message)

    def test_the_pixel_limit_is_a_setting(self):
        with self.settings(IMAGE_MAX_PIXELS=100 * 100):
            message = self.error("big.jpg", image_bytes("JPEG", (200, 200)))
        self.assertIn("200×200 pixels", message)

    def test_the_byte_limit_is_a_setting(self):
        with self.settings(IMAGE_MAX_BYTES=1_000):
            message = self.error("a.jpg", image_bytes("JPEG", (400, 400)))
        self.assertIn("MB", message)

    def test_a_truncated_image_is_a_form_error(self):
        data = image_bytes("JPEG", (800, 600))
        message = self.error("cut.jpg", data[: len(data) // 2])
        self.assertIn("damaged", message)

    def test_a_hero_image_needs_alt_text(self):
        form = self.form("a.jpg", image_bytes("JPEG", (300, 200)), alt="  ")
        self.assertFalse(form.is_valid())
        self.assertIn("Describe the hero image", " ".join(form.errors["hero_alt"]))
        article = make_article()
        article.full_clean()  # no image, no alt: fine


@override_settings(TASKS=DUMMY_TASKS)
class MetadataTests(MediaRootMixin, TestCase):
    def stored(self, fieldfile) -> Image.Image:
        with default_storage.open(fieldfile.name) as file:
            image = Image.open(io.BytesIO(file.read()))
            image.load()
            return image

    def test_location_and_camera_data_are_stripped_from_jpegs(self):
        data = image_bytes("JPEG", (640, 480), gps=True)
        self.assertTrue(Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD))
        article = make_article(hero_image=upload("gps.jpg", data), hero_alt="x")
        stored = self.stored(article.hero_image)
        self.assertEqual(dict(stored.getexif()), {})
        self.assertNotIn(
            b"PhoneMaker", default_storage.open(article.hero_image.name).read()
        )
        self.assertEqual((article.hero_width, article.hero_height), (640, 480))

    def test_location_is_stripped_from_webp_and_png_too(self):
        for fmt, name in [("WEBP", "gps.webp"), ("PNG", "gps.png")]:
            with self.subTest(fmt=fmt):
                data = image_bytes(fmt, (320, 240), gps=True)
                self.assertIn(b"PhoneMaker", data)
                author = make_author(photo=upload(name, data, f"image/{fmt.lower()}"))
                raw = default_storage.open(author.photo.name).read()
                self.assertNotIn(b"PhoneMaker", raw)
                self.assertEqual(self.stored(author.photo).format, fmt)

    def test_a_rotated_phone_photo_is_stored_upright(self):
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise to display
        data = image_bytes("JPEG", (400, 300), exif=exif.tobytes())
        article = make_article(hero_image=upload("turned.jpg", data), hero_alt="x")
        self.assertEqual(self.stored(article.hero_image).size, (300, 400))
        self.assertEqual((article.hero_width, article.hero_height), (300, 400))


@override_settings(TASKS=IMMEDIATE_TASKS)
class RenditionTests(MediaRootMixin, TestCase):
    def make(self, size=(1600, 900), fmt="JPEG", name="harbour.jpg"):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_article(
                slug="harbour",
                hero_image=upload(name, image_bytes(fmt, size), f"image/{fmt.lower()}"),
                hero_alt="Cranes at dawn",
            )
        article.refresh_from_db()
        return article

    def test_renditions_are_made_in_webp_and_the_original_format(self):
        article = self.make()
        items = article.hero_renditions["items"]
        self.assertEqual(
            sorted((i["width"], i["type"]) for i in items),
            [
                (480, "image/jpeg"),
                (480, "image/webp"),
                (800, "image/jpeg"),
                (800, "image/webp"),
                (1200, "image/jpeg"),
                (1200, "image/webp"),
            ],
        )
        for item in items:
            with default_storage.open(item["name"]) as file:
                image = Image.open(file)
                self.assertEqual(image.size, (item["width"], item["height"]))
                self.assertEqual(Image.MIME[image.format], item["type"])
        self.assertEqual(article.hero_renditions["source"], article.hero_image.name)

    def test_a_small_image_is_never_upscaled(self):
        article = self.make(size=(500, 300), fmt="PNG", name="small.png")
        self.assertEqual(
            sorted((i["width"], i["type"]) for i in article.hero_renditions["items"]),
            [(480, "image/png"), (480, "image/webp")],
        )

    def test_the_page_offers_srcset_sizes_and_dimensions(self):
        self.make()
        html = self.client.get("/briefs/harbour/").content.decode()
        figure = html.split('class="brief__hero"')[1].split("</figure>")[0]
        self.assertRegex(
            figure,
            r'<source type="image/webp" srcset="[^"]+-480\.webp 480w, [^"]+-800\.webp 800w, [^"]+-1200\.webp 1200w" sizes="[^"]+">',
        )
        img = re.search(r"<img [^>]+>", figure).group(0)
        self.assertIn('width="1600" height="900"', img)
        self.assertIn('alt="Cranes at dawn"', img)
        self.assertIn("1600w", img)  # the original is the widest candidate
        self.assertIn('fetchpriority="high"', img)  # the hero is above the fold
        self.assertNotIn('loading="lazy"', img)

    def test_cards_below_the_lead_load_lazily(self):
        self.make()
        with self.captureOnCommitCallbacks(execute=True):
            make_article(slug="newer", hero_image=upload("b.jpg"), hero_alt="Another")
        html = self.client.get("/").content.decode()
        imgs = re.findall(r'<img [^>]*class="card__image"[^>]*>', html)
        self.assertEqual(len(imgs), 2)
        self.assertIn('fetchpriority="high"', imgs[0])
        self.assertIn('loading="lazy"', imgs[1])

    def test_a_list_fetches_its_first_card_image_first_and_the_rest_lazily(self):
        category = make_category(slug="ports")
        with self.captureOnCommitCallbacks(execute=True):
            for n in range(3):
                make_article(
                    slug=f"port-{n}",
                    category=category,
                    hero_image=upload(f"p{n}.jpg"),
                    hero_alt="A quay",
                    published_at=timezone.now() - timedelta(hours=n + 1),
                )
        for path in ["/category/ports/", "/?page=2"]:
            with self.subTest(path=path), self.settings(ARTICLES_PER_PAGE=2):
                html = self.client.get(path).content.decode()
                imgs = re.findall(r'<img [^>]*class="card__image"[^>]*>', html)
                self.assertGreaterEqual(len(imgs), 1)
                # Lighthouse's lcp-lazy-loaded: the largest image on the
                # first screen must not wait for layout.
                self.assertIn('fetchpriority="high"', imgs[0])
                self.assertNotIn('loading="lazy"', imgs[0])
                for img in imgs[1:]:
                    self.assertIn('loading="lazy"', img)
                    self.assertNotIn("fetchpriority", img)

    def test_an_author_photo_is_the_author_pages_sharing_image(self):
        with self.captureOnCommitCallbacks(execute=True):
            author = make_author(slug="ada", name="Ada", photo=upload("ada.jpg"))
        html = self.client.get(author.get_absolute_url()).content.decode()
        self.assertRegex(html, r'<meta property="og:image" content="[^"]*ada[^"]*">')
        self.assertIn('<meta property="og:image:alt" content="Ada">', html)

    def test_a_replaced_image_drops_the_old_renditions(self):
        article = self.make()
        with (
            override_settings(TASKS=DUMMY_TASKS),
            self.captureOnCommitCallbacks(execute=True),
        ):
            article.hero_image = upload("new.jpg", image_bytes("JPEG", (1000, 500)))
            article.save()
        article.refresh_from_db()
        html = self.client.get("/briefs/harbour/").content.decode()
        figure = html.split('class="brief__hero"')[1].split("</figure>")[0]
        self.assertNotIn("srcset", figure)  # until the new renditions exist
        self.assertIn('width="1000" height="500"', figure)

    def test_replacing_an_image_deletes_its_old_resized_copies(self):
        article = self.make()
        old_original = article.hero_image.name
        old_copies = [i["name"] for i in article.hero_renditions["items"]]
        with self.captureOnCommitCallbacks(execute=True):
            article.hero_image = upload("new.jpg", image_bytes("JPEG", (1000, 500)))
            article.save()
        article.refresh_from_db()
        self.assertFalse(any(default_storage.exists(name) for name in old_copies))
        # The original stays: a revision can bring it back.
        self.assertTrue(default_storage.exists(old_original))
        new_copies = [i["name"] for i in article.hero_renditions["items"]]
        self.assertTrue(new_copies)
        self.assertTrue(all(default_storage.exists(name) for name in new_copies))

    def test_removing_an_image_deletes_its_resized_copies(self):
        article = self.make()
        copies = [i["name"] for i in article.hero_renditions["items"]]
        with self.captureOnCommitCallbacks(execute=True):
            article.hero_image = ""
            article.save()
        article.refresh_from_db()
        self.assertEqual(article.hero_renditions, {})
        self.assertFalse(any(default_storage.exists(name) for name in copies))

    def test_copies_still_described_by_another_row_are_kept(self):
        article = self.make()
        copies = [i["name"] for i in article.hero_renditions["items"]]
        make_author(
            photo=article.hero_image.name, photo_renditions=article.hero_renditions
        )
        with self.captureOnCommitCallbacks(execute=True):
            article.hero_image = ""
            article.save()
        self.assertTrue(all(default_storage.exists(name) for name in copies))

    def test_a_save_that_rolls_back_deletes_nothing(self):
        article = self.make()
        copies = [i["name"] for i in article.hero_renditions["items"]]
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            article.hero_image = ""
            article.save()
        self.assertTrue(callbacks)  # the deletion waits for a commit that never comes
        self.assertTrue(all(default_storage.exists(name) for name in copies))


@override_settings(TASKS=DUMMY_TASKS)
class BeforeRenditionsTests(MediaRootMixin, TestCase):
    def test_the_original_shows_with_its_dimensions(self):
        with self.captureOnCommitCallbacks(execute=True):
            make_article(slug="fresh", hero_image=upload("a.jpg"), hero_alt="Alt")
        html = self.client.get("/briefs/fresh/").content.decode()
        figure = html.split('class="brief__hero"')[1].split("</figure>")[0]
        self.assertIn('width="1600" height="900"', figure)
        self.assertNotIn("<picture>", figure)

    def test_author_photos_are_validated_too(self):
        author = Author(name="A", slug="a", photo=SimpleUploadedFile("me.jpg", b"nope"))
        author.photo._committed = False
        with self.assertRaises(ValidationError) as caught:
            author.full_clean()
        self.assertIn("photo", caught.exception.message_dict)


@override_settings(TASKS=DUMMY_TASKS)
class StoredExtensionTests(MediaRootMixin, TestCase):
    """A stored image's name ends in the format Pillow found, whatever the
    upload was called: servers pick the Content-Type from that ending."""

    def served_type(self, name: str) -> str:
        from django.test import RequestFactory
        from django.views.static import serve

        response = serve(RequestFactory().get("/"), name, document_root=self.media)
        # Only the file: response.close() would signal request_finished,
        # which closes the test's database connection.
        response.file_to_stream.close()
        return response["Content-Type"]

    def test_a_png_named_eps_is_stored_as_png_and_served_as_image_png(self):
        form = HeroForm(
            data={"headline": "H", "slug": "h", "hero_alt": "A harbour"},
            files={
                "hero_image": SimpleUploadedFile(
                    "x.eps", image_bytes("PNG", (64, 48)), "application/postscript"
                )
            },
        )
        self.assertTrue(form.is_valid(), form.errors)
        article = form.save()

        self.assertRegex(article.hero_image.name, r"^heroes/\d{4}/\d{2}/x[^/.]*\.png$")
        self.assertEqual(self.served_type(article.hero_image.name), "image/png")
        with default_storage.open(article.hero_image.name) as file:
            self.assertEqual(Image.open(file).format, "PNG")

    def test_an_author_photo_gets_the_extension_of_its_format(self):
        author = make_author(photo=upload("me.png", image_bytes("JPEG", (40, 40))))
        self.assertTrue(author.photo.name.endswith(".jpg"), author.photo.name)
        self.assertEqual(self.served_type(author.photo.name), "image/jpeg")

    def test_a_name_that_already_fits_its_format_is_kept(self):
        for name, fmt in [("harbour.jpeg", "JPEG"), ("Harbour.PNG", "PNG")]:
            with self.subTest(name=name):
                article = make_article(
                    hero_image=upload(name, image_bytes(fmt, (40, 40))), hero_alt="x"
                )
                stem, ext = name.rsplit(".", 1)
                self.assertRegex(article.hero_image.name, rf"/{stem}[^/.]*\.{ext}$")
