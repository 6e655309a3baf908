"""deploy/: Compose file, Kubernetes manifests and Dockerfiles, checked offline (issue 7).

They cannot run here (no container engine), so this checks what matters: every manifest against
the Kubernetes JSON schemas that kubernetes-validate ships (strict: unknown fields fail), the
Compose file against the compose-spec schema that check-jsonschema vendors, and our own rules:
probes on our health endpoints, resources, secrets only by reference, image names, and ports equal
to scripts/processes.py's defaults. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from backend.settings import DEV_SECRET_KEY, DEV_SERVICE_TOKEN, REPO_ROOT
from scripts.processes import Ports

DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.30.0"  # the oldest Kubernetes we promise; the schemas ship in the package
PORTS = Ports()
APP_IMAGE, RASA_IMAGE = "assist-app", "assist-rasa"
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$|DATABASE_URL|AUTH")
# component → (port, health path) as scripts/processes.py probes them
HEALTH = {
    "backend": (PORTS.backend, "/healthz"),
    "actions": (PORTS.actions, "/health"),
    "rasa": (PORTS.rasa, "/"),
    "telegram": (8444, "/healthz"),  # the gateway's door for proactive messages
}


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path, doc))
    return docs


def workloads() -> dict[str, dict[str, Any]]:
    """name → pod spec of every Deployment, StatefulSet and CronJob."""
    out = {}
    for _, doc in manifests():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            out[doc["metadata"]["name"]] = doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            out[doc["metadata"]["name"]] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return out


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def image_name(image: str) -> str:
    return image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def probe_target(probe: dict[str, Any], container: dict[str, Any]) -> tuple[int, str]:
    get = probe["httpGet"]
    port = get["port"]
    if isinstance(port, str):
        port = next(p["containerPort"] for p in container["ports"] if p.get("name") == port)
    return port, get["path"]


# --- Kubernetes ---


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        pytest.param(p, d, id=f"{p.name}:{d['kind']}:{d.get('metadata', {}).get('name', '')}")
        for p, d in manifests()
    ],
)
def test_manifest_matches_kubernetes_schema(path: Path, doc: dict[str, Any]) -> None:
    if doc["kind"] == "Kustomization":
        listed = set(doc["resources"])
        assert listed == {p.name for p in K8S.glob("*.yaml")} - {path.name}
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_schema_check_catches_mistakes() -> None:
    _, deployment = next((p, d) for p, d in manifests() if d["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_every_container_has_resources_and_probes() -> None:
    for name, pod in workloads().items():
        for container in pod.get("initContainers", []) + pod["containers"]:
            res = container.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(part, {})), (name, container["name"], part)
            if container.get("ports") and container in pod["containers"]:
                assert "readinessProbe" in container and "livenessProbe" in container, name


def test_probes_use_our_health_endpoints_and_ports() -> None:
    pods = workloads()
    services = by_kind("Service")
    for component, (port, path) in HEALTH.items():
        container = pods[component]["containers"][0]
        assert [p["containerPort"] for p in container["ports"]] == [port], component
        for kind in ("readinessProbe", "livenessProbe"):
            assert probe_target(container[kind], container) == (port, path), (component, kind)
        assert services[component]["spec"]["ports"][0]["port"] == port
        assert services[component]["spec"]["selector"] == {"app.kubernetes.io/name": component}


def test_replicas_and_images() -> None:
    deployments = by_kind("Deployment")
    rasa = by_kind("StatefulSet")["rasa"]
    assert rasa["spec"]["replicas"] >= 2
    # Each pod is addressable (headless Service) and listed for the hub's sender pinning.
    assert rasa["spec"]["serviceName"] == "rasa"
    assert by_kind("Service")["rasa"]["spec"]["clusterIP"] == "None"
    urls = by_kind("ConfigMap")["assist-config"]["data"]["RASA_URLS"].split(",")
    assert urls == [f"http://rasa-{i}.rasa:{PORTS.rasa}" for i in range(rasa["spec"]["replicas"])]
    assert deployments["actions"]["spec"]["replicas"] >= 2
    assert deployments["telegram"]["spec"]["replicas"] <= 1  # long polling: never two
    for name, pod in workloads().items():
        for container in pod.get("initContainers", []) + pod["containers"]:
            image = image_name(container["image"])
            if name == "rasa":
                assert image == RASA_IMAGE
            elif name in ("postgres", "redis", "rabbitmq"):
                assert image in ("postgres", "redis", "rabbitmq")
            else:
                assert image == APP_IMAGE, (name, image)


def test_secrets_only_by_reference() -> None:
    for name, pod in workloads().items():
        for container in pod.get("initContainers", []) + pod["containers"]:
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    assert "value" not in env, (name, env["name"])
                    assert env["valueFrom"]["secretKeyRef"]["name"] == "assist-secrets"
    for _, doc in manifests():
        assert doc["kind"] != "Secret", "secrets are created from the environment, not from git"
        if doc["kind"] == "ConfigMap":
            for key, value in doc["data"].items():
                assert not SECRET_NAME.search(key), key
                for line in value.splitlines():
                    if re.match(r"\s*(password|token)\s*:", line):
                        assert re.search(r":\s*\$\{[A-Z_]+\}\s*$", line), line
    text = "\n".join(p.read_text() for p in DEPLOY.rglob("*") if p.is_file())
    assert DEV_SECRET_KEY not in text and DEV_SERVICE_TOKEN not in text


def test_rasa_endpoints_production_stores() -> None:
    from_configmap = yaml.safe_load(by_kind("ConfigMap")["rasa-endpoints"]["data"]["endpoints.yml"])
    from_file = yaml.safe_load((DEPLOY / "rasa" / "endpoints.yml").read_text())
    assert from_configmap == from_file
    # Rasa's SQL store without the per-turn re-read; rasa_serve.py makes it importable
    assert from_file["tracker_store"]["type"] == "bot.tracker_store.CachedSQLTrackerStore"
    assert from_file["tracker_store"]["dialect"] == "postgresql"
    assert from_file["lock_store"]["type"] == "redis" and from_file["lock_store"]["port"] == 6379
    assert from_file["action_endpoint"]["url"] == f"http://actions:{PORTS.actions}/webhook"
    rasa = workloads()["rasa"]
    mount = rasa["containers"][0]["volumeMounts"][0]
    assert mount["mountPath"] == "/config"
    assert "--endpoints /config/endpoints.yml" in (DEPLOY / "Dockerfile.rasa").read_text()
    config = by_kind("ConfigMap")["assist-config"]["data"]
    assert config["RASA_URL"] == f"http://rasa:{PORTS.rasa}"
    assert config["ASSIST_BACKEND_URL"] == f"http://backend:{PORTS.backend}"


def test_commands_name_real_modules() -> None:
    for name, pod in workloads().items():
        for container in pod.get("initContainers", []) + pod["containers"]:
            command = container.get("command", [])
            if command[:2] == ["python", "-m"]:
                assert importlib.util.find_spec(command[2]) is not None, (name, command)
            if command[:1] == ["uvicorn"]:
                assert command[1] == "backend.main:app"
                assert command[command.index("--port") + 1] == str(PORTS.backend)
    actions = workloads()["actions"]["containers"][0]["command"]
    assert actions[actions.index("-p") + 1] == str(PORTS.actions)


# --- Compose ---


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_matches_compose_spec() -> None:
    schema_text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(
        "compose-spec.json"
    )
    schema = json.loads(schema_text.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []
    assert list(validator.iter_errors({"services": {"x": {"imagee": "typo"}}}))


def test_compose_services_health_and_secrets() -> None:
    services = compose()["services"]
    for name in ("backend", "actions", "rasa", "postgres", "redis", "rabbitmq"):
        assert "healthcheck" in services[name], name
    # Two named Rasa replicas, both in the backend's RASA_URLS (the hub pins senders to them).
    assert services["rasa-1"]["image"] == services["rasa"]["image"]
    assert services["rasa-1"]["volumes"] == services["rasa"]["volumes"]
    rasa_urls = services["backend"]["environment"]["RASA_URLS"].split(",")
    assert rasa_urls == [f"http://rasa:{PORTS.rasa}", f"http://rasa-1:{PORTS.rasa}"]
    assert services["analytics"]["command"][:3] == ["python", "-m", "backend.analytics.consumer"]
    for component, (port, path) in HEALTH.items():
        test = " ".join(services[component]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}{path}'" in test, component
    assert services["backend"]["ports"] == ["${ASSIST_PORT:-8000}:8000"]
    assert all("ports" not in services[n] for n in services if n != "backend")
    for name, service in services.items():
        env = service.get("environment", {})
        for key, value in env.items():
            if SECRET_NAME.search(key) and value:
                assert "${" in str(value), (name, key)  # from the environment, never literal
        image = image_name(service["image"])
        if name in ("rasa", "rasa-1"):
            assert image == RASA_IMAGE
        elif name not in ("postgres", "redis", "rabbitmq"):
            assert image == APP_IMAGE
    assert (DEPLOY / services["rasa"]["volumes"][0].split(":")[0]).resolve() == (
        DEPLOY / "rasa" / "endpoints.yml"
    )


def parse_dockerfile(name: str) -> list[Any]:
    """The official BuildKit parser (the ``dockerfile`` package): a syntax error fails here."""
    import dockerfile

    return list(dockerfile.parse_file(str(DEPLOY / name)))


def test_dockerfiles_parse_and_match_our_processes() -> None:
    app, rasa = parse_dockerfile("Dockerfile.app"), parse_dockerfile("Dockerfile.rasa")

    def values(commands: list[Any], cmd: str) -> list[tuple[str, ...]]:
        return [c.value for c in commands if c.cmd == cmd]

    # Python versions as the project uses them: 3.11 for the app, 3.10 for Rasa 3.6.21
    assert values(app, "FROM")[-1][0] == "python:3.11-slim"
    assert values(rasa, "FROM")[-1][0] == "python:3.10-slim"
    assert "rasa==3.6.21" in (REPO_ROOT / "bot" / "requirements-rasa.txt").read_text()
    assert values(app, "USER")[-1] == ("10001",) and values(rasa, "USER")[-1] == ("10001",)
    assert values(app, "EXPOSE") == [(str(PORTS.backend), str(PORTS.actions))]
    assert values(rasa, "EXPOSE") == [(str(PORTS.rasa),)]
    app_cmd = values(app, "CMD")[-1]
    assert app_cmd[:2] == ("uvicorn", "backend.main:app")
    assert app_cmd[app_cmd.index("--port") + 1] == str(PORTS.backend)
    rasa_cmd = values(rasa, "CMD")[-1][-1]
    assert f"-p {PORTS.rasa}" in rasa_cmd and "--enable-api" in rasa_cmd
    assert rasa_cmd.startswith("exec python scripts/rasa_serve.py run ")  # as processes.py runs it
    ignored = (DEPLOY / "Dockerfile.rasa.dockerignore").read_text().splitlines()
    assert "!scripts/rasa_serve.py" in ignored
    assert '--auth-token="$RASA_TOKEN"' in rasa_cmd
    known = {"FROM", "RUN", "CMD", "ENV", "WORKDIR", "COPY", "USER", "EXPOSE", "ARG", "LABEL"}
    for commands in (app, rasa):
        assert {c.cmd for c in commands} <= known  # the parser itself accepts any word
        assert all(c.json for c in commands if c.cmd == "CMD")  # exec form: signals reach it
        for copy in (c for c in commands if c.cmd == "COPY" and not c.flags):
            for source in copy.value[:-1]:
                assert (REPO_ROOT / source).exists(), source
        for env in values(commands, "ENV"):
            assert not any(SECRET_NAME.search(word) for word in env[::2]), env


def test_host_names_are_services_in_both() -> None:
    """Every host the containers dial is a Kubernetes Service and a Compose service."""
    from urllib.parse import urlsplit

    endpoints = yaml.safe_load((DEPLOY / "rasa" / "endpoints.yml").read_text())
    config = by_kind("ConfigMap")["assist-config"]["data"]
    hosts = {
        endpoints["tracker_store"]["url"],
        endpoints["lock_store"]["url"],
        urlsplit(endpoints["action_endpoint"]["url"]).hostname,
        urlsplit(config["RASA_URL"]).hostname,
        urlsplit(config["ASSIST_BACKEND_URL"]).hostname,
        urlsplit(config["TELEGRAM_GATEWAY_URL"]).hostname,
        endpoints["event_broker"]["url"],
        config["RABBITMQ_HOST"],
    }
    assert hosts == {"postgres", "redis", "actions", "rasa", "backend", "telegram", "rabbitmq"}
    assert hosts <= set(by_kind("Service"))
    assert hosts <= set(compose()["services"])
    for name, service in by_kind("Service").items():
        target = service["spec"]["ports"][0]["targetPort"]
        pod = workloads()[name]
        names = {p.get("name") for p in pod["containers"][0]["ports"]}
        assert target in names, name


def test_backend_settings_in_step_with_the_production_run_command(tmp_path: Path) -> None:
    """What the run command's production profile gives the backend, both deployments give it
    too: the profile (no key, no start), the IC encryption keys, the Redis turn lock, the
    replicas and the broker. A new setting there fails here until the deployments have it."""
    from scripts.processes import process_specs

    env = {
        "ASSIST_PROFILE": "production",
        "DATABASE_URL": "postgresql+psycopg2://assist@127.0.0.1/assist",
        "ASSIST_DATA_KEY": "k",
        "ASSIST_LOOKUP_KEY": "l",
    }
    backend = process_specs(Ports(), env, tmp_path, with_telegram=False)[0]
    assert backend.env["REDIS_URL"].startswith("redis://")
    needed = {"ASSIST_PROFILE", "ASSIST_DATA_KEY", "ASSIST_LOOKUP_KEY", "REDIS_URL", "RASA_URLS"}
    assert needed <= set(backend.env)

    compose_env = compose()["services"]["backend"]["environment"]
    assert needed <= set(compose_env)
    assert compose_env["ASSIST_PROFILE"] == "production"
    assert compose_env["REDIS_URL"].endswith("@redis:6379/1")  # the lock store's Redis

    pod = workloads()["backend"]
    config = by_kind("ConfigMap")["assist-config"]["data"]
    assert config["ASSIST_PROFILE"] == "production"
    for container in pod["initContainers"] + pod["containers"]:
        names = {e["name"] for e in container.get("env", [])}
        names |= set(config) if container.get("envFrom") else set()
        # The migration (0011 encrypts existing rows) needs the keys as much as the server.
        assert {"ASSIST_PROFILE", "ASSIST_DATA_KEY", "ASSIST_LOOKUP_KEY"} <= names, container
    server = {e["name"] for e in pod["containers"][0]["env"]} | set(config)
    assert needed <= server
