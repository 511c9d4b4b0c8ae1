"""The edition's results page in the admin and its CSV (EditionViews routes them).

The figures come from newsletter/results.py, as for `manage.py
edition_report`. The chart of the first 48 hours is an SVG drawn here: no
script, readable in both colour schemes, each bar titled with its figure.
"""

import csv
import io
from datetime import timedelta

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import slugify

from newsletter import results
from newsletter.exports import _cell

WIDTH, HEIGHT = 960, 240
TOP, BOTTOM, LEFT = 26, 28, 4


def chart(hourly: list[int], started_at) -> dict:
    """Bars for the clicks of each hour since sending started."""
    peak = max(hourly, default=0)
    plot = HEIGHT - TOP - BOTTOM
    step = (WIDTH - 2 * LEFT) / max(len(hourly), 1)
    bars = []
    for hour, value in enumerate(hourly):
        height = round(plot * value / peak, 1) if peak else 0
        x = round(LEFT + hour * step, 1)
        bars.append(
            {
                "hour": hour,
                "value": value,
                "x": round(x + step * 0.12, 1),
                "y": round(TOP + plot - height, 1),
                "width": round(step * 0.76, 1),
                "height": height,
                "label": f"+{hour}h" if hour % 6 == 0 else "",
                "label_x": round(x + step / 2, 1),
                "at": timezone.localtime(started_at + timedelta(hours=hour))
                if started_at
                else None,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": TOP + plot,
        "label_y": HEIGHT - 8,
        "peak": peak,
        "peak_y": TOP,
        "peak_label_y": TOP - 8,
        "bars": bars,
        "total": sum(hourly),
    }


def results_context(model_admin, request, edition) -> dict:
    """`model_admin`: the EditionAdmin (an AdminPageMixin)."""
    figures = results.edition_results(edition)
    top = max((link.clicks for link in figures.links), default=0)
    links = [
        {"figures": link, "share": round(100 * link.clicks / top) if top else 0}
        for link in figures.links
    ]
    return model_admin.page_context(
        request,
        f"Results: {edition.subject}",
        original=edition,
        edition=edition,
        results=figures,
        links=links,
        chart=chart(figures.hourly_clicks, figures.started_at),
        burst_seconds=results.setting("SCANNER_BURST_SECONDS", 2),
        after_send_minutes=results.setting("SCANNER_AFTER_SEND_SECONDS", 600) // 60,
    )


def results_view(model_admin, request, edition):
    return TemplateResponse(
        request,
        "newsletter/admin/edition_results.html",
        results_context(model_admin, request, edition),
    )


def results_csv_view(edition):
    """The per-link table, for a spreadsheet."""
    figures = results.edition_results(edition)
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csv.writer(out)
    writer.writerow(["link", "kind", "brief", "url", "clicks", "unique_clickers"])
    for link in sorted(figures.links, key=lambda f: f.position):
        writer.writerow(
            [
                _cell(v)
                for v in (
                    link.position + 1,
                    link.kind,
                    link.label,
                    link.url,
                    link.clicks,
                    link.unique_clickers,
                )
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(edition.subject)[:50] or "edition"
    response["Content-Disposition"] = (
        f'attachment; filename="results-{edition.pk}-{name}.csv"'
    )
    return response
