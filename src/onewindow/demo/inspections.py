"""Demo joint inspections with scan images and annotations (filled in by the officer pages' work)."""

from __future__ import annotations

import random

from onewindow.bootstrap import OneWindow

__all__ = ["load_joint_inspections"]


async def load_joint_inspections(ow: OneWindow, rng: random.Random) -> None:
    """Placeholder until the officer portal's demo inspections land in this session."""
    del ow, rng
