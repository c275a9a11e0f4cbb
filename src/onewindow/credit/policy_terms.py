"""What a credit policy sets: the grades and their inspection rates, the downgrade rules'
thresholds, and the vessel thresholds (MISSION.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = ["Grade", "GradeCode", "RatioThreshold", "Rules", "VesselThresholds", "ViolationType"]


class GradeCode(StrEnum):
    """信用等级, from best to worst: the order is the grades' severity."""

    ADVANCED_CERTIFIED = "advanced_certified"  # 高级认证企业 (AEO)
    CERTIFIED = "certified"  # 认证企业 (AEO, Decree 282)
    ROUTINE = "routine"  # 常规管理 / 常规企业
    DISHONEST = "dishonest"  # 失信企业
    SERIOUSLY_DISHONEST = "seriously_dishonest"  # 严重失信企业 (Decree 282)

    @property
    def severity(self) -> int:
        return list(GradeCode).index(self)

    @property
    def is_dishonest(self) -> bool:
        return self in (GradeCode.DISHONEST, GradeCode.SERIOUSLY_DISHONEST)


class ViolationType(StrEnum):
    SMUGGLING = "smuggling"  # 走私
    CUSTOMS_VIOLATION = "customs_violation"  # 违反海关监管规定
    UNPAID_TAX = "unpaid_tax"  # 拖欠税款
    UNREACHABLE = "unreachable"  # 无法取得联系
    QUARANTINE_VIOLATION = "quarantine_violation"  # 违反检验检疫规定
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade and its inspection rate: ``multiplier`` × the routine rate, raised to ``min_rate``."""

    code: GradeCode
    name_zh: str
    name_en: str
    is_aeo: bool
    multiplier: float | None
    min_rate: float | None
    assumption: bool = False
    note: str = ""

    def selection_rate(self, routine_rate: float) -> float:
        rate = 0.0 if self.multiplier is None else self.multiplier * routine_rate
        if self.min_rate is not None:
            rate = max(rate, self.min_rate)
        return min(rate, 1.0)


@dataclass(frozen=True, slots=True)
class RatioThreshold:
    """Violations above ``max_ratio`` of last year's declarations with penalties above the sum."""

    max_ratio: Decimal
    max_penalties_cny: Decimal


@dataclass(frozen=True, slots=True)
class Rules:
    """The downgrade rules' target grades and thresholds (MISSION.md §4)."""

    lookback_months: int
    smuggling_grade: GradeCode
    ratio_grade: GradeCode
    ratio_types: frozenset[ViolationType]
    enterprise_threshold: RatioThreshold
    broker_threshold: RatioThreshold
    unpaid_tax_grade: GradeCode
    unpaid_tax_months: int
    unreachable_grade: GradeCode
    unreachable_days: int
    certification_lost_grade: GradeCode


@dataclass(frozen=True, slots=True)
class VesselThresholds:
    """诚信船舶: violations within ``window_months`` that put a vessel on watch or make it non-compliant."""

    window_months: int
    watch_at: int
    non_compliant_at: int
    serious_types: frozenset[ViolationType]
