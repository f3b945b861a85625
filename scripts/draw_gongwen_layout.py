"""Draw docs/documents/gbt9704_layout.png: the GB/T 9704-2012 公文 page with its measures annotated.

The schematic the rendered documents in docs/documents.md are compared with. Drawn by the project
(Pillow, the Noto CJK fonts through fontconfig): `.venv/bin/python scripts/draw_gongwen_layout.py`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "docs" / "documents" / "gbt9704_layout.png"
S = 5.0  # pixels per millimetre
PAGE_W, PAGE_H = 210, 297
LEFT, TOP, WIDTH, HEIGHT = 28, 37, 156, 225
PITCH = HEIGHT / 22
CHAR = WIDTH / 28
NOTE_X = PAGE_W + 14  # mm: the annotation column
RED, GREY, BLUE, INK = (208, 0, 0), (170, 170, 170), (20, 90, 200), (30, 30, 30)


def font_file(pattern: str) -> tuple[str, int]:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        sys.exit("fc-match (fontconfig) is needed")
    out = subprocess.run(  # noqa: S603 - fixed program and pattern
        [fc_match, "-f", "%{file}\t%{index}", pattern], capture_output=True, text=True, check=True
    ).stdout
    path, _, index = out.partition("\t")
    return path, int(index or 0)


def font(pattern: str, size_mm: float) -> ImageFont.FreeTypeFont:
    path, index = font_file(pattern)
    return ImageFont.truetype(path, round(size_mm * S), index=index)


def px(*mm: float) -> tuple[int, ...]:
    return tuple(round(v * S) for v in mm)


def main() -> None:
    image = Image.new("RGB", px(PAGE_W + 112, PAGE_H + 16), "white")
    draw = ImageDraw.Draw(image)
    sans = font("Noto Sans CJK SC", 3.4)
    small = font("Noto Sans CJK SC", 2.9)
    serif_bold = "Noto Serif CJK SC:bold"
    y0 = 8  # the page starts 8 mm down the picture

    def y(mm: float) -> float:
        return y0 + mm

    def note(at_mm: float, text: str, target: tuple[float, float] | None = None, colour=BLUE) -> None:
        draw.text(px(NOTE_X, y(at_mm)), text, font=small, fill=colour, anchor="lm")
        if target:
            draw.line(px(NOTE_X - 1, y(at_mm), target[0], y(target[1])), fill=colour, width=1)

    def dimension(x1: float, y1: float, x2: float, y2: float, label: str, side: str = "above") -> None:
        draw.line(px(x1, y(y1), x2, y(y2)), fill=BLUE, width=2)
        for x, yy in ((x1, y1), (x2, y2)):
            draw.ellipse(px(x - 0.8, y(yy) - 0.8, x + 0.8, y(yy) + 0.8), fill=BLUE)
        mid = ((x1 + x2) / 2, (y(y1) + y(y2)) / 2)
        offset = (0, -2.2) if side == "above" else (2.0, 0)
        anchor = "mb" if side == "above" else "lm"
        draw.text(px(mid[0] + offset[0], mid[1] + offset[1]), label, font=small, fill=BLUE, anchor=anchor)

    # The sheet and the text block (版心).
    draw.rectangle(px(0, y(0), PAGE_W, y(PAGE_H)), outline=INK, width=3)
    draw.rectangle(px(LEFT, y(TOP), LEFT + WIDTH, y(TOP + HEIGHT)), outline=GREY, width=2)
    draw.text(px(PAGE_W / 2, y(-3)), "A4 210 × 297 mm", font=sans, fill=INK, anchor="mb")
    dimension(PAGE_W / 2 + 30, 0, PAGE_W / 2 + 30, TOP, "天头 37 mm ±1", side="right")
    dimension(0, TOP + 150, LEFT, TOP + 150, "订口 28 mm ±1")
    dimension(LEFT + WIDTH, TOP + 150, PAGE_W, TOP + 150, "26 mm")
    dimension(LEFT, TOP - 6, LEFT + WIDTH, TOP - 6, "版心宽 156 mm（28字）")
    dimension(LEFT + WIDTH + 6, TOP, LEFT + WIDTH + 6, TOP + HEIGHT, "版心高 225 mm（22行）", side="right")

    # 版头: 发文机关标志 35 mm into the block, 发文字号 two lines down, the red rule 4 mm under it.
    head_top = TOP + 35
    dimension(LEFT + 12, TOP, LEFT + 12, head_top, "35 mm", side="right")
    draw.text(px(PAGE_W / 2, y(head_top)), "清河县司法局", font=font(serif_bold, 14.8), fill=RED, anchor="mt")
    number_top = head_top + 14.8 + 2 * PITCH
    draw.text(
        px(PAGE_W / 2, y(number_top)),
        "QH司倒查〔2026〕1号",
        font=font("LXGW WenKai", 5.6),
        fill=INK,
        anchor="mt",
    )
    rule = number_top + PITCH + 4 - (PITCH - 5.6) / 2
    draw.line(px(LEFT, y(rule), LEFT + WIDTH, y(rule)), fill=RED, width=4)
    note(head_top + 7, "发文机关标志：红色小标宋，居中，上边缘距版心 35 mm", (PAGE_W / 2 + 52, head_top + 7))
    note(
        number_top + 3,
        "发文字号：标志下空二行，居中，〔〕括年份，不编虚位",
        (PAGE_W / 2 + 36, number_top + 3),
    )
    note(rule, "版头分隔线：红色，与版心等宽，发文字号下 4 mm", (LEFT + WIDTH, rule), colour=RED)

    # 标题 two lines under the rule, 主送 one line under the title, then the body on the 22-line grid.
    title_top = rule + 2 * PITCH
    draw.text(
        px(PAGE_W / 2, y(title_top)), "责任倒查决定书", font=font(serif_bold, 7.8), fill=INK, anchor="mt"
    )
    note(
        title_top + 4,
        "标题：2号小标宋，分隔线下空二行，居中（梯形或菱形回行）",
        (PAGE_W / 2 + 30, title_top + 4),
    )
    line = title_top + 2 * PITCH
    body_font = font("LXGW WenKai", 5.4)
    draw.text(px(LEFT, y(line)), "马集镇人民调解委员会：", font=body_font, fill=INK)
    note(line + 3, "主送机关：标题下空一行，顶格，后标全角冒号", (LEFT + 62, line + 3))
    line += PITCH
    body_start = line
    for i in range(2):
        indent = 2 * CHAR if i == 0 else 0
        length = WIDTH - indent if i == 0 else WIDTH * 0.55
        draw.rectangle(
            px(LEFT + indent, y(line + 2.5), LEFT + indent + length, y(line + 7.5)), fill=(215, 215, 215)
        )
        line += PITCH
    note(
        body_start + 5, "正文：3号仿宋（16 pt），每面 22 行 × 每行 28 字", (LEFT + WIDTH - 10, body_start + 5)
    )
    note(body_start + 11, "行距 225/22 = 10.2 mm；段首空二字，回行顶格", None)
    note(body_start + 17, "层次：一、黑体  （一）楷体  1. 仿宋  （1）仿宋", None)

    # 署名 and 成文日期 under the seal: the date four characters in from the right.
    sign_top = line + 2 * PITCH
    date_right = LEFT + WIDTH - 4 * CHAR
    date_width = 8.5 * CHAR
    date_centre = date_right - date_width / 2
    draw.text(px(date_centre, y(sign_top + 2)), "清河县司法局", font=body_font, fill=INK, anchor="mt")
    draw.text(
        px(date_centre, y(sign_top + PITCH + 2)), "2026年3月10日", font=body_font, fill=INK, anchor="mt"
    )
    seal_centre = sign_top + PITCH - 4
    draw.ellipse(
        px(date_centre - 21, y(seal_centre - 21), date_centre + 21, y(seal_centre + 21)), outline=RED, width=5
    )
    dimension(date_right, sign_top + 2 * PITCH + 1, LEFT + WIDTH, sign_top + 2 * PITCH + 1, "右空四字")
    note(seal_centre - 16, "印章 Ø42 mm：居中下压署名和成文日期，", (date_centre + 18, seal_centre - 12), RED)
    note(seal_centre - 10, "二者居印章中心偏下；顶端距正文一行之内", None, RED)
    note(seal_centre + 1, "发文机关署名：以成文日期为准居中", (date_centre + 14, sign_top + 5))
    note(seal_centre + 7, "成文日期：阿拉伯数字，右空四字", (date_right, sign_top + PITCH + 5))

    # 版记 at the foot of the last page: thick first and last rules, a thin one between.
    foot = TOP + HEIGHT
    banji_top = foot - 16
    draw.line(px(LEFT, y(banji_top), LEFT + WIDTH, y(banji_top)), fill=INK, width=3)
    draw.line(px(LEFT, y(banji_top + 8), LEFT + WIDTH, y(banji_top + 8)), fill=INK, width=1)
    draw.line(px(LEFT, y(foot), LEFT + WIDTH, y(foot)), fill=INK, width=3)
    banji_font = font("LXGW WenKai", 4.6)
    draw.text(px(LEFT + 5, y(banji_top + 4)), "抄送：马集镇司法所。", font=banji_font, fill=INK, anchor="lm")
    draw.text(px(LEFT + 5, y(banji_top + 12)), "清河县司法局", font=banji_font, fill=INK, anchor="lm")
    draw.text(
        px(LEFT + WIDTH - 5, y(banji_top + 12)), "2026年3月10日印发", font=banji_font, fill=INK, anchor="rm"
    )
    note(banji_top + 1, "版记（最后一面）：4号仿宋；抄送左右各空一字", (LEFT + WIDTH, banji_top + 4))
    note(banji_top + 7, "首末条分隔线 0.35 mm，中间 0.25 mm；", None)
    note(banji_top + 13, "末条分隔线与版心下边缘重合", (LEFT + WIDTH, foot))

    # 页码: 4号 "— 1 —", 7 mm under the block, odd pages right, even pages left, one character in.
    number_mid = foot + 7
    draw.text(
        px(LEFT + WIDTH - 4.9, y(number_mid)),
        "— 1 —",
        font=font("Noto Serif CJK SC", 4.9),
        fill=INK,
        anchor="rm",
    )
    dimension(LEFT + WIDTH - 30, foot, LEFT + WIDTH - 30, number_mid, "7 mm", side="right")
    note(number_mid + 3, "页码：4号半角宋体，一字线上距版心 7 mm；", (LEFT + WIDTH, number_mid))
    note(number_mid + 9, "单页居右、双页居左，各空一字", None)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(OUT, optimize=True)
    print(OUT)


if __name__ == "__main__":
    main()
