"""Deployment settings, read from ``ONEWINDOW_*`` environment variables (or given directly)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ROLES", "Settings"]

ROLES = ("all", "api", "worker", "gate")


@dataclass(frozen=True)
class Settings:
    """``database_url``: SQLite file by default, or ``postgresql+psycopg://…``.
    ``nats_url``: empty for the in-process broker, or ``nats://host:4222`` for NATS JetStream;
    ``nats_stream`` names the JetStream stream (one per deployment sharing a NATS server).
    ``role``: ``all`` (embedded: API + relay + consumers), ``api`` or ``worker`` (scaled out), or
    ``gate``: the gate desk alone (gate readers' decisions and confirmations; see
    ``entrypoints.gate_process``).
    ``sqlite_synchronous``: FULL (durable, the default) or NORMAL (benchmarks of the difference only).
    ``agency_config``: per-agency rules and options, from a JSON file (see ``agencies.base``).
    ``risk``: ``on`` (the default) lets the agencies that use the risk engine select declarations
    for inspection; ``off`` leaves every agency to its rules and default (tests of other areas).
    ``risk_seed``: the seed of random selection, so an auditor can re-derive every draw.
    """

    data_dir: Path = Path("var")
    database_url: str = ""
    nats_url: str = ""
    nats_stream: str = "ONEWINDOW"
    role: str = "all"
    sqlite_synchronous: str = "FULL"
    agency_config: dict[str, Any] = field(default_factory=dict)
    max_document_bytes: int = 10 * 1024 * 1024
    webhook_max_attempts: int = 12
    webhook_subscription_cache_seconds: float = 5.0  # how soon a new subscription is seen
    token_cache_seconds: float = 30.0
    risk: str = "on"
    risk_seed: str = "onewindow"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.risk not in ("on", "off"):
            raise ValueError(f"risk must be on or off, not {self.risk!r}")
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'onewindow.db'}")

    @property
    def nats_subjects(self) -> str:
        """The stream's subject prefix: streams on one server may not share subjects."""
        return (
            "onewindow.events" if self.nats_stream == "ONEWINDOW" else f"onewindow.{self.nats_stream.lower()}"
        )

    @property
    def runs_worker(self) -> bool:
        return self.role in ("all", "worker")

    @property
    def runs_api(self) -> bool:
        return self.role in ("all", "api")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env = os.environ
        values: dict[str, Any] = {}
        if "ONEWINDOW_DATA_DIR" in env:
            values["data_dir"] = Path(env["ONEWINDOW_DATA_DIR"])
        for key in (
            "database_url",
            "nats_url",
            "nats_stream",
            "role",
            "sqlite_synchronous",
            "risk",
            "risk_seed",
        ):
            if f"ONEWINDOW_{key.upper()}" in env:
                values[key] = env[f"ONEWINDOW_{key.upper()}"]
        if "ONEWINDOW_AGENCY_CONFIG" in env:
            values["agency_config"] = json.loads(Path(env["ONEWINDOW_AGENCY_CONFIG"]).read_text("utf-8"))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
