"""Background work for the reader site: image renditions.

Uploads are cleaned (metadata stripped) synchronously before they are
stored; resizing runs in the task worker after the transaction commits, so a
save in the admin returns at once.
"""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.tasks import task

from articles import images

# Model label → {image field: the JSON field that describes its renditions}.
IMAGE_FIELDS = {
    "articles.Article": {"hero_image": "hero_renditions"},
    "articles.Author": {"photo": "photo_renditions"},
}


@task()
def make_renditions(model_label: str, pk: int, field_name: str) -> int:
    """Resize one stored image; returns how many files were written."""
    model = apps.get_model(model_label)
    obj = model.objects.filter(pk=pk).only(field_name).first()
    if obj is None:
        return 0
    fieldfile = getattr(obj, field_name)
    if not fieldfile:
        return 0
    renditions = images.build_renditions(fieldfile)
    # Only if the image is still the one we resized: an editor may have
    # replaced it meanwhile, and that upload has its own task.
    target = IMAGE_FIELDS[model_label][field_name]
    updated = model.objects.filter(pk=pk, **{field_name: fieldfile.name}).update(
        **{target: renditions}
    )
    if updated:
        # update() sends no signal: pages must still learn of the new srcset.
        from articles.signals import content_changed

        content_changed(sender=model)
    return len(renditions["items"])


def _clean_uploads(sender, instance, raw=False, **kwargs):
    if raw:
        return
    for field_name, target in IMAGE_FIELDS.get(sender._meta.label, {}).items():
        fieldfile = getattr(instance, field_name)
        if fieldfile and not fieldfile._committed:
            images.clean_upload(instance, field_name)
            setattr(instance, target, {})


def _enqueue_renditions(sender, instance, raw=False, **kwargs):
    """Resize any image whose renditions are missing or of another file.

    Comparing names (not "was it uploaded now") also covers images stored by
    code, such as the demo seed.
    """
    if raw:
        return
    label = sender._meta.label
    for field_name, target in IMAGE_FIELDS.get(label, {}).items():
        fieldfile = getattr(instance, field_name)
        renditions = getattr(instance, target) or {}
        if fieldfile and renditions.get("source") != fieldfile.name:
            transaction.on_commit(
                lambda f=field_name, pk=instance.pk: make_renditions.enqueue(
                    label, pk, f
                )
            )


def connect_receivers() -> None:
    for label in IMAGE_FIELDS:
        model = apps.get_model(label)
        pre_save.connect(_clean_uploads, sender=model, dispatch_uid="images")
        post_save.connect(_enqueue_renditions, sender=model, dispatch_uid="images")
