"""Utility tunnels (综合管廊): alignment, cabins with the lines they carry, nodes."""

from __future__ import annotations

from geoalchemy2 import WKBElement
from sqlalchemy import Float, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.assets import (
    COMMON_HEAD,
    COMMON_TAIL,
    AssetColumns,
    ChildSpec,
    CollectionSpec,
    F,
    register,
)
from resilience import codes
from resilience.model import Base
from resilience.spatial import geometry


class Tunnel(AssetColumns, Base):
    """A utility tunnel; its cabins and nodes are part of it and change with it."""

    __tablename__ = "tunnels"

    geom: Mapped[WKBElement] = mapped_column(geometry("LINESTRING"), nullable=False)
    tunnel_type: Mapped[str] = mapped_column(String(16), nullable=False)
    width_m: Mapped[float | None] = mapped_column(Float)
    height_m: Mapped[float | None] = mapped_column(Float)
    build_year: Mapped[int | None] = mapped_column(SmallInteger)
    design_life_years: Mapped[int | None] = mapped_column(SmallInteger)
    owner: Mapped[str | None] = mapped_column(String(200))
    operator: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="in_service")
    condition_grade: Mapped[int | None] = mapped_column(SmallInteger)
    length_m: Mapped[float | None] = mapped_column(Float)
    cabins: Mapped[list[TunnelCabin]] = relationship(
        cascade="all, delete-orphan", order_by="TunnelCabin.position", lazy="selectin"
    )
    nodes: Mapped[list[TunnelNode]] = relationship(
        cascade="all, delete-orphan", order_by="TunnelNode.position", lazy="selectin"
    )


class TunnelCabin(Base):
    """A cabin (舱室) of a tunnel and its use (GB 50838: gas in its own cabin…)."""

    __tablename__ = "tunnel_cabins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tunnel_id: Mapped[int] = mapped_column(
        ForeignKey("tunnels.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    use: Mapped[str] = mapped_column(String(16), nullable=False)
    fire_compartment_m: Mapped[float | None] = mapped_column(Float)
    lines: Mapped[list[CabinLine]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def pipeline_ids(self) -> list[int]:
        """The pipeline segments carried in this cabin."""
        return sorted(line.pipeline_id for line in self.lines)


class CabinLine(Base):
    """A pipeline segment carried in a cabin; a segment lies in at most one cabin."""

    __tablename__ = "tunnel_cabin_lines"

    cabin_id: Mapped[int] = mapped_column(
        ForeignKey("tunnel_cabins.id", ondelete="CASCADE"), primary_key=True
    )
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("pipelines.id"), primary_key=True, unique=True
    )


class TunnelNode(Base):
    """An access, ventilation, material-entry, branch or monitoring point of a tunnel."""

    __tablename__ = "tunnel_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tunnel_id: Mapped[int] = mapped_column(
        ForeignKey("tunnels.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    name: Mapped[str | None] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)


CABINS = ChildSpec("cabins", "舱室", "Cabins", (
    F("id", "int", "编号", "Id", readonly=True),
    F("name", "str", "舱室名称", "Cabin name", required=True, max_length=100),
    F("use", "code", "舱室用途", "Use", required=True, codes=codes.CABIN_USES),
    F("fire_compartment_m", "float", "防火分区长度(m)", "Fire compartment length (m)",
      min=0, exclusive_min=True, max=1000, unit="m"),
    F("pipeline_ids", "int_list", "入廊管线", "Pipelines carried"),
))

NODES = ChildSpec("nodes", "节点", "Nodes", (
    F("id", "int", "编号", "Id", readonly=True),
    F("kind", "code", "节点类型", "Kind", required=True, codes=codes.TUNNEL_NODE_KINDS),
    F("name", "str", "名称", "Name", max_length=100),
), has_position=True)

TUNNELS = register(CollectionSpec(
    name="tunnels", rank=30, searchable=True, zh="综合管廊", en="Utility tunnels", model=Tunnel,
    geometry_types=("LineString",),
    fields=(
        *COMMON_HEAD,
        F("tunnel_type", "code", "管廊类型", "Tunnel type", required=True,
          codes=codes.TUNNEL_TYPES),
        F("width_m", "float", "断面宽(m)", "Width (m)", min=0, exclusive_min=True, max=50,
          unit="m"),
        F("height_m", "float", "断面高(m)", "Height (m)", min=0, exclusive_min=True, max=50,
          unit="m"),
        F("build_year", "int", "建设年代", "Build year", min=1900),
        F("design_life_years", "int", "设计使用年限", "Design life (years)", min=1, max=200,
          default=100, unit="a"),
        F("owner", "str", "权属单位", "Owner"),
        F("operator", "str", "运维单位", "Operator"),
        F("status", "code", "状态", "Status", codes=codes.ASSET_STATUSES, default="in_service"),
        F("condition_grade", "int", "状况等级", "Condition grade", min=1, max=4,
          codes=codes.CONDITION_GRADES),
        F("length_m", "float", "长度(m)", "Length (m)", readonly=True, filterable=False,
          unit="m"),
        *COMMON_TAIL,
    ),
    children=(CABINS, NODES),
))
