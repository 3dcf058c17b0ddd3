"""ODIN's regional teams, the provinces each covers and the coordinators who belong to one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, UTCDateTime


class Region(Base):
    """A regional team (a taxonomy administrators keep): its key stays, its names and provinces change."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    provinces: Mapped[list[RegionProvince]] = relationship(
        back_populates="region", cascade="all, delete-orphan", order_by="RegionProvince.province"
    )

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_nl

    @property
    def province_codes(self) -> list[str]:
        return [item.province for item in self.provinces]


class RegionProvince(Base):
    """A province belongs to at most one team (the primary key is the province)."""

    __tablename__ = "region_province"

    province: Mapped[str] = mapped_column(String(5), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)

    region: Mapped[Region] = relationship(back_populates="provinces")


class RegionMember(Base):
    """A coordinator's regional team (at most one), assigned by an administrator."""

    __tablename__ = "region_member"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
