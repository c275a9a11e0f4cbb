"""The demo's eight weeks of port traffic, replayed in order on the demo's clock (``Replay``) by
the real code paths: submission with the agencies' rules and the risk engine, officers' decisions,
joint inspections booked in the shared facilities, declarants answering requests.

Declarations arrive more by day than at night; agencies decide minutes to days later, mostly in
office hours, and a little faster as the weeks pass; inspections wait for their appointment and
laboratory results; declarants answer document requests within hours, or withdraw, or have not
answered yet. The history ends at the moment of loading: the newest declarations are still
waiting, and a few older dossiers an officer left lying are late.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from onewindow.agencies.registry import AgencyRegistry, discover
from onewindow.bootstrap import OneWindow
from onewindow.declarations.handlers import (
    AmendDeclaration,
    DecideDossier,
    DecideWithdrawal,
    Receipt,
    SubmitDeclaration,
    WithdrawDeclaration,
)
from onewindow.declarations.tables import declarations, dossiers
from onewindow.declarations.validation import parse_and_check
from onewindow.inspection.handlers import CloseTask, RecordFindings
from onewindow.inspection.model import TaskStatus
from onewindow.inspection.tasks import agencies_with_findings, load_task
from onewindow.kernel.clock import FixedClock

from . import samples
from .identities import DEMO_USERS
from .replay import Action, Case, Replay
from .risk import CONSIGNEES

__all__ = ["HISTORY", "History"]

HISTORY = timedelta(weeks=8)  # how far back the demo's traffic starts
FRESH = 8  # the newest declarations, lodged in the last three hours: hardly anyone has looked yet
JOINT = 4  # of them, consignments both customs and quarantine have just sent to one joint inspection
JOINT_GOODS = ("0803", "1201", "9503")  # bananas, soya beans, toys: on the legal-inspection catalogue

# An agency's median time to decide an open dossier, in hours, by kind of declaration (a document
# check takes three times as long).
REVIEW_HOURS = {
    "customs": {"import": 1.5, "export": 0.25, "vessel_arrival": 1.0},
    "quarantine": {"import": 5.0, "export": 1.0, "vessel_arrival": 1.5},
    "border": {"vessel_arrival": 1.0},
    "maritime": {"vessel_arrival": 2.0},
}
INSPECTION_HOURS = {"scan": 0.5, "manual": 1.5, "sampling": 1.0, "treatment": 3.0, "boarding": 1.5}
VERDICT_HOURS = {"sampling": 30.0, "treatment": 26.0}  # laboratory results; others: two hours
ORDER = {  # the decision by which an officer orders an inspection
    "customs": "order_inspection",
    "quarantine": "order_sampling",
    "border": "order_crew_check",
    "maritime": "order_psc_inspection",
}


class History(Replay):
    """What happens in the demo's weeks, each step planning the next ones on the queue."""

    def __init__(
        self,
        ow: OneWindow,
        clock: FixedClock,
        rng: random.Random,
        usccs: dict[str, str],
        documents: dict[str, str],
        consignees: dict[str, str],
    ) -> None:
        super().__init__(ow, clock, rng)
        self.usccs, self.documents = usccs, documents
        shares = {name: share for name, _division, _grade, share in CONSIGNEES}
        grades = {name: grade for name, _division, grade, _share in CONSIGNEES}
        self.consignees = [("安徽江淮进出口有限公司", usccs["jianghuai-trade"], 0.3, False)] + [
            (name, code, shares[name], "dishonest" in grades[name]) for name, code in consignees.items()
        ]
        # Each agency's rules and risk selection run on receipt; what they leave open waits for an
        # officer (instead of the automatic release), so the replay decides it at a later moment.
        config = ow.settings.agency_config or {}
        self.by_hand: AgencyRegistry = discover(
            {
                a.code: {**config.get(a.code, {}), "default_decision": None, "on_receipt": True}
                for a in ow.agencies
            }
        )
        self._tasks: set[str] = set()
        self.cases: dict[str, Case] = {}

    async def replay(self, n: int, end: datetime, progress: Callable[[int], None] | None) -> None:
        self._start, self._end = end - HISTORY, end
        fresh = min(FRESH, n)
        moments = samples.submission_times(self.rng, self._start, end - timedelta(hours=3), n - fresh)
        for at in moments:
            self._at(at, self._submitter(progress))
        recent = sorted(end - timedelta(minutes=self.rng.randrange(40, 180)) for _ in range(fresh))
        for i, at in enumerate(recent):
            self._at(at, self._submitter(progress, joint=i < JOINT))
        self._at(end - timedelta(minutes=25), self._second_thoughts)
        await self._work_off(end)

    def _submitter(self, progress: Callable[[int], None] | None, joint: bool = False) -> Action:
        async def submit() -> None:
            await (self._joint_consignment() if joint else self._submit())
            if progress:
                progress(1)

        return submit

    # -- declarants ---------------------------------------------------------------------------

    async def _submit(self) -> None:
        rng = self.rng
        today = self.now.astimezone(samples.PORT_TIME).date()
        fraud_risk = 0.06
        if rng.random() < 0.12:
            org = "penavico-wuhu"
            raw = samples.conveyance_report(
                rng,
                agent_uscc=self.usccs[org],
                today=today,
                office=_weighted(rng, samples.RIVER_OFFICES),
                sick=int(rng.random() < 0.15),
                dangerous=rng.random() < 0.25,
                documents=[{"type": "certificate", "sha256": self.documents["certificate"]}]
                if rng.random() < 0.3
                else [],
            )
        else:
            org = "jianghuai-trade" if rng.random() < 0.4 else "gangtong-broker"
            if org == "jianghuai-trade":
                name, consignee, _share, dishonest = self.consignees[0]
            else:
                picked = rng.choices(self.consignees, weights=[c[2] for c in self.consignees])[0]
                name, consignee, _share, dishonest = picked
            fraud_risk = 0.45 if dishonest else 0.06
            kind = "import" if rng.random() < 0.68 else "export"
            invoiced = rng.random() < 0.85 or self.now > self._end - timedelta(hours=3)
            docs = [{"type": "invoice", "sha256": self.documents["invoice"]}] if invoiced else []
            raw = samples.goods_declaration(
                rng,
                consignee_uscc=consignee,
                consignee_name=name,
                declarant_uscc=self.usccs[org],
                kind=kind,
                items=rng.randrange(1, 8),
                today=today,
                office=_weighted(rng, samples.OFFICE_TRAFFIC),
                commodities=samples.cargo(rng, kind),
                documents=docs,
            )
        user = next(u for u in DEMO_USERS if u.org_id == org)
        data = parse_and_check(orjson.dumps(raw), today)
        op = SubmitDeclaration(org, f"user:{user.user_id}", data, self.by_hand.route(data), risk=self.ow.risk)
        receipt: Receipt = await self.ow.committer.run(op)
        case = Case(receipt.number, org, f"user:{user.user_id}", raw, rng.random() < fraud_risk)
        self.cases[case.number] = case
        await self._follow(case)

    async def _joint_consignment(self) -> None:
        """A consignment on the legal-inspection catalogue that customs and quarantine both send to
        one joint inspection soon after it is lodged; the appointment is still ahead when the demo
        is loaded (the officers' pages show it waiting)."""
        rng = self.rng
        today = self.now.astimezone(samples.PORT_TIME).date()
        raw = samples.goods_declaration(
            rng,
            consignee_uscc=self.usccs["jianghuai-trade"],
            consignee_name=self.consignees[0][0],
            declarant_uscc=self.usccs["gangtong-broker"],
            items=rng.randrange(1, 4),
            today=today,
            office=rng.choice(["3301", "3300"]),
            commodities=[c for c in samples.COMMODITIES if c.hs.startswith(JOINT_GOODS)],
            documents=[{"type": "invoice", "sha256": self.documents["invoice"]}],
        )
        data = parse_and_check(orjson.dumps(raw), today)
        actor = "user:gangtong-broker"
        receipt = await self.ow.committer.run(
            SubmitDeclaration("gangtong-broker", actor, data, self.by_hand.route(data), risk=self.ow.risk)
        )
        case = Case(receipt.number, "gangtong-broker", actor, raw, fraud=False, settled=True)
        self.cases[case.number] = case
        self._at(self.now + timedelta(minutes=rng.randrange(10, 30)), lambda: self._order_joint(case))

    async def _order_joint(self, case: Case) -> None:
        reason = "联合查验 / one joint inspection with the other agency"
        for agency in ("customs", "quarantine"):
            officer = self.officers[agency]
            op = DecideDossier(
                case.number, self.by_hand.get(agency), ORDER[agency], reason, f"user:{officer.user_id}"
            )
            if await self._try(op):
                await self._order_placed(case, agency)

    async def _second_thoughts(self) -> None:
        """A declarant asks to withdraw a declaration the agencies have started on, just before
        the demo is loaded: the request waits for them (every demo has one)."""
        d = declarations.c
        with self.ow.engines.read.connect() as conn:
            found = conn.execute(
                sa.select(d.number)
                .where(d.status.in_(["under_review", "inspection"]))
                .where(d.number.in_([n for n, c in self.cases.items() if not c.settled]))
                .order_by(d.submitted_at.desc())
                .limit(1)
            ).scalar()
        if found is not None:
            case = self.cases[found]
            case.settled = True
            await self._withdraw(case)

    def _answer(self, case: Case) -> None:
        """A request for documents: most declarants amend with them within hours, some withdraw,
        some have not answered yet."""
        if case.answering:
            return
        case.answering = True
        roll = self.rng.random()
        later = self._trend() * samples.delay(self.rng, 5.0, 1.0)
        when = samples.working_time(self.now + later, self.rng, days=6, opens=8, closes=21)
        if roll < 0.72:
            self._at(when, lambda: self._amend(case))
        elif roll < 0.87:
            self._at(when, lambda: self._withdraw(case))

    async def _amend(self, case: Case) -> None:
        case.answering = False
        kind = "invoice" if case.raw["kind"] in ("import", "export") else "certificate"
        if all(d["type"] != kind for d in case.raw["documents"]):
            case.raw = {
                **case.raw,
                "documents": [*case.raw["documents"], {"type": kind, "sha256": self.documents[kind]}],
            }
        today = self.now.astimezone(samples.PORT_TIME).date()
        data = parse_and_check(orjson.dumps(case.raw), today)
        reason = "补充随附单证 / the requested document attached"
        op = AmendDeclaration(
            case.number, case.org, case.actor, data, self.by_hand.route(data), reason, risk=self.ow.risk
        )
        if await self._try(op):
            await self._follow(case)

    async def _withdraw(self, case: Case) -> None:
        op = WithdrawDeclaration(case.number, case.org, case.actor, "合同取消 / contract cancelled")
        if await self._try(op):
            await self._follow(case)

    # -- agencies -----------------------------------------------------------------------------

    async def _follow(self, case: Case) -> None:
        """Plan what comes next for each dossier whose situation changed."""
        with self.ow.engines.read.connect() as conn:
            status, pending = conn.execute(
                sa.select(declarations.c.status, declarations.c.withdrawal).where(
                    declarations.c.number == case.number
                )
            ).one()
            rows = conn.execute(
                sa.select(
                    dossiers.c.agency, dossiers.c.state, dossiers.c.category, dossiers.c.withdrawal
                ).where(dossiers.c.number == case.number)
            ).all()
        if status in ("released", "refused", "withdrawn") or case.settled:
            return
        for agency, state, category, withdrawal in rows:
            situation = f"{state}/{withdrawal}"
            if case.planned.get(agency) == situation:
                continue
            case.planned[agency] = situation
            if withdrawal == "pending":
                self._plan_withdrawal(case, agency)
            elif pending == "pending":
                continue  # the declarant asked to withdraw: officers wait for that first
            elif category == "open":
                self._plan_review(case, agency, state)
            elif category == "inspection":
                await self._plan_inspection(case, agency)
            elif category == "action_required":
                self._answer(case)

    def _plan_review(self, case: Case, agency: str, state: str) -> None:
        if self._left_lying():
            return
        channel = self._channel(case.number, agency)
        median = REVIEW_HOURS.get(agency, {}).get(case.raw["kind"], 2.0) * self._trend()
        if channel == "document_check":
            median *= 3
        when = self._office_hours(agency, self.now + samples.delay(self.rng, median), case.raw["kind"])
        roll = self.rng.random()
        if channel == "document_check" and roll < 0.25:
            decision, reason = (
                "request_documents",
                "单证审核：请补充合同 / document check: attach the contract",
            )
        elif channel == "document_check" and roll < 0.35 and agency == "customs":
            decision, reason = ORDER[agency], "单证审核存疑，转查验 / documents in doubt: inspect the goods"
        else:
            decision, reason = "release", "审核通过，准予放行 / reviewed and released"
        self._at(when, lambda: self._decide(case, agency, state, decision, reason))

    async def _plan_inspection(self, case: Case, agency: str) -> None:
        """Wait for the order to be placed (a consumer does it), then plan the joint inspection."""
        task_id = await self._order_placed(case, agency)
        if task_id is None or task_id in self._tasks:
            return
        self._tasks.add(task_id)
        if self._left_lying():
            return
        self._at(self.now + timedelta(minutes=self.rng.randrange(20, 90)), lambda: self._inspect(task_id))

    async def _inspect(self, task_id: str) -> None:
        """The officers open the container (board the vessel) at the appointment."""
        with self.ow.engines.read.connect() as conn:
            task = load_task(conn, task_id)
        if task.status is TaskStatus.CLOSED:
            return
        if task.scheduled_at is not None and task.scheduled_at > self.now + timedelta(minutes=1):
            later = task.scheduled_at + timedelta(minutes=self.rng.randrange(0, 15))
            self._at(later, lambda: self._inspect(task_id))
            return
        if task.scheduled_at is None:  # nowhere to book: the officers come when they can
            self._at(
                self._office_hours("customs", self.now + samples.delay(self.rng, 6.0)),
                lambda: self._findings(task_id),
            )
            return
        await self._try_all([self._opening(task_id, agency) for agency in task.agencies])
        hours = max(INSPECTION_HOURS.get(o.kind, 1.5) for o in task.orders)
        self._at(self.now + samples.delay(self.rng, hours, 0.3), lambda: self._findings(task_id))

    async def _findings(self, task_id: str) -> None:
        with self.ow.engines.read.connect() as conn:
            task = load_task(conn, task_id)
            done = agencies_with_findings(conn, task_id)
        if task.status is TaskStatus.CLOSED:
            return
        orders = sorted(task.orders, key=lambda o: (o.agency, o.number, o.kind))
        cases = {o.number: self.cases.get(o.number) for o in orders}
        fraud = any(c is not None and c.fraud for c in cases.values())
        ops: list[Any] = []
        if task.status is not TaskStatus.IN_PROGRESS:
            ops += [self._opening(task_id, agency) for agency in task.agencies]
        for order in orders:
            if order.agency in done:
                continue
            done.add(order.agency)
            officer = self.officers[order.agency]
            ops.append(
                RecordFindings(
                    task_id,
                    order.agency,
                    officer.org_id,
                    f"user:{officer.user_id}",
                    order.kind,
                    "开箱查验品名、数量、价格 goods, quantity and value checked",
                    "申报不实 mis-declared" if fraud else "",
                    fraud,
                    False,
                )
            )
        await self._try_all([*ops, CloseTask(task_id, task.agencies[0])])  # one transaction
        for order in orders:
            case = cases.get(order.number)
            if case is None:
                continue
            hours = VERDICT_HOURS.get(order.kind, 2.0) * self._trend()
            when = self.now + samples.delay(self.rng, hours, 0.5)
            if order.kind in VERDICT_HOURS:
                when = samples.working_time(when, self.rng)
            if fraud:
                verdict = ("refuse", "检出不合格，不予放行 / failed the inspection")
            else:
                verdict = ("release", "查验未见异常 / inspection found nothing irregular")
            self._at(when, self._verdict(case, order.agency, *verdict))

    def _verdict(self, case: Case, agency: str, decision: str, reason: str) -> Action:
        async def decide() -> None:
            await self._decide(case, agency, None, decision, reason)

        return decide

    def _plan_withdrawal(self, case: Case, agency: str) -> None:
        if self._left_lying():
            return  # not decided yet
        when = self._office_hours(agency, self.now + samples.delay(self.rng, 3.0))
        approve = self.rng.random() < 0.9
        self._at(when, lambda: self._decide_withdrawal(case, agency, approve))

    async def _decide_withdrawal(self, case: Case, agency: str, approve: bool) -> None:
        reason = "同意撤单 / approved" if approve else "货物已查验，不予撤单 / goods already inspected"
        officer = self.officers[agency]
        op = DecideWithdrawal(
            case.number, self.by_hand.get(agency), approve, reason, f"user:{officer.user_id}"
        )
        if await self._try(op):
            await self._follow(case)

    async def _decide(self, case: Case, agency: str, state: str | None, decision: str, reason: str) -> None:
        """An officer's decision, if the dossier is still where it was when it was planned."""
        with self.ow.engines.read.connect() as conn:
            now_in = conn.execute(
                sa.select(dossiers.c.state, dossiers.c.category).where(
                    dossiers.c.number == case.number, dossiers.c.agency == agency
                )
            ).first()
        if now_in is None or (state is not None and now_in.state != state):
            return
        if state is None and now_in.category != "inspection":
            return
        officer = self.officers[agency]
        op = DecideDossier(case.number, self.by_hand.get(agency), decision, reason, f"user:{officer.user_id}")
        if await self._try(op):
            await self._follow(case)


def _weighted(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]
