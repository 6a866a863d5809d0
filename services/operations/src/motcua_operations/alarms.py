"""The wallboard's alarm thresholds, which an administrator sets, and the alarms they raise: a
tile turns red and the alarm is listed when its figure crosses its threshold. `evaluate` is pure
over the figures and the services' health; the thresholds are kept in `operations.thresholds`
(the defaults below until an administrator sets one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_operations.orm import Threshold


@dataclass(frozen=True)
class Setting:
    default: float
    label: str  # Vietnamese, as the settings form shows it
    low: float
    high: float


THRESHOLDS: dict[str, Setting] = {
    "on_time_share_min": Setting(95, "Tỷ lệ đúng hạn tháng này thấp hơn (%)", 0, 100),
    "overdue_max": Setting(0, "Số hồ sơ quá hạn nhiều hơn", 0, 1_000_000),
    "due_soon_max": Setting(50, "Số hồ sơ sắp đến hạn nhiều hơn", 0, 1_000_000),
    "satisfaction_min": Setting(80, "Điểm hài lòng thấp hơn (/100)", 0, 100),
    "lag_max": Setting(100, "Độ trễ xử lý sự kiện của một dịch vụ lớn hơn", 0, 10_000_000),
    "outbox_max": Setting(100, "Sự kiện chờ gửi (outbox) của một dịch vụ nhiều hơn", 0,
                          10_000_000),
    "outbox_age_max": Setting(60, "Sự kiện chờ gửi lâu nhất quá (giây)", 0, 86_400),
    "dead_letters_max": Setting(0, "Bản ghi lỗi (dead letter) nhiều hơn", 0, 1_000_000),
}


class BadThreshold(ValueError):
    pass


def check(values: dict[str, Any]) -> dict[str, float]:
    """The thresholds of a request, each known and within its range; BadThreshold says which
    is not."""
    if not values:
        raise BadThreshold("no threshold given; known: " + ", ".join(THRESHOLDS))
    checked = {}
    for name, value in values.items():
        setting = THRESHOLDS.get(name)
        if setting is None:
            raise BadThreshold(f"no threshold {name!r}; known: {', '.join(THRESHOLDS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadThreshold(f"{name}: a number, not {value!r}")
        if not setting.low <= value <= setting.high:
            raise BadThreshold(f"{name}: from {setting.low:g} to {setting.high:g}, not {value}")
        checked[name] = float(value)
    return checked


async def current(session: AsyncSession) -> dict[str, float]:
    stored = {row.name: row.value for row in await session.scalars(select(Threshold))}
    return {name: stored.get(name, setting.default) for name, setting in THRESHOLDS.items()}


async def store(session: AsyncSession, values: dict[str, float], *, by: str,
                now: datetime) -> None:
    for name, value in values.items():
        await session.execute(insert(Threshold).values(name=name, value=value, set_by=by,
                                                       set_at=now)
                              .on_conflict_do_update(index_elements=[Threshold.name],
                                                     set_={"value": value, "set_by": by,
                                                           "set_at": now}))


def _alarm(tile: str, message: str, value: float, threshold: float) -> dict[str, Any]:
    return {"tile": tile, "message": message, "value": value, "threshold": threshold}


def evaluate(figures: dict[str, Any], services: list[dict[str, Any]],
             thresholds: dict[str, float]) -> list[dict[str, Any]]:
    """The alarms raised now: each names its tile (the page's element `data-tile`), says what
    in Vietnamese, with the figure and its threshold."""
    alarms = []
    month = figures["on_time"]["month"]["share"]
    if month is not None and month * 100 < thresholds["on_time_share_min"]:
        alarms.append(_alarm("on-time-month", "Tỷ lệ đúng hạn tháng này "
                             f"{month * 100:.1f} % < {thresholds['on_time_share_min']:g} %"
                             .replace(".", ","), month * 100, thresholds["on_time_share_min"]))
    for tile, key, name in (("overdue", "overdue_max", "Hồ sơ quá hạn"),
                            ("due-soon", "due_soon_max", "Hồ sơ sắp đến hạn")):
        count = figures["totals"][tile.replace("-", "_")]
        if count > thresholds[key]:
            alarms.append(_alarm(tile, f"{name}: {count} > {thresholds[key]:g}", count,
                                 thresholds[key]))
    score = figures["satisfaction"]["average_score"]
    if score is not None and score < thresholds["satisfaction_min"]:
        alarms.append(_alarm("satisfaction", f"Điểm hài lòng {score:g} < "
                             f"{thresholds['satisfaction_min']:g}".replace(".", ","), score,
                             thresholds["satisfaction_min"]))
    dead = sum(s["dead_letters"] for s in services)
    if dead > thresholds["dead_letters_max"]:
        alarms.append(_alarm("dead-letters", f"Bản ghi lỗi (dead letter): {dead:g} > "
                             f"{thresholds['dead_letters_max']:g}", dead,
                             thresholds["dead_letters_max"]))
    for service in services:
        name = service["name"]
        if not service["up"]:
            alarms.append(_alarm(f"service:{name}", f"Dịch vụ {name} không phản hồi", 1, 0))
            continue
        for key, field, what in (("lag_max", "lag", "độ trễ xử lý sự kiện"),
                                 ("outbox_max", "outbox_backlog", "sự kiện chờ gửi"),
                                 ("outbox_age_max", "outbox_oldest_seconds",
                                  "sự kiện chờ gửi lâu nhất (giây)")):
            if service[field] > thresholds[key]:
                alarms.append(_alarm(f"service:{name}", f"{name}: {what} {service[field]:g} > "
                                     f"{thresholds[key]:g}", service[field], thresholds[key]))
    return alarms
