"""Block letters for the big clock, drawn to fill whatever size they are given."""

from __future__ import annotations

# A 3×5 pixel font for the stage clock; "#" is a lit pixel.
_FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": (".", "#", ".", "#", "."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "N": ("#.#", "###", "###", "#.#", "#.#"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "+": ("...", ".#.", "###", ".#.", "..."),
}


def big_text(value: str, width: int, height: int) -> list[str]:
    """`value` drawn in block pixels, as large as fits `width` × `height` cells.

    Half blocks give two pixel rows per cell, and a half cell is about as
    tall as a cell is wide, so `across` columns by `across` half rows make a
    square pixel; when height is short, pixels get flatter rather than the
    digits getting narrower.
    """
    glyphs = [_FONT[ch] for ch in value if ch in _FONT]
    if not glyphs or width <= 0 or height <= 0:
        return []
    columns = sum(len(g[0]) for g in glyphs) + len(glyphs) - 1
    across = max(1, width // columns)
    down = max(1, min(across, (2 * height) // 5))
    pixels: list[str] = []
    for row in range(5):
        line = ".".join(g[row] for g in glyphs)
        wide = "".join(ch * across for ch in line)
        pixels.extend([wide] * down)
    if len(pixels) % 2:
        pixels.append("." * len(pixels[0]))
    cells = {("#", "#"): "█", ("#", "."): "▀", (".", "#"): "▄", (".", "."): " "}
    return ["".join(cells[(a, b)] for a, b in zip(top, bottom)) for top, bottom in zip(pixels[::2], pixels[1::2])]


def big_lines(value: str, width: int, height: int) -> list[str]:
    """`value` in block letters, centred in `width` × `height` cells, the padding included."""
    lines = big_text(value, width, height)
    # Centre by padding, not by text-align: the lines' trailing blanks would be trimmed.
    left = " " * max(0, (width - max((len(line) for line in lines), default=0)) // 2)
    top = ["\u00a0"] * max(0, (height - len(lines)) // 2)
    return [*top, *(left + line.replace(" ", "\u00a0") for line in lines)]
