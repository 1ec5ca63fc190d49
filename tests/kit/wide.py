"""An agenda in Korean, Japanese, Arabic and emoji, several zones wide: text that takes two cells a character."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.cells import cell_len

WIDE_AGENDA = """
[session]
title = "사회적경제 지방정부 협의회 🎤 社会的経済"
date = "2021-10-08"
timezone = "Asia/Seoul"
also_show = ["UTC", "America/Santiago"]

[[segments]]
start = "18:00"
duration = "10m"
title = "지방정부와 사회적경제 주체 간의 연대와 협력을 통한 새로운 경제 구축"
speaker = "Speaker Number One"
kind = "talk"

[[segments]]
duration = "10m"
title = "🎉🎉🎉 社会的経済の国際協力 🎤🎤"
speaker = "Dara Huot"
country = "Cambodia"
timezone = "Asia/Phnom_Penh"
kind = "talk"

[[segments]]
duration = "10m"
title = "مرحبا بالجميع في الجلسة"
speaker = "김영 Young Kim (South Korea)"
kind = "qa"

[[segments]]
duration = "5m"
title = "🎤 마무리 인사와 감사의 말씀 🎤 마무리 🎤"
kind = "closing"
"""

WIDE_TEXTS = [
    "지방정부와 사회적경제 주체 간의 연대와 협력을 통한 새로운 경제 구축",
    "Speaker Number One",
    "🎉🎉🎉 社会的経済の国際協力 🎤🎤",
    "Dara Huot",
    "مرحبا بالجميع في الجلسة",
    "김영 Young Kim (South Korea)",
    "🎤 마무리 인사와 감사의 말씀 🎤 마무리 🎤",
]


def missing(output: str, texts: Iterable[str]) -> Counter[str]:
    """The characters of `texts` that `output` does not show (wrapping may move them, never drop them)."""
    shown = Counter(ch for ch in output if not ch.isspace())
    wanted = Counter(ch for text in texts for ch in text if not ch.isspace())
    return wanted - shown


def too_wide(output: str, width: int) -> list[str]:
    """The lines of `output` wider than `width` terminal cells."""
    return [line for line in output.splitlines() if cell_len(line) > width]
