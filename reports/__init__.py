"""Reports on a results file: typed rows, a self-contained HTML page and machine-readable exports.

Everything here reads the JSON Lines results written by ``conformance run``; nothing re-runs a
case except the reproducer scripts embedded in the HTML report.
"""

from reports.delta import BaselineDelta, baseline_delta
from reports.html import render_html, write_html
from reports.rows import CaseRow, Environment, ObservationRow, ReportData, build_report

__all__ = [
    "BaselineDelta",
    "CaseRow",
    "Environment",
    "ObservationRow",
    "ReportData",
    "baseline_delta",
    "build_report",
    "render_html",
    "write_html",
]
