"""Real image files made with Pillow for upload and rendition tests."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825


def image_bytes(fmt="JPEG", size=(1600, 900), *, gps=False, mode="RGB", **save):
    image = Image.new(mode, size, (200, 60, 40) if mode == "RGB" else None)
    # A gradient, so encoders have something real to compress.
    for x in range(0, size[0], max(1, size[0] // 16)):
        image.paste((x % 255, 90, 160), (x, 0, x + 4, size[1]))
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif.get_ifd(GPS_IFD).update(
            {1: "N", 2: (45.0, 26.0, 9.0), 3: "E", 4: (12.0, 19.0, 58.0)}
        )
        save["exif"] = exif.tobytes()
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def upload(name="photo.jpg", data=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data or image_bytes(), content_type=content_type)
