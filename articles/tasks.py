"""Background work for the reader site: image renditions (the retries of
the work that follows a commit are in articles/followups.py).

Uploads are cleaned (metadata stripped) synchronously before they are
stored; resizing runs in the task worker after the transaction commits, so a
save in the admin returns at once.
"""

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.tasks import task

from articles import images, invalidation, rendering

# Retries queued before the task moved to articles/followups.py name it here.
from articles.followups import retry_follow_up  # noqa: F401

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
    if not updated:
        # Replaced meanwhile: these copies describe nothing any more.
        delete_renditions(renditions)
        return 0
    if model_label == "articles.Article":
        # The stored page shows the hero picture with its srcset.
        rendering.store([pk])
    # update() sends no signal: pages must still learn of the new srcset.
    invalidation.content_changed(sender=model, pk=pk)
    return len(renditions["items"])


def _in_use(source: str) -> bool:
    """Whether any stored row still describes renditions of `source`."""
    for label, fields in IMAGE_FIELDS.items():
        model = apps.get_model(label)
        for target in fields.values():
            if model.objects.filter(**{f"{target}__source": source}).exists():
                return True
    return False


def delete_renditions(renditions: dict) -> int:
    """Delete the resized copies `renditions` lists, unless a row still uses them.

    The original stays: a revision may bring it back, and its renditions are
    then made again.
    """
    source = (renditions or {}).get("source")
    if not source or _in_use(source):
        return 0
    deleted = 0
    for item in renditions.get("items", []):
        try:
            default_storage.delete(item["name"])
            deleted += 1
        except OSError:
            pass  # already gone, or storage unreachable: leave it
    return deleted


def _clean_uploads(sender, instance, raw=False, **kwargs):
    """Strip metadata from new uploads; forget renditions of a replaced image.

    Renditions describing another file than the one being saved (replaced,
    removed or restored to an older one) are dropped from the row, and their
    files deleted once the save has committed.
    """
    if raw:
        return
    for field_name, target in IMAGE_FIELDS.get(sender._meta.label, {}).items():
        fieldfile = getattr(instance, field_name)
        if fieldfile and not fieldfile._committed:
            images.clean_upload(instance, field_name)
        renditions = getattr(instance, target) or {}
        if renditions.get("source", "") != (fieldfile.name or ""):
            setattr(instance, target, {})
            if renditions.get("items"):
                # Robust: failing, it must not skip the callbacks after it
                # (the search index and the page cache, articles/followups.py).
                transaction.on_commit(
                    lambda r=renditions: delete_renditions(r), robust=True
                )


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
                ),
                robust=True,
            )


def connect_receivers() -> None:
    for label in IMAGE_FIELDS:
        model = apps.get_model(label)
        pre_save.connect(_clean_uploads, sender=model, dispatch_uid="images")
        post_save.connect(_enqueue_renditions, sender=model, dispatch_uid="images")
