"""The agency plug-in: routing (does this declaration concern me?) and automatic decision rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from onewindow.declarations.dataset import ConveyanceReport, GoodsDeclaration
from onewindow.risk.selection import RiskSettings

from .conditions import holds, validate_condition
from .states import BASE_MACHINE, StateMachine

__all__ = ["Agency", "AgencyConfig", "AutoDecision", "AutoRule"]

Data = GoodsDeclaration | ConveyanceReport


@dataclass(frozen=True)
class AutoRule:
    """When ``when`` holds, take ``decision`` with ``reason``. Rules are tried in order."""

    name: str
    when: Mapping[str, Any]
    decision: str
    reason: str

    def __post_init__(self) -> None:
        validate_condition(self.when)


@dataclass(frozen=True)
class AutoDecision:
    decision: str
    reason: str
    rule: str


@dataclass(frozen=True)
class AgencyConfig:
    """An agency's configurable rules; loaded from the deployment's configuration file.

    ``default_decision`` is taken when no rule hits (``None`` leaves the dossier to an officer).
    ``on_receipt``: the rules run in the transaction that opens (or reopens) the dossier, so an
    automatic release is part of the submission; ``False`` runs them asynchronously, from the
    event stream (an agency whose rules run in its own system, fed by the broker).
    ``options`` holds agency-specific settings, e.g. quarantine's legal-inspection catalogue.
    """

    rules: Sequence[AutoRule] = ()
    default_decision: str | None = "release"
    default_reason: str = "No rule selected this declaration; released automatically."
    on_receipt: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], defaults: AgencyConfig) -> AgencyConfig:
        rules = [AutoRule(**r) for r in raw["rules"]] if "rules" in raw else list(defaults.rules)
        return cls(
            rules=rules,
            default_decision=raw.get("default_decision", defaults.default_decision),
            default_reason=raw.get("default_reason", defaults.default_reason),
            on_receipt=raw.get("on_receipt", defaults.on_receipt),
            options={**defaults.options, **raw.get("options", {})},
        )


class Agency:
    """Base of every agency plug-in. Subclasses set the class attributes and ``concerns``."""

    code: ClassVar[str]
    name: ClassVar[str]
    name_zh: ClassVar[str]
    machine: ClassVar[StateMachine] = BASE_MACHINE
    defaults: ClassVar[AgencyConfig] = AgencyConfig()

    def __init__(self, config: AgencyConfig | None = None) -> None:
        self.config = config or self.defaults
        for rule in self.config.rules:
            if rule.decision not in self.machine.decisions:
                raise ValueError(f"{self.code}: rule {rule.name!r} takes unknown decision {rule.decision!r}")
        default = self.config.default_decision
        if default is not None and default not in self.machine.decisions:
            raise ValueError(f"{self.code}: unknown default decision {default!r}")
        self.risk = RiskSettings.from_mapping(self.config.options.get("risk"))

    def concerns(self, data: Data) -> bool:
        """Routing: whether this agency must see the declaration."""
        raise NotImplementedError

    def rule_decision(self, data: Data) -> AutoDecision | None:
        """The first of the agency's own rules that holds (completeness, prohibitions...)."""
        for rule in self.config.rules:
            if holds(rule.when, data):
                return AutoDecision(rule.decision, rule.reason, rule.name)
        return None

    def auto_decide(self, data: Data) -> AutoDecision | None:
        """The agency's rules, else its default decision (the risk engine, when the agency uses
        it, stands between the two: see ``automation.apply_rules``)."""
        ruled = self.rule_decision(data)
        if ruled is not None:
            return ruled
        if self.config.default_decision is None:
            return None
        return AutoDecision(self.config.default_decision, self.config.default_reason, "default")

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "name_zh": self.name_zh,
            "states": {s: c.value for s, c in self.machine.states.items()},
            "decisions": sorted(self.machine.decisions),
        }
