"""Demo gate passages: trucks at the terminal gates, released and held."""

from __future__ import annotations

import random

from onewindow.bootstrap import OneWindow

__all__ = ["load_gate_passages"]


async def load_gate_passages(ow: OneWindow, rng: random.Random) -> None:
    """Placeholder until the gate pages. demo passages land in this session."""
    del ow, rng
