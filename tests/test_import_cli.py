"""`flask import KIND FILE [--dry-run]`: the same report, a non-zero exit on problems, all or nothing."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Mediator
from portal.validators import make_id_number
from tests.factories import REGION


def test_dry_run_then_import(app, tmp_path):
    """A dry run lists the problems and exits 1; the fixed file imports and exits 0."""
    book = Workbook()
    sheet = book.active
    sheet.title = "调解员"
    sheet.append(["姓名", "性别", "身份证号", "所属组织"])
    sheet.append(["命令行甲", "男", make_id_number(REGION, date(1975, 3, 4), 81, "male"), "MJ"])
    sheet.append(["命令行乙", "女", "371525197503041234", "MJ"])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    runner = app.test_cli_runner()
    before = db.session.scalar(select(func.count()).select_from(Mediator))

    result = runner.invoke(
        args=["import", "调解员", str(bad), "--dry-run", "--report", str(tmp_path / "r.xlsx")]
    )
    assert result.exit_code == 1
    assert "发现 1 个问题" in result.output and "调解员 第3行 身份证号" in result.output
    assert (tmp_path / "r.xlsx").stat().st_size > 0
    result = runner.invoke(args=["import", "mediators", str(bad)])
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(Mediator)) == before

    sheet.delete_rows(3)
    good = tmp_path / "good.xlsx"
    book.save(good)
    result = runner.invoke(args=["import", "mediators", str(good), "--dry-run"])
    assert result.exit_code == 0 and "检查通过" in result.output
    result = runner.invoke(args=["import", "mediators", str(good), "--user", "admin"])
    assert result.exit_code == 0, result.output
    assert "已导入：调解员 1" in result.output
    assert db.session.scalar(select(func.count()).select_from(Mediator)) == before + 1

    result = runner.invoke(args=["import", "planets", str(good)])
    assert result.exit_code == 2 and "organisations" in result.output
