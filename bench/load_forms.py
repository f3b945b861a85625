"""HTML form reading for the load test: the fields a page's form would post, with their current values.

The virtual users of `bench/locustfile.py` fill forms as a browser would: every hidden field (the CSRF
token, `lock_version`), every prefilled value and default choice is posted back, and only what the user
types or picks is changed. Standard library only (html.parser), so the load generator stays light.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser


@dataclass
class Select:
    """A select: its options (value, label) in order, what is selected, and whether several may be."""

    options: list[tuple[str, str]] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    multiple: bool = False

    def choices(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label in self.options if value not in ("", "__None")]


@dataclass
class Form:
    """One <form>: its attributes, plain fields (name → value) and selects."""

    attrs: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    selects: dict[str, Select] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    maxima: dict[str, str] = field(default_factory=dict)

    def data(self) -> dict[str, str | list[str]]:
        """The fields as the browser posts them; a required select with no choice takes its first option."""
        posted: dict[str, str | list[str]] = dict(self.values)
        for name, select in self.selects.items():
            chosen = [value for value in select.selected if value not in ("", "__None")]
            if not chosen and name in self.required and select.choices():
                chosen = [select.choices()[0][0]]
            if select.multiple:
                posted[name] = chosen
            elif chosen:
                posted[name] = chosen[0]
            else:
                posted[name] = ""
        return posted


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, Select] | None = None
        self._option: tuple[str, list[str], bool] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if tag == "form":
            self._form = Form(attrs)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            form.values[name] = attrs.get("value", "on" if kind == "checkbox" else "")
            if "required" in attrs:
                form.required.add(name)
            if "max" in attrs:
                form.maxima[name] = attrs["max"]
        elif tag == "select" and name:
            select = Select(multiple="multiple" in attrs)
            form.selects[name] = select
            self._select = (name, select)
            if "required" in attrs:
                form.required.add(name)
        elif tag == "option" and self._select is not None:
            self._option = (attrs.get("value", ""), [], "selected" in attrs)
        elif tag == "textarea" and name:
            self._textarea = (name, [])
            if "required" in attrs:
                form.required.add(name)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, text, selected = self._option
            label = "".join(text).strip()
            self._select[1].options.append((value or label, label))
            if selected:
                self._select[1].selected.append(value or label)
            self._option = None
        elif tag == "select":
            if self._option is not None:
                self.handle_endtag("option")
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.values[name] = "".join(text).lstrip("\r\n")
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def main_form(page: str) -> Form | None:
    """Return the page's working form: the one with the most fields (not the sign-out or language form)."""
    found = [f for f in forms(page) if f.attrs.get("method", "get").lower() == "post"]
    return max(found, key=lambda f: len(f.values) + len(f.selects), default=None)


def flashes(page: str) -> list[str]:
    """Return the texts of the page's error messages (Flask flashes and field errors), for failure reports."""
    found = re.findall(
        r'class="[^"]*(?:alert-danger|alert-error|invalid-feedback|help-block)[^"]*"[^>]*>(.*?)</', page, re.S
    )
    return [unescape(re.sub(r"<[^>]+>|\s+", " ", text)).strip() for text in found if text.strip()][:3]
