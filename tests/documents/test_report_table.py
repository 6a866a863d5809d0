"""The II.06a table, one template (motcua_documents/templates/report_06a.html) that both the
operations centre's report and the workspace's managers' report render: every group then the
total, the figures in the columns under their headings, late counts marked, the group's code
after its name (not for the total, nor by field), each page's own number format and CSS; and
neither page keeps a copy of the table of its own."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from importlib.resources import files

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_documents.report_06a import DossierRow, Period, RatingRow, compile_report
from motcua_documents.templates import shared_loader
from motcua_operations.public import templates as operations_templates
from motcua_workspace.context import _templates as workspace_templates

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 12, 6, 10, tzinfo=VN)
GROUPS = {"agency": "Cơ quan giải quyết", "field": "Lĩnh vực"}


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=VN)


def report(by: str = "agency") -> dict:
    rows = [
        # STP: one resolved late (after its appointment), one in progress past it.
        DossierRow("2.000488", "STP", "online", at(1), 10, first_due_at=at(2, 17),
                   ended_at=at(3)),
        DossierRow("2.000488", "STP", "counter", at(1), 4, first_due_at=at(4, 17)),
        # SKHDT: refused, nothing late.
        DossierRow("2.001610", "SKHDT", "online", at(3), 3, ended_at=at(3, 11))]
    ratings = [RatingRow("2.000488", "STP", [2, 2, 2, 2, 2, 2, 2, 2, 0], "satisfied")]
    return compile_report(rows, ratings, period=Period(date(2026, 12, 1), date(2026, 12, 6)),
                          by=by, catalogue=default_catalogue(), calendar=WorkingCalendar(),
                          now=NOW)


def rendered(by: str = "agency", **look: object) -> str:
    environment = Environment(loader=shared_loader(), autoescape=select_autoescape(["html"]))
    table = environment.get_template("documents/report_06a.html").module.table
    return str(table(report(by), by, GROUPS, {
        "table_class": "t", "key": lambda code: f"[{code}]",
        "percent": lambda v: "-" if v is None else f"{v}pc",
        "days": lambda v: "-" if v is None else f"{v}d",
        "score": lambda v: "-" if v is None else f"{v}s", **look}))


def rows_of(html: str) -> dict[str, tuple[str, list[str]]]:
    """data-key -> (the row's heading, its cells as (class, text))."""
    return {key: (re.sub(r"<[^>]+>", "", head),
                  re.findall(r"<td(?: class=\"(\w+)\")?>([^<]*)</td>", cells))
            for key, head, cells in re.findall(
                r'<tr(?: class="total")? data-key="([^"]+)">\s*<th scope="row">(.*?)</th>'
                r"(.*?)</tr>", html, re.S)}


def test_every_group_then_the_total_with_its_figures_under_the_headings():
    html = rendered()
    assert '<table class="t" id="bao-cao">' in html and "<caption" not in html
    assert html.count('<th scope="col"') == 19  # 7 spanning two rows, 12 under the groups
    rows = rows_of(html)
    assert list(rows) == ["SKHDT", "STP", "*"]
    assert '<tr class="total" data-key="*">' in html
    head, cells = rows["STP"]
    assert head.startswith("Sở Tư pháp tỉnh Lào Cai") and head.endswith(" [STP]")
    assert rows["*"][0] == "Tổng cộng"  # no code for the total
    # received 2 (0 carried over, 1 online, 1 counter, 0 postal); resolved 1, late; in
    # progress 1, late; none refused or stopped; 0 % on time, 1 online of 2, one rating.
    assert [text for _, text in cells] == [
        "2", "0", "1", "1", "0", "1", "0", "0", "1", "1", "0", "1", "0", "0",
        "0.0pc", f"{report()['groups'][1]['average_processing_days']}d", "50.0pc",
        "88.9s (1)"]
    assert [i for i, (css, _) in enumerate(cells) if css == "late"] == [8, 11]
    skhdt = [text for _, text in rows["SKHDT"][1]]
    assert skhdt[12] == "1" and skhdt[14:] == ["-", "-", "100.0pc", "- (0)"]
    assert not any(css for css, _ in rows["SKHDT"][1])


def test_by_field_the_groups_have_no_code_and_a_caption_is_the_pages_own():
    html = rendered("field", caption=lambda: Markup("<caption>by field</caption>"))
    assert html.index("<caption>by field</caption>") < html.index("<thead>")
    assert "Lĩnh vực</th>" in html
    assert not any(head.endswith("]") for head, _ in rows_of(html).values())


def test_both_pages_render_the_shared_table_in_their_own_look():
    for environment, template, values, look in (
            (operations_templates(), "report.html",
             {"chosen": {"tu": "2026-12-01", "den": "2026-12-06", "theo": "agency"},
              "hidden": {}, "centre": None},
             ('<table class="report-06a" id="bao-cao">', "tỉnh Lào Cai <small>(STP)</small>",
              "0,0\u00a0%", "88,9 (1)", "<td>–</td>")),
            (workspace_templates(), "report.html",
             {"filters": {"tu": "2026-12-01", "den": "2026-12-06", "theo": "agency"},
              "who": None, "period": ("01/12/2026", "06/12/2026"),
              "request": type("R", (), {"url": type("U", (), {"path": "/quan-ly/bao-cao"})})},
             ('<table class="report" id="bao-cao">',
              'tỉnh Lào Cai <span class="muted">(STP)</span>',
              "<td>0,0%</td>", "88,9 (1)", "<td>—</td>",
              '<caption class="visually-hidden">Số liệu theo cơ quan giải quyết</caption>'))):
        source = environment.loader.get_source(environment, template)[0]
        assert "Số hồ sơ nhận giải quyết" not in source  # no copy of the table of its own
        page = environment.get_template(template).render(
            report=report(), groups=GROUPS, problem=None, **values)
        for expected in look:
            assert expected in page, (template, expected)
        assert rows_of(page).keys() == {"SKHDT", "STP", "*"}


def test_the_shared_template_ships_in_the_package():
    assert (files("motcua_documents") / "templates" / "report_06a.html").is_file()
