"""A replay's report three ways: a summary table in the terminal, a JSON file and an HTML page.
Every finding names its dossier, its place in the log (partition, offset), its kind and why."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

KIND_MEANINGS = {
    "schema": "not a valid event of the contract (JSON, fields, version, key)",
    "hash": "content does not match its hash: altered after it was written",
    "signature": "unsigned, or the signature does not verify",
    "key": "unknown key, or key not valid (expired, revoked) at the event's time",
    "entitlement": "the key's service may not emit this type, or its scope (agency, or a "
                   "shared key's except_agencies) does not cover this dossier's agency",
    "duplicate": "the same event id twice",
    "chain": "a cause missing, out of order, or not matching causation_hash",
    "lifecycle": "a transition the lifecycle does not allow",
    "deadline": "on-time flag that the appointment and result time contradict",
    "database": "status rebuilt from the log differs from intake's database",
}


def show(report: dict[str, Any], console: Console, *, listed: int = 20) -> None:
    summary = Table(title="Audit replay", show_header=False, title_justify="left")
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("source", report["source"])
    summary.add_row("events", f"{report['events']:,}")
    summary.add_row("dossiers", f"{report['dossiers']:,}")
    summary.add_row("events/s", f"{report['events_per_second']:,.0f} "
                                f"({report['workers']} process(es), {report['seconds']:.1f} s)")
    summary.add_row("statuses", ", ".join(f"{code}: {count:,}"
                                          for code, count in report["statuses"].items()) or "-")
    summary.add_row("on time / late", f"{report['deadlines']['on_time']:,} / "
                                      f"{report['deadlines']['late']:,}")
    received = report.get("received", {})
    for label, counts in (("received by agency", received.get("by_agency", {})),
                          ("received by unit", received.get("by_receiving_unit", {}))):
        summary.add_row(label, ", ".join(f"{name}: {count:,}" for name, count in
                                         counts.items()) or "-")
    imported, native = report.get("imported", {}), report.get("native", {})
    summary.add_row("native dossiers / events", f"{native.get('dossiers', 0):,} / "
                                                f"{native.get('events', 0):,}")
    summary.add_row("imported dossiers / events", f"{imported.get('dossiers', 0):,} / "
                                                  f"{imported.get('events', 0):,} (+"
                                                  f"{imported.get('continued_events', 0):,} "
                                                  "native events continuing them)")
    total = report["findings_total"]
    summary.add_row("findings", f"[bold {'red' if total else 'green'}]{total:,}[/]")
    console.print(summary)
    if not total:
        return
    kinds = Table(title="Findings by kind", title_justify="left")
    kinds.add_column("kind")
    kinds.add_column("count", justify="right")
    kinds.add_column("meaning")
    for kind, count in report["findings_by_kind"].items():
        kinds.add_row(kind, f"{count:,}", KIND_MEANINGS.get(kind, ""))
    console.print(kinds)
    first = Table(title=f"First {min(listed, len(report['findings']))} findings",
                  title_justify="left")
    for column in ("dossier", "partition", "offset", "kind", "reason"):
        first.add_column(column, overflow="fold")
    for finding in report["findings"][:listed]:
        first.add_row(finding["dossier_id"] or "-", _text(finding["partition"]),
                      _text(finding["offset"]), finding["kind"], finding["reason"])
    console.print(first)


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def write_html(report: dict[str, Any], path: Path) -> None:
    def cell(value: object) -> str:
        return f"<td>{html.escape(_text(value))}</td>"

    rows = "\n".join(
        "<tr>" + "".join(cell(f[name]) for name in
                         ("dossier_id", "partition", "offset", "kind", "event_type", "reason"))
        + "</tr>" for f in report["findings"])
    kinds = "\n".join(f"<tr>{cell(kind)}{cell(count)}{cell(KIND_MEANINGS.get(kind, ''))}</tr>"
                      for kind, count in report["findings_by_kind"].items())
    verdict = ("No finding: every event verified, every history legal." if not
               report["findings_total"] else f"{report['findings_total']:,} finding(s).")
    path.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>motcua audit replay</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}</style>
</head><body>
<h1>Audit replay</h1>
<p>{html.escape(report['source'])}: {report['events']:,} events, {report['dossiers']:,} dossiers,
{report['events_per_second']:,.0f} events/s.
Imported from the system being replaced: {report.get('imported', {}).get('dossiers', 0):,}
dossiers. On time {report['deadlines']['on_time']:,}, late
{report['deadlines']['late']:,}.</p>
<p><strong>{html.escape(verdict)}</strong></p>
<h2>Findings by kind</h2>
<table><tr><th>kind</th><th>count</th><th>meaning</th></tr>
{kinds}</table>
<h2>Findings</h2>
<table><tr><th>dossier</th><th>partition</th><th>offset</th><th>kind</th><th>event</th>
<th>reason</th></tr>
{rows}</table>
</body></html>
""")


def _text(value: object) -> str:
    return "-" if value is None else str(value)
