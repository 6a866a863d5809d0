"""Production monitoring, checked statically: Prometheus's alerting rules pass `promtool check
rules` and their unit tests (`promtool test rules deploy/alerts.test.yml`), the Prometheus
configuration that loads them passes `promtool check config`, and Grafana's provisioned
dashboards are valid dashboards over the provisioned data source whose every query is PromQL
that promtool parses, on metrics the services export. promtool comes with Debian's `prometheus`
package (scripts/test installs it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
METRICS_SOURCES = [ROOT / "libs" / "runtime" / "src" / "motcua_runtime" / "metrics.py",
                   ROOT / "services" / "portal" / "src" / "motcua_portal" / "sender.py"]


def promtool(*arguments: str, cwd: Path = DEPLOY) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is needed: apt-get install prometheus (scripts/test does)")
    return subprocess.run([binary, *arguments], capture_output=True, text=True, cwd=cwd,
                          timeout=60, check=False)


def exported_metrics() -> set[str]:
    names = set()
    for source in METRICS_SOURCES:
        names.update(re.findall(r'"(motcua_[a-z_]+)"', source.read_text()))
    return names


def test_the_alerting_rules_pass_promtool_and_their_unit_tests():
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_rules_cover_lag_dead_letters_outbox_overdue_work_and_a_service_down():
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"][0]["rules"]
    expressions = " ".join(rule["expr"] for rule in rules)
    for metric in ("motcua_consumer_lag", "motcua_dead_letters_total",
                   "motcua_outbox_oldest_unsent_seconds", "motcua_overdue_work_items", "up{"):
        assert metric in expressions, metric
    used = set(re.findall(r"motcua_[a-z_]+", expressions))
    assert used <= exported_metrics(), used - exported_metrics()


def test_the_prometheus_configuration_loads_the_rules(tmp_path):
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]  # as compose mounts it
    config["rule_files"] = [str(DEPLOY / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_provisions_grafana_with_the_data_source_and_the_dashboards():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    volumes = compose["services"]["grafana"]["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in volumes
    assert "./deploy/alerts.yml:/etc/prometheus/alerts.yml:ro" in \
        compose["services"]["prometheus"]["volumes"]
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "motcua.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    source = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert source["datasources"][0]["url"] == "http://prometheus:9090"


def data_source_uid() -> str:
    source = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    return source["datasources"][0]["uid"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_each_dashboard_is_a_valid_grafana_dashboard(path):
    dashboard = json.loads(path.read_text())
    for key, kind in (("uid", str), ("title", str), ("panels", list), ("schemaVersion", int),
                      ("templating", dict), ("time", dict)):
        assert isinstance(dashboard.get(key), kind), key
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", dashboard["uid"])
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    occupied: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        assert panel["type"] in {"timeseries", "stat", "gauge", "table", "bargauge"}
        assert panel["datasource"] == {"type": "prometheus", "uid": data_source_uid()}
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & occupied, f"panel {panel['title']!r} overlaps another"
        occupied |= cells
        assert panel["targets"] and all(t["expr"] for t in panel["targets"])


def test_every_dashboard_query_is_promql_on_exported_metrics(tmp_path):
    """Each query as a recording rule of a scratch file, which promtool parses: a typo in a
    query fails here, not on the wall of the operations room."""
    rules, used = [], set()
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                expr = target["expr"].replace("$service", ".*")
                used.update(re.findall(r"motcua_[a-z_]+", expr))
                rules.append({"record": f"dashboard:{path.stem}:{panel['id']}:{target['refId']}",
                              "expr": expr})
    (tmp_path / "queries.yml").write_text(yaml.safe_dump(
        {"groups": [{"name": "dashboards", "rules": rules}]}))
    checked = promtool("check", "rules", str(tmp_path / "queries.yml"), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = exported_metrics() | {f"{name}_bucket" for name in exported_metrics()}
    assert used <= exported, used - exported
