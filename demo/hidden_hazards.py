"""Demo hidden hazards: a handful in the demo city, at different steps of the loop.

Filed and moved by the demo users through :func:`hazard_steps.report` and
:func:`hazard_steps.transition` (so each has its trail and audit entries, and risk sees them):
a broken cover just reported, a leaking drain registered, a third-party dig beside a gas
main graded 重大 and 挂牌督办, a road collapse being rectified past its deadline (overdue),
and waterlogging at a flood point being rectified. Deterministic client ids make a second
load add nothing. Steps that need an ``after`` photo (复查, 销号) are left to people.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.flood_points import FloodPoint
from inventory.inspections import hazard_steps, hazards
from inventory.pipelines import Pipeline
from inventory.service import WriteContext
from resilience import accounts

XIHU = "330106"
NAMESPACE = uuid.UUID("6f1c3d52-9a57-4d8e-bb5c-4a7f0c2d9e11")


def _ctx(session: Session, username: str, today: date) -> WriteContext | None:
    user = session.scalar(select(accounts.User).where(accounts.User.username == username))
    return None if user is None else WriteContext(by=accounts.principal_of(user), today=today)


def _pipeline(session: Session, category: str, skip: int = 0) -> int | None:
    return session.scalar(select(Pipeline.id).where(
        Pipeline.division_code.like(XIHU + "%"), Pipeline.category == category,
        Pipeline.retired_at.is_(None)).order_by(Pipeline.id).offset(skip).limit(1))


def plans(session: Session, today: date) -> list[dict[str, Any]]:
    """The demo hazards: what, on which asset, and the steps they have been through."""
    fixed = {"responsibility_person": "西湖区市政设施养护中心 王工", "funding": "区财政养护资金",
             "contingency_plan": "设置围挡、警示灯，夜间专人值守；险情扩大时按区道路塌陷应急预案处置"}
    out: list[dict[str, Any]] = [
        {"key": "cover", "asset": ("pipelines", _pipeline(session, "drainage")),
         "values": {"name": "文三路雨水井盖破损", "category": "cover_damaged",
                    "description": "雨水检查井井盖一角缺损，车辆碾压有翻转坠落风险"}, "steps": []},
        {"key": "leak", "asset": ("pipelines", _pipeline(session, "water_supply")),
         "values": {"name": "教工路给水管渗漏", "category": "leakage",
                    "description": "人行道地面持续渗水，疑似 DN300 给水管接口渗漏"},
         "steps": [("engineer", "register", {"responsible_unit": "杭州市水务集团",
                                             "deadline": (today + timedelta(days=20)).isoformat()})]},
        {"key": "dig", "asset": ("pipelines", _pipeline(session, "gas")),
         "values": {"name": "燃气管旁违规机械开挖", "category": "third_party_damage", "grade": "major",
                    "description": "施工单位未办理管线交底即在中压燃气管上方机械开挖，管顶覆土不足 0.5 米"},
         "steps": [("engineer", "register", {"responsible_unit": "杭州市燃气集团",
                                             "deadline": (today + timedelta(days=10)).isoformat()}),
                   ("engineer", "grade", {"grade": "major"}),
                   ("manager", "supervise", {"supervising_unit": "杭州市安全生产委员会办公室",
                                             "supervision_deadline":
                                             (today + timedelta(days=30)).isoformat()})]},
        {"key": "collapse", "asset": ("pipelines", _pipeline(session, "drainage", skip=1)),
         "values": {"name": "古墩路路面塌陷", "category": "road_collapse",
                    "description": "污水管破损导致路基掏空，路面出现约 1 平方米塌陷坑"},
         "steps": [("engineer", "register", {"responsible_unit": "西湖区城管局",
                                             "deadline": (today - timedelta(days=5)).isoformat()}),
                   ("engineer", "grade", {"grade": "general"}),
                   ("engineer", "rectify", {**fixed, "measures": "开挖修复破损污水管，分层回填压实后恢复路面"})]},
    ]
    flood = session.scalar(select(FloodPoint.id).where(FloodPoint.retired_at.is_(None))
                           .order_by(FloodPoint.id).limit(1))
    out.append({"key": "water", "asset": ("flood-points", flood), "by": "admin",
                "values": {"name": "下穿通道积水", "category": "waterlogging",
                           "description": "短时强降雨后下穿通道积水约 30 厘米，排水泵站一台水泵故障"},
                "steps": [("manager", "register", {"responsible_unit": "杭州市城市排水有限公司",
                                                   "deadline": (today + timedelta(days=7)).isoformat()}),
                          ("manager", "grade", {"grade": "general"}),
                          ("manager", "rectify", {**fixed, "responsibility_person": "排水公司 李工",
                                                  "measures": "抢修故障水泵，汛前清掏雨水口"})]})
    return out


def load(session: Session, today: date | None = None) -> int:
    """Add the demo hazards not yet there; returns how many were added."""
    today = today or date.today()
    added = 0
    for plan in plans(session, today):
        collection, asset_id = plan["asset"]
        cid = str(uuid.uuid5(NAMESPACE, plan["key"]))
        ctx = _ctx(session, plan.get("by", "inspector"), today)
        if asset_id is None or ctx is None or hazards.by_client_id(session, cid) is not None:
            continue
        values = {**plan["values"], "asset_collection": collection, "asset_id": asset_id}
        hazard = hazard_steps.report(session, values, ctx, client_id=cid)
        for username, action, fields in plan["steps"]:
            by = _ctx(session, username, today)
            if by is not None:
                hazard_steps.transition(session, hazard.id, action, by, **fields)
        added += 1
    return added
