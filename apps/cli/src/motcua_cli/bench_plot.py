"""`motcua bench --plot FILE`: the run as a PNG: throughput and latency over time (with the
backlog), and the CPU each process spent per dossier. Drawn with matplotlib's Agg backend (no
display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (throughput, latency, cpu) = plt.subplots(3, 1, figsize=(10, 12))
    mode = ("closed loop" if result["mode"] == "closed"
            else f"open loop at {result['offered_dossiers_per_second']} dossiers/s")
    figure.suptitle(f"motcua bench: {result['delivered']} of {result['dossiers']} dossiers, "
                    f"{mode}: {result['dossiers_per_second']} dossiers/s, p99 "
                    f"{result['latency_ms']['p99']} ms")
    timeline = result["timeline"]
    seconds = [b["t"] for b in timeline]
    throughput.plot(seconds, [b["delivered"] for b in timeline], label="dossiers delivered/s")
    throughput.plot(seconds, [b["events"] for b in timeline], label="events/s")
    throughput.set_xlabel("seconds since the first submission")
    throughput.set_ylabel("per second")
    throughput.legend(loc="upper left")
    backlog = result.get("backlog") or []
    if backlog:
        behind = throughput.twinx()
        behind.plot([s["t"] for s in backlog], [s["consumer_lag"] for s in backlog], ":",
                    color="grey", label="consumer lag (records)")
        behind.plot([s["t"] for s in backlog], [s["outbox_unsent"] for s in backlog], "--",
                    color="black", label="outbox rows unsent")
        behind.set_ylabel("backlog")
        behind.legend(loc="upper right")
    points = [(b["t"], b["latency_p50_ms"]) for b in timeline if b["latency_p50_ms"] is not None]
    latency.plot([t for t, _ in points], [ms / 1000 for _, ms in points], "o-", markersize=3)
    latency.set_xlabel("seconds since the first submission")
    latency.set_ylabel("latency of the dossiers delivered, p50 (s)")
    by_cost = sorted(result["cpu_ms_per_dossier"].items(), key=lambda item: item[1])
    cpu.barh([name for name, _ in by_cost], [ms for _, ms in by_cost])
    cpu.set_xlabel("CPU ms per dossier delivered")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
