"""Draw figures/newspapers-per-decade.png for the sample manuscript.

A bar chart of newspapers founded per decade in Japan (dark bars) and China
(light bars), 1860s-1900s, drawn with plain rectangles and lines plus a few
labels in Pillow's built-in bitmap font. The counts are the illustrative
figures of the sample paper, not real data.

Regenerate from the project root with:

    python manuscript/figures/make_figure.py

(Pillow is the only dependency.) The output is byte-stable: fixed size,
palette image, no fonts loaded from the system, no metadata, optimize=False.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).with_name("newspapers-per-decade.png")

WIDTH, HEIGHT = 600, 360
LEFT, RIGHT, TOP, BOTTOM = 60, 580, 30, 310  # plot area
DECADES = ["1860s", "1870s", "1880s", "1890s", "1900s"]
JAPAN = [3, 52, 90, 109, 131]
CHINA = [2, 7, 12, 29, 96]
Y_MAX = 140
Y_STEP = 20

WHITE, BLACK, GREY, DARK, LIGHT = 0, 1, 2, 3, 4
PALETTE = [
    255, 255, 255,  # white background
    0, 0, 0,        # axes and text
    200, 200, 200,  # grid lines
    40, 60, 110,    # Japan
    150, 175, 215,  # China
]


def y_of(value: float) -> int:
    return round(BOTTOM - (BOTTOM - TOP) * value / Y_MAX)


def put_text(draw, xy, text, font, anchor):
    """Write text aligned by hand (bitmap fonts ignore Pillow's anchor)."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left, bottom - top
    x, y = xy
    x -= {"l": 0, "m": w // 2, "r": w}[anchor[0]] + left
    y -= h // 2 + top
    draw.text((x, y), text, fill=BLACK, font=font)


def main() -> None:
    img = Image.new("P", (WIDTH, HEIGHT), WHITE)
    img.putpalette(PALETTE + [0, 0, 0] * (256 - len(PALETTE) // 3))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default_imagefont()  # built-in bitmap font

    for value in range(0, Y_MAX + 1, Y_STEP):
        y = y_of(value)
        draw.line([(LEFT, y), (RIGHT, y)], fill=GREY if value else BLACK)
        put_text(draw, (LEFT - 8, y), str(value), font, "rm")
    draw.line([(LEFT, TOP), (LEFT, BOTTOM)], fill=BLACK)

    group = (RIGHT - LEFT) / len(DECADES)
    bar = group * 0.3
    for i, label in enumerate(DECADES):
        x0 = LEFT + i * group + group * 0.2
        for j, (series, colour) in enumerate([(JAPAN, DARK), (CHINA, LIGHT)]):
            bx = x0 + j * bar
            draw.rectangle(
                [round(bx), y_of(series[i]), round(bx + bar) - 1, BOTTOM - 1],
                fill=colour,
                outline=BLACK,
            )
        put_text(draw, (round(LEFT + (i + 0.5) * group), BOTTOM + 12), label,
                 font, "mm")

    # legend
    for k, (colour, name) in enumerate([(DARK, "Japan"), (LIGHT, "China")]):
        lx = LEFT + 20 + k * 90
        draw.rectangle([lx, TOP - 20, lx + 14, TOP - 8], fill=colour, outline=BLACK)
        put_text(draw, (lx + 20, TOP - 14), name, font, "lm")

    img.save(OUT, format="PNG", optimize=False)


if __name__ == "__main__":
    main()
