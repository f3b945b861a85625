"""Links to the ledger filtered to the cases behind a figure (分析研判, the statistics table, the dashboard).

A figure describes its cases as criteria (`services.analysis.Criteria`): accepted=(start, end), org=id,
type=id, outcome=…, difficulty=…, risk=…, group, overdue, prevented_crime, prevented_petition. Each is
one of the ledger's list filters, found by its Chinese name in the running view, so the link keeps working
when filters are added or reordered. A criterion the ledger cannot filter by gives no link (None).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, url_for

#: criterion -> (the ledger filter's name, how the value is written in the URL).
FILTERS: dict[str, tuple[str, Any]] = {
    "accepted": ("受理日期", lambda span: f"{span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}"),
    "org": ("承办组织（含下级）", str),
    "type": ("纠纷类型", str),
    "outcome": ("调解结果", str),
    "difficulty": ("难易程度", str),
    "risk": ("风险等级", str),
    "group": ("群体性纠纷", lambda on: "1" if on else "0"),
    "overdue": ("超期", lambda on: "1" if on else "0"),
    "prevented_crime": ("防止民转刑", lambda on: "1" if on else "0"),
    "prevented_petition": ("防止群体性上访", lambda on: "1" if on else "0"),
    # The dashboard's (portal/admin/ledger/figure_filters.py and the warnings of the ledger).
    "status": ("办理状态", str),
    "progress": ("办理进度", str),
    "org_own": ("承办组织（仅本级）", str),
    "colour": ("预警颜色", str),
    "supervised": ("督办", lambda on: "1" if on else "0"),
    # 三调联动 (portal/admin/ledger/extra_filters.py).
    "liaison": ("对接类型", str),
}
LEDGER = "cases"


def _filter_keys(endpoint: str) -> dict[str, str] | None:
    """Return {filter name: its URL key} of the ledger view, once per request."""
    cache = g.setdefault("ledger_filter_keys", {})
    if endpoint not in cache:
        view = next(
            (
                v
                for admin in current_app.extensions.get("admin", [])
                for v in admin._views
                if getattr(v, "endpoint", None) == endpoint
            ),
            None,
        )
        args = getattr(view, "_filter_args", None) or {}
        cache[endpoint] = {str(flt.name): key for key, (_index, flt) in args.items()}
    return cache[endpoint]


def ledger_url(criteria: dict[str, Any] | None, endpoint: str = LEDGER) -> str | None:
    """Return the ledger's URL filtered by `criteria`, or None when one of them is not a ledger filter."""
    if criteria is None:
        return None
    keys = _filter_keys(endpoint) or {}
    args: dict[str, Any] = {}
    for position, (name, value) in enumerate(criteria.items()):
        if name not in FILTERS:
            return None
        label, write = FILTERS[name]
        if label not in keys:
            return None
        args[f"flt{position}_{keys[label]}"] = write(value)
    return url_for(f"{endpoint}.index_view", **args)


def list_url(endpoint: str, filters: dict[str, str]) -> str | None:
    """Return a list view's URL filtered by {filter's Chinese name: value}, or None if one is missing."""
    keys = _filter_keys(endpoint) or {}
    args: dict[str, Any] = {}
    for position, (name, value) in enumerate(filters.items()):
        if name not in keys:
            return None
        args[f"flt{position}_{keys[name]}"] = value
    return url_for(f"{endpoint}.index_view", **args)
