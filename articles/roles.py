"""Editorial roles: the groups staff accounts join, and what each may do.

- Writer: writes briefs and submits them for review; sees and edits only the
  briefs they created or have a byline on, and only until they are published.
- Editor: edits every brief, publishes, schedules, unpublishes, corrects.
- Newsletter editor: builds and sends newsletters; reads briefs. Never
  deletes a subscription or touches the consent log (WITHHELD): readers are
  unsubscribed, or erased on request, and their history stays.

A migration creates the groups; `sync_roles` runs again after every
`migrate` so that models added later (the newsletter's, say) are granted to
the roles that own them. Syncing only adds: to give a role less, change
ROLES here, and remove the permission from the group.
"""

from django.apps import apps as global_apps

ALL = "__all__"
WRITER, EDITOR, NEWSLETTER_EDITOR = "Writer", "Editor", "Newsletter editor"
READ = ["view"]
EDIT = ["add", "change", "delete", "view"]

ROLES: dict[str, dict[str, str | dict[str, list[str]]]] = {
    WRITER: {
        "articles": {
            "article": ["add", "change", "view"],
            "section": EDIT,
            "bullet": EDIT,
            "byline": EDIT,
            "previewlink": ["add", "change", "view"],
            "revision": READ,
            "correction": READ,
            "category": READ,
            "topic": READ,
            "author": READ,
            "sectionlabel": READ,
        },
    },
    EDITOR: {
        "articles": ALL,
    },
    NEWSLETTER_EDITOR: {
        "newsletter": ALL,
        "articles": {
            "article": READ,
            "section": READ,
            "bullet": READ,
            "byline": READ,
            "correction": READ,
            "category": READ,
            "topic": READ,
            "author": READ,
            "sectionlabel": READ,
        },
    },
}


# Held by no role, whatever ROLES grants: the consent log is append-only.
WITHHELD: dict[str, list[str]] = {
    "newsletter": [
        "delete_subscription",
        "add_subscriptionevent",
        "change_subscriptionevent",
        "delete_subscriptionevent",
    ],
}


def sync_roles(apps=global_apps, using: str = "default") -> None:
    """Create the role groups and grant each the permissions ROLES lists
    (less WITHHELD)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = []
        for app_label, models in grants.items():
            perms = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label)
                .exclude(codename__in=WITHHELD.get(app_label, []))
            )
            if models == ALL:
                wanted += list(perms)
                continue
            for model, actions in models.items():
                wanted += list(
                    perms.filter(
                        content_type__model=model,
                        codename__in=[f"{action}_{model}" for action in actions],
                    )
                )
        group.permissions.add(*wanted)


def sync_after_migrate(sender, using="default", apps=global_apps, **kwargs):
    """post_migrate: runs once the permissions of `sender` exist."""
    if sender.label in {label for grants in ROLES.values() for label in grants}:
        sync_roles(apps, using)
