"""The reader pages' Jinja2 helpers, registered with newsroom/jinja2.py's
environment when the app is ready (articles/apps.py).

Built on the functions of the Django tags and filters (articles/templatetags/),
so both engines print the same thing.
"""

from jinja2 import pass_context, pass_environment
from markupsafe import Markup

from articles import seo
from articles.links import static_url, url
from articles.templatetags import labels, reader, richtext
from newsroom import jinja2


@pass_environment
def picture(environment, fieldfile, renditions, width, height, **options):
    """The responsive <picture> of reader.picture, rendered by its macro file."""
    context = reader.picture(fieldfile, renditions, width, height, **options)
    if not context.get("src"):
        return Markup("")
    # render() gives a plain str: mark it safe, or autoescape prints the tags.
    return Markup(environment.get_template("includes/picture.html").render(context))


@pass_context
def page_href(context, number):
    """A link to page `number` of this list; page 1 is the bare path."""
    return reader.page_href(context, number)


def register() -> None:
    jinja2.register(
        globals={
            "url": url,
            "static": static_url,
            "picture": picture,
            "page_href": page_href,
        },
        filters={
            "as_label": labels.as_label,
            "rich": richtext.rich,
            "rich_inline": richtext.rich_inline,
            "w3c_datetime": reader.w3c_datetime,
            "json_ld": seo.json_ld_script,
        },
    )
