"""Import benchmark: a 50,000-row 调解员名册 (with a 培训记录 sheet) through `flask import`'s service.

Builds an SQLite database by the migrations with a county of 1 + 20 townships × 5 villages and an
administrator, writes an xlsx of N mediators (valid ID numbers, phones, organisations, dispute types,
dates) plus N/5 trainings with openpyxl's write-only mode, then runs in child processes of their own:

- the dry run (`imports.check`: the streaming pass that lists every problem);
- the import (`imports.run`: that pass again, then the batched insert with an audit row per record);
- the baseline: what reading the same file the ordinary way costs (`load_workbook` without read_only,
  every row's values taken into a list), i.e. memory that grows with the file.

Each child reports its time and its process's peak resident memory (`ru_maxrss`: the whole process, app
and imports included, as a server worker would need). RSS rather than tracemalloc, which would slow every
allocation and distort the time.

    .venv/bin/python bench/import.py                 # 50,000 rows in a temporary directory
    .venv/bin/python bench/import.py --rows 5000 --keep

The last line of output is one JSON object: rows, import_s, peak_mb, check_s, check_peak_mb, trainings,
baseline_load_s, baseline_peak_mb.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-secret")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰海燕建华文"
TYPES = ("邻里纠纷", "婚姻纠纷", "房屋宅基地纠纷", "合同纠纷", "损害赔偿纠纷", "山林土地纠纷", "物业纠纷")
TAGS = ("退休干警", "老干部", "老党员", "网格员", "律师")
HEADERS = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "联系电话",
    "所属组织",
    "职务",
    "专兼职",
    "政治面貌",
] + ["学历", "人员背景", "擅长纠纷类型", "等级", "聘任日期", "任期届满", "状态", "离任日期", "备注"]
TRAINING_HEADERS = ["身份证号", "姓名", "培训日期", "级别", "学时", "培训内容", "主办单位"]


def bench_app(database_url: str) -> Any:
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "RATELIMIT_ENABLED": False})


def build_database(path: Path) -> None:
    """Migrate a new SQLite database and add the county tree and its administrator."""
    from flask_migrate import upgrade

    from portal.extensions import db
    from portal.models import Organization, OrgKind, OrgLevel, User
    from portal.services import audit

    app = bench_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        with audit.acting_as(audit.Actor(None, "bench")):
            root = Organization(
                name="清河县司法局", code="QH", level=OrgLevel.COUNTY, kind=OrgKind.COORDINATION_CENTRE
            )
            db.session.add(root)
            db.session.flush()
            for t in range(20):
                town = Organization(
                    name=f"第{t + 1}镇人民调解委员会",
                    code=f"T{t:02d}",
                    level=OrgLevel.TOWNSHIP,
                    kind=OrgKind.COMMITTEE,
                    parent=root,
                )
                db.session.add(town)
                db.session.flush()
                for v in range(5):
                    db.session.add(
                        Organization(
                            name=f"第{t + 1}镇第{v + 1}村人民调解委员会",
                            code=f"T{t:02d}V{v}",
                            level=OrgLevel.VILLAGE,
                            kind=OrgKind.COMMITTEE,
                            parent=town,
                        )
                    )
                db.session.flush()
            user = User(username="admin", full_name="管理员", organization=root)
            user.roles = ["admin"]
            user.set_password("Bench2026pass")
            db.session.add(user)
            db.session.commit()


def write_file(path: Path, rows: int, trainings: int, seed: int = 2026) -> None:
    """Write the roster as Excel does: shared strings and a <dimension> (openpyxl's write-only mode writes
    inline strings and no dimension, which read slower than any file a clerk would bring)."""
    from openpyxl import Workbook

    from portal.validators import make_id_number

    rng = random.Random(seed)  # noqa: S311 - demo data
    book = Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("调解员")
    sheet.append(HEADERS)
    people: list[tuple[str, str]] = []
    for i in range(rows):
        gender = "male" if i % 2 else "female"
        # Unique ID numbers: the birth date walks day by day over 50 years, seq and gender vary inside a day.
        born = date(1950, 1, 1) + timedelta(days=(i // 50) % 18000)
        id_number = make_id_number("371525", born, i % 50 + (i // (50 * 18000)) * 50 % 100, gender)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        org = f"T{rng.randrange(20):02d}" + (f"V{rng.randrange(5)}" if rng.random() < 0.8 else "")
        appointed = date(2015, 1, 1) + timedelta(days=rng.randrange(3000))
        retired = rng.random() < 0.05
        sheet.append(
            [
                name,
                "男" if gender == "male" else "女",
                "汉族",
                born,
                id_number,
                f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}",
                org,
                "调解员",
                rng.choice(("专职", "兼职")),
                rng.choice(("中共党员", "群众")),
                rng.choice(("高中", "大专", "本科")),
                "、".join(rng.sample(TAGS, rng.randrange(3))),
                "、".join(rng.sample(TYPES, rng.randrange(1, 3))),
                rng.choice(("一级", "二级", "三级", "")),
                appointed,
                appointed + timedelta(days=365 * 5),
                "离任" if retired else "在职",
                appointed + timedelta(days=400) if retired else None,
                None,
            ]
        )
        if len(people) < trainings:
            people.append((id_number, name))
    training = book.create_sheet("培训记录")
    training.append(TRAINING_HEADERS)
    for id_number, name in people:
        training.append([id_number, name, date(2024, 5, 1), "县级", 4, "人民调解法专题培训", "县司法局"])
    book.save(path)


def reset_peak() -> bool:
    """Reset this process's peak RSS (Linux: VmHWM), which it inherits from its parent across exec."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mb(reset: bool) -> float:
    """Return the peak RSS since `reset_peak` (VmHWM), else the process's whole-life peak (ru_maxrss)."""
    if reset:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, database: Path, path: Path) -> None:
    """Run one phase in this process and print {"seconds": …, "cpu_s": …, "peak_mb": …}.

    Every phase first builds the app, so the peaks compare like with like: a web worker's.
    """
    from sqlalchemy import select

    from portal import clock
    from portal.extensions import db
    from portal.models import User
    from portal.services import audit, imports

    reset = reset_peak()
    app = bench_app(f"sqlite:///{database}")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin"))
        context = imports.Context(db.session, user, clock.today())
        kind = imports.kind_named("mediators")
        cpu, started = time.process_time(), time.perf_counter()
        if mode == "baseline":
            from openpyxl import load_workbook

            book = load_workbook(path)
            rows = [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
            assert rows
        else:
            with audit.acting_as(audit.Actor(user.id, user.full_name)):
                action = imports.check if mode == "check" else imports.run
                report = action(context, kind, path, path.name)
            if not report.ok:
                raise SystemExit(f"unexpected problems: {report.problems[:5]}")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures = {"seconds": round(seconds, 2), "cpu_s": round(cpu, 2)}
    print(json.dumps({**figures, "peak_mb": round(peak_mb(reset), 1)}))


def run_child(mode: str, database: Path, path: Path) -> dict[str, float]:
    output = subprocess.run(  # noqa: S603 - this script, with paths it made
        [sys.executable, __file__, "--child", mode, "--db", str(database), "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--trainings", type=int, help="training rows (default: a fifth of --rows)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.file)
        return
    trainings = args.rows // 5 if args.trainings is None else args.trainings
    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    try:
        database, path = workdir / "import.sqlite3", workdir / "mediators.xlsx"
        started = time.perf_counter()
        build_database(database)
        write_file(path, args.rows, trainings)
        print(
            f"file: {args.rows:,} mediators + {trainings:,} trainings, {path.stat().st_size / 1e6:.1f} MB "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        phases = (
            ("baseline", "baseline (load_workbook, all rows in memory)"),
            ("check", "dry run (streaming check)"),
            ("import", "import (check + batched insert + audit)"),
        )
        figures = {}
        for mode, label in phases:
            figures[mode] = found = run_child(mode, database, path)
            seconds, cpu, peak = found["seconds"], found["cpu_s"], found["peak_mb"]
            print(f"{label:<46} {seconds:6.1f} s (CPU {cpu:.1f} s), peak {peak:.0f} MB")
        baseline, check, result = figures["baseline"], figures["check"], figures["import"]
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "import_s": result["seconds"],
                    "peak_mb": result["peak_mb"],
                    "check_s": check["seconds"],
                    "check_peak_mb": check["peak_mb"],
                    "trainings": trainings,
                    "baseline_load_s": baseline["seconds"],
                    "baseline_peak_mb": baseline["peak_mb"],
                }
            )
        )
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
