"""Uploaded images: validation, metadata stripping and resized renditions.

Pillow decodes whatever it is given, so an upload is checked before anything
decodes it in full: an allowed format, a byte limit and a pixel limit (a small
PNG can declare 100+ megapixels and cost gigabytes to resize). A new upload is
then re-encoded without its metadata, which is where phones keep the place a
photo was taken. Renditions (several widths, WebP plus the original format)
are made in the background by articles.tasks; until they exist, pages show
the original at its stored width and height.
"""

import hashlib
import io
import posixpath
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

MIME_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# Endings a stored file of each format may keep as the editor named it.
KNOWN_ENDINGS = {
    "JPEG": {"jpg", "jpeg"},
    "PNG": {"png"},
    "WEBP": {"webp"},
    "GIF": {"gif"},
}
DISPLAY_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
# Animated images are bounded by all their frames' pixels, not the first's.
ANIMATION_PIXEL_FACTOR = 4


def _is_new_upload(value) -> bool:
    # A stored file is not validated again on every save of its model.
    return bool(value) and not getattr(value, "_committed", True)


def open_image(file) -> Image.Image:
    """Open `file` with Pillow, or raise ValidationError saying what is wrong.

    Only the header is read; the caller decides whether to decode.
    """
    formats = settings.IMAGE_FORMATS
    max_pixels = settings.IMAGE_MAX_PIXELS
    names = ", ".join(DISPLAY_NAMES.get(f, f) for f in formats)
    file.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=formats)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ValidationError(
                "This image is too large in pixels to process safely.",
                code="image_too_many_pixels",
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ValidationError(
                f"This file is not an image we can use. Upload a {names} file.",
                code="image_invalid",
            ) from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        megapixels = width * height / 1_000_000
        raise ValidationError(
            f"This image is {width}×{height} pixels ({megapixels:.0f} megapixels); "
            f"the limit is {max_pixels / 1_000_000:.0f} megapixels. "
            "Resize it and upload it again.",
            code="image_too_many_pixels",
        )
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and width * height * frames > max_pixels * ANIMATION_PIXEL_FACTOR:
        raise ValidationError(
            f"This animation has too many frames ({frames}) at its size.",
            code="image_too_many_pixels",
        )
    return image


def validate_image(value) -> None:
    """Model field validator: a new upload must be a sound image within limits."""
    if not _is_new_upload(value):
        return
    max_bytes = settings.IMAGE_MAX_BYTES
    size = getattr(value, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            f"This file is {size / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB.",
            code="image_too_big",
        )
    file = value.file
    position = file.tell()
    file.seek(0)
    # A copy in memory (within the byte limit): Pillow closes what it reads.
    data = io.BytesIO(file.read(max_bytes + 1))
    file.seek(position)
    image = open_image(data)
    try:
        # Decode fully (within the pixel cap) so a truncated file is a form
        # error now, not a failure later in the background.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning):
        raise ValidationError(
            "This image is damaged or incomplete. Export it again and upload it.",
            code="image_invalid",
        ) from None
    finally:
        image.close()


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    # Empty metadata arguments: Pillow copies some of it (comments, XMP)
    # from the source image unless told otherwise.
    if fmt in {"JPEG", "WEBP"}:
        options.setdefault("exif", b"")
        options.setdefault("xmp", b"")
    if fmt == "JPEG":
        options.setdefault("comment", b"")
    if fmt == "PNG":
        options.setdefault("exif", b"")
    image.save(out, fmt, **options)
    return out.getvalue()


def strip_metadata(image: Image.Image) -> tuple[bytes, tuple[int, int]]:
    """Re-encode `image` in its own format with no EXIF, XMP or comments.

    The colour profile stays (it is not about the reader or the place). A
    JPEG keeps its quantisation tables, so it loses next to nothing; one
    rotated by its EXIF orientation is turned upright first, since the tag
    that rotated it goes.
    """
    fmt = image.format
    icc = image.info.get("icc_profile")
    options = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        orientation = image.getexif().get(0x0112, 1)
        if orientation in (None, 1):
            data = _encode(image, "JPEG", quality="keep", subsampling="keep", **options)
            return data, image.size
        upright = ImageOps.exif_transpose(image)
        return _encode(upright, "JPEG", quality=90, **options), upright.size
    if fmt in {"GIF", "WEBP"} and getattr(image, "n_frames", 1) > 1:
        options["save_all"] = True
    if fmt == "WEBP":
        options.setdefault("quality", 90)
    if fmt == "GIF":
        options["comment"] = b""
    return _encode(image, fmt, **options), image.size


def name_for_format(name: str, fmt: str) -> str:
    """`name` ending in an extension of `fmt`: "x.eps" holding a PNG → "x.png".

    Web servers (and Django's static view) choose the Content-Type from the
    extension, so a PNG stored as .eps would go out as PostScript.
    """
    stem, ext = posixpath.splitext(name)
    if ext[1:].lower() in KNOWN_ENDINGS.get(fmt, ()):
        return name
    return f"{stem}.{EXTENSIONS[fmt]}"


def clean_upload(instance, field_name: str) -> None:
    """Replace a new upload on `instance` by a metadata-free copy (pre_save)."""
    fieldfile = getattr(instance, field_name)
    if not _is_new_upload(fieldfile):
        return
    file = fieldfile.file
    file.seek(0)
    with Image.open(file, formats=settings.IMAGE_FORMATS) as image:
        fmt = image.format
        data, (width, height) = strip_metadata(image)
    name = name_for_format(fieldfile.name, fmt)
    fieldfile.name = name
    fieldfile.file = ContentFile(data, name=name)
    field = instance._meta.get_field(field_name)
    if field.width_field:
        setattr(instance, field.width_field, width)
    if field.height_field:
        setattr(instance, field.height_field, height)


def _rendition_stem(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    stem = posixpath.splitext(posixpath.basename(name))[0][:40]
    return f"renditions/{digest[:2]}/{digest}/{stem}"


def _save(name: str, data: bytes) -> str:
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def build_renditions(fieldfile, widths=None) -> dict:
    """Write resized copies of a stored image and describe them.

    Returns {"source": name, "width", "height", "bytes", "type", "items": [...]}
    where each item is {"name", "width", "height", "type"}. Widths at or
    above the original's are skipped: upscaling only adds bytes.
    """
    widths = sorted(widths or settings.IMAGE_RENDITION_WIDTHS)
    name = fieldfile.name
    with default_storage.open(name, "rb") as file:
        image = open_image(file)
        fmt = image.format
        animated = getattr(image, "n_frames", 1) > 1
        image = ImageOps.exif_transpose(image)
        size = default_storage.size(name)
        result = {
            "source": name,
            "width": image.width,
            "height": image.height,
            "bytes": size,
            "type": MIME_TYPES[fmt],
            "items": [],
        }
        if animated:
            # A still rendition of an animation would change what it shows.
            return result
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha else "RGB")
        fallback = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "PNG"}.get(fmt)
        stem = _rendition_stem(name)
        for width in widths:
            if width >= result["width"]:
                break
            height = max(1, round(result["height"] * width / result["width"]))
            resized = image.resize((width, height), Image.Resampling.LANCZOS)
            outputs = [("WEBP", {"quality": 80, "method": 4})]
            if fallback == "JPEG":
                outputs.append(("JPEG", {"quality": 82, "optimize": True}))
            elif fallback == "PNG":
                outputs.append(("PNG", {"optimize": True}))
            for out_fmt, options in outputs:
                stored = _save(
                    f"{stem}-{width}.{EXTENSIONS[out_fmt]}",
                    _encode(resized, out_fmt, **options),
                )
                result["items"].append(
                    {
                        "name": stored,
                        "width": width,
                        "height": height,
                        "type": MIME_TYPES[out_fmt],
                    }
                )
    return result


def current_renditions(fieldfile, renditions) -> list[dict]:
    """The renditions that belong to the file now stored (none if replaced)."""
    if not fieldfile or not renditions:
        return []
    if renditions.get("source") != fieldfile.name:
        return []
    return renditions.get("items", [])
