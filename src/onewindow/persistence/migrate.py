"""Schema migrations with Alembic; the scripts ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["revision", "upgrade"]

SCRIPTS = Path(__file__).parent / "migrations"


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, target: str = "head") -> None:
    command.upgrade(_config(url), target)


def revision(url: str, message: str) -> None:
    """Autogenerate a new migration against the database at ``url`` (a developer's command)."""
    command.revision(_config(url), message=message, autogenerate=True)
