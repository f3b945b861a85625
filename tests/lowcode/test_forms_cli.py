"""`flask forms load` and `flask forms export`."""

from __future__ import annotations

import yaml

from portal.extensions import db
from portal.models import FormDefinition
from tests.lowcode.test_formdef_versions import V1

FILE = {"key": "cli_traffic", "title": "道路交通事故", "dispute_type": "13", **V1}


def test_load_publishes_then_skips_unchanged_files(app, county, tmp_path):
    """Loading publishes v1; loading the same file again publishes nothing; a change publishes v2."""
    (tmp_path / "traffic.yaml").write_text(yaml.safe_dump(FILE, allow_unicode=True), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forms", "load", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "cli_traffic: 道路交通事故 — 发布第1版" in result.output
    assert "未变化（第1版）" in runner.invoke(args=["forms", "load", str(tmp_path)]).output
    changed = {**FILE, "title": "道路交通事故纠纷"}
    (tmp_path / "traffic.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    assert "发布第2版" in runner.invoke(args=["forms", "load", str(tmp_path)]).output
    definition = db.session.scalar(db.select(FormDefinition).where(FormDefinition.key == "cli_traffic"))
    assert [v.number for v in definition.versions] == [1, 2]


def test_load_refuses_a_bad_file_naming_the_field(app, county, tmp_path):
    """A file with a broken condition is refused with the file, the field and the reason."""
    bad = {
        **FILE,
        "sections": [
            {"title": "事故", "fields": [{"key": "a", "label": "甲", "type": "text", "relevant": "${a"}]}
        ],
    }
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["forms", "load", str(tmp_path / "bad.yaml")])
    assert result.exit_code != 0
    assert "bad.yaml" in result.output and "字段“甲”（a）" in result.output and "显示条件无法解析" in result.output


def test_export_writes_what_load_reads(app, county, tmp_path):
    """Export a loaded definition (one version) and read it back unchanged."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "traffic.yaml").write_text(yaml.safe_dump(FILE, allow_unicode=True), encoding="utf-8")
    runner = app.test_cli_runner()
    runner.invoke(args=["forms", "load", str(source)])
    out = tmp_path / "out"
    result = runner.invoke(args=["forms", "export", "--version", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load((out / "cli_traffic.yaml").read_text(encoding="utf-8"))
    assert exported == FILE
    assert (
        '"key": "cli_traffic"'
        in runner.invoke(args=["forms", "export", "cli_traffic", "--format", "json"]).output
    )
