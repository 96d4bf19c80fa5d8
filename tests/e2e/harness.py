"""Starts the whole hub as real processes (gunicorn web + worker per service), like `make run`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SERVICES = ("accounts", "referrals", "notifications")
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Hub:
    workdir: Path
    database_urls: dict[str, str] = field(default_factory=dict)  # empty: embedded SQLite
    broker_url: str | None = None  # None: embedded broker
    operator_id: str = "e2e-operator"
    operator_secret: str = "e2e-operator-secret-0123456789"
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self):
        self.ports = {name: free_port() for name in SERVICES}
        self.logs = self.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.trace_file = self.workdir / "traces.jsonl"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def web_callback(self, service: str) -> str:
        """Where accounts returns a person signed in to `service`'s web pages (client `<service>-web`)."""
        return self.url(service) + "/auth/callback"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "ACCOUNTS_", "REFERRALS_",
                                                                          "NOTIFICATIONS_", "BROKER_URL", "OTEL_"))}
        env.update({
            "PATH": f"{BIN}:{env.get('PATH', '')}",
            "HUB_VAR_DIR": str(self.workdir / "var"),
            "HUB_TRACE_FILE": str(self.trace_file),
            "HUB_DEMO_DATA": "0",
            "HUB_WEB_WORKERS": "2",
            "ACCOUNTS_URL": self.url("accounts"),
            "HUB_ISSUER": self.url("accounts"),
            "ACCOUNTS_BOOTSTRAP_CLIENT_ID": self.operator_id,
            "ACCOUNTS_BOOTSTRAP_CLIENT_SECRET": self.operator_secret,
            "NOTIFICATIONS_ALLOW_PRIVATE_URLS": "1",
            # The web forms link to notices (and ask their unread count) at this hub's notifications.
            "REFERRALS_NOTIFICATIONS_URL": self.url("notifications"),
            "NOTIFICATIONS_REFERRALS_URL": self.url("referrals"),
            # The web forms' sign-in returns to this hub's ports, not to `make run`'s fixed ones.
            "ACCOUNTS_WEB_CLIENTS": ",".join(f"{service}-web={self.web_callback(service)}"
                                             for service in ("referrals", "notifications")),
            "PYTHONUNBUFFERED": "1",
        })
        for name in SERVICES:
            env[f"{name.upper()}_PORT"] = str(self.ports[name])
            if name in self.database_urls:
                env[f"{name.upper()}_DATABASE_URL"] = self.database_urls[name]
        if self.broker_url:
            env["BROKER_URL"] = self.broker_url
        env.update(self.extra_env)
        return env

    def migrate(self) -> None:
        for name in SERVICES:
            subprocess.run([str(BIN / "python"), "-m", name, "migrate"], cwd=REPO, env=self.env(), check=True,
                           timeout=120, stdout=subprocess.DEVNULL)

    def start_process(self, key: str) -> subprocess.Popen:
        service, _, role = key.partition("-")
        if role == "worker":
            command = [str(BIN / "python"), "-m", f"{service}.worker"]
        else:
            command = [str(BIN / "gunicorn"), "-c", "python:shared.gunicorn_conf", "-b",
                       f"127.0.0.1:{self.ports[service]}", f"{service}.app:create_app()"]
        env = self.env() | {"HUB_SERVICE": service}
        log = open(self.logs / f"{key}.log", "ab")
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[key] = process
        return process

    def start(self, timeout: float = 180.0) -> "Hub":
        self.migrate()
        for name in SERVICES:
            self.start_process(name)
            self.start_process(f"{name}-worker")
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for name in SERVICES:
            while True:
                for key, process in self.processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(f"{key} exited with {process.returncode}:\n{self.log_text(key)[-3000:]}")
                try:
                    if httpx.get(self.url(name) + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready within {timeout}s:\n{self.log_text(name)[-3000:]}")
                time.sleep(0.1)

    def kill(self, key: str, signum: int = signal.SIGKILL) -> None:
        """Kill a process the hard way (no cleanup, no flush), as a crash or an OOM kill would."""
        process = self.processes[key]
        process.send_signal(signum)
        process.wait(timeout=15)

    def restart(self, key: str) -> subprocess.Popen:
        if self.processes[key].poll() is None:
            self.kill(key)
        return self.start_process(key)

    def web_worker_pids(self, service: str) -> list[int]:
        """The gunicorn worker processes of a service (children of its master)."""
        master = self.processes[service].pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(pid) for pid in children]

    def log_text(self, key: str | None = None) -> str:
        files = [self.logs / f"{key}.log"] if key else sorted(self.logs.glob("*.log"))
        return "\n".join(path.read_text(errors="replace") for path in files if path.exists())

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # -- API helpers ------------------------------------------------------------------------
    def token(self, client_id: str, secret: str) -> str:
        response = httpx.post(self.url("accounts") + "/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(client_id, secret), timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    def api(self, service: str, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url(service), headers=headers, timeout=10)

    def operator_api(self) -> httpx.Client:
        return self.api("accounts", self.token(self.operator_id, self.operator_secret))

    @staticmethod
    def create_organisation(operator: httpx.Client, name: str, kind: str) -> str:
        response = operator.post("/v1/organisations", json={"name": {"fi": name}, "type": kind,
                                                            "municipality_codes": ["186"]})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def client_token(self, operator: httpx.Client, organisation_id: str,
                     scopes=("referrals:read", "referrals:write", "webhooks:manage")) -> str:
        """A new API client of the organisation, and a token for it."""
        response = operator.post(f"/v1/organisations/{organisation_id}/api-clients",
                                 json={"name": "client system", "scopes": list(scopes)})
        assert response.status_code == 201, response.text
        body = response.json()
        return self.token(body["client_id"], body["client_secret"])


def hub_for_mode(request, workdir: Path, mode: str) -> Hub:
    """A Hub on embedded defaults, or (`real`) on RabbitMQ and fresh PostgreSQL databases from the
    real-server fixtures (skipped locally without them, required in CI)."""
    if mode == "embedded":
        return Hub(workdir)
    from tests.shared.backbone import purge_queues

    amqp = request.getfixturevalue("amqp_url")
    make_db = request.getfixturevalue("fresh_postgres_db")
    purge_queues(amqp)
    return Hub(workdir, database_urls={name: make_db(name) for name in SERVICES}, broker_url=amqp)
