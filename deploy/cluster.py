"""``make cluster`` / ``make cluster-stop``: the production topology on one machine, without Docker.

    python -m deploy.cluster start     # PostgreSQL primary + streaming replica, demo city if empty,
                                       # app replicas on 127.0.0.1:8511-8513, nginx on 127.0.0.1:8080
    python -m deploy.cluster stop
    python -m deploy.cluster status

Everything lives under ``data/cluster`` (CLUSTER_DIR): the two PostgreSQL data directories, the
nginx prefix, the app replicas' logs and pid files, and ``secrets.env`` (COOKIE_KEY and
APP_SECRET_KEY shared by every replica, generated 0600 on first start unless set in the
environment). PostgreSQL and nginx run as non-root users (``postgres``, ``www-data``) when started
by root; the app replicas run as the calling user. nginx uses deploy/nginx/gridpolice.conf, the
file docker-compose mounts, with this topology's ``servers.conf``/``listen.conf`` beside it.

PostgreSQL listens on 127.0.0.1 only with ``trust`` authentication: this is a one-machine
topology for trying out and testing the cluster; deploy/docker-compose.yml is the one for real use.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx" / "gridpolice.conf"
DB_NAME = "gridpolice"
# hot_standby_feedback: the replica tells the primary which rows its dashboard queries still read, so the
# primary's cleanup does not conflict with them — without it the replica's replay waits behind long
# queries (up to max_standby_streaming_delay, 30 s) and the dashboards' "数据截至" falls that far behind.
PG_OPTS = ("-c listen_addresses=127.0.0.1 -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on "
           "-c hot_standby_feedback=on -c max_connections=200 -c wal_keep_size=256MB -c shared_buffers=256MB")


def _pg_bin() -> Path:
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if cands:
        return Path(cands[0]).parent
    found = shutil.which("pg_ctl")
    if not found:
        raise SystemExit("PostgreSQL server binaries not found: run `bash scripts/system-deps.sh` (as root)")
    return Path(found).parent


def _nginx_bin() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise SystemExit("nginx not found: run `bash scripts/system-deps.sh` (as root)")
    return found


def _as_root() -> bool:
    return os.geteuid() == 0


def _run_as(user: str | None, cmd: list[str], **kw) -> subprocess.CompletedProcess:
    full = ["runuser", "-u", user, "--", *cmd] if user and _as_root() else cmd
    r = subprocess.run(full, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise subprocess.CalledProcessError(r.returncode, full, r.stdout, r.stderr)
    return r


def _chown_tree(path: Path, user: str) -> None:
    if _as_root():
        subprocess.run(["chown", "-R", f"{user}:{user}", str(path)], check=True)


def _wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.3)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Cluster:
    base: Path = field(default_factory=lambda: Path(os.environ.get("CLUSTER_DIR", ROOT / "data" / "cluster")))
    pg_port: int = int(os.environ.get("CLUSTER_PG_PORT", "5441"))
    replica_port: int = int(os.environ.get("CLUSTER_REPLICA_PORT", "5442"))
    app_ports: tuple[int, ...] = tuple(int(p) for p in os.environ.get("CLUSTER_APP_PORTS", "8511,8512,8513").split(","))
    http_port: int = int(os.environ.get("CLUSTER_HTTP_PORT", "8080"))
    scale: str = os.environ.get("CLUSTER_SCALE", "S")
    with_replica: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. APP_FAKE_NOW for tests

    pg_user = "postgres"
    nginx_user = "www-data"

    # --- paths ------------------------------------------------------------------------------------
    @property
    def pg_dir(self) -> Path:
        return self.base / "pg"

    @property
    def primary_data(self) -> Path:
        return self.pg_dir / "primary"

    @property
    def replica_data(self) -> Path:
        return self.pg_dir / "replica"

    @property
    def nginx_dir(self) -> Path:
        return self.base / "nginx"

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    def url(self, port: int | None = None) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port or self.pg_port}/{DB_NAME}"

    @property
    def read_url(self) -> str | None:
        return self.url(self.replica_port) if self.with_replica else None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def app_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    # --- secrets ----------------------------------------------------------------------------------
    def secrets(self) -> dict[str, str]:
        """COOKIE_KEY and APP_SECRET_KEY for every replica: the environment's, else secrets.env."""
        path = self.base / "secrets.env"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.writelines(f"{k}={secrets.token_hex(32)}\n" for k in ("COOKIE_KEY", "APP_SECRET_KEY"))
        stored = dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)
        return {k: os.environ.get(k) or stored[k] for k in ("COOKIE_KEY", "APP_SECRET_KEY")}

    def app_env(self) -> dict[str, str]:
        keys = self.secrets()
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_READ_URL")}
        keys.update({k: v for k, v in self.extra_env.items() if k in keys})
        env.update(DATABASE_URL=self.url(), APP_DATA_DIR=str(self.base / "appdata"), PYTHONPATH=str(ROOT),
                   STREAMLIT_SERVER_COOKIE_SECRET=keys["COOKIE_KEY"], STREAMLIT_SERVER_HEADLESS="true",
                   STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
        env.update(keys)
        env.update(self.extra_env)
        if self.read_url:
            env["DATABASE_READ_URL"] = self.read_url
        return env

    # --- PostgreSQL -------------------------------------------------------------------------------
    def _pg_ctl(self, data: Path, *args: str) -> subprocess.CompletedProcess:
        return _run_as(self.pg_user, [str(_pg_bin() / "pg_ctl"), "-D", str(data), *args])

    def _pg_running(self, data: Path) -> bool:
        if not (data / "postmaster.pid").exists():
            return False
        try:
            self._pg_ctl(data, "status")
            return True
        except subprocess.CalledProcessError:
            return False

    def _pg_start(self, data: Path, port: int) -> None:
        if self._pg_running(data):
            return
        opts = f"{PG_OPTS} -c port={port} -c unix_socket_directories={self.pg_dir}"
        self._pg_ctl(data, "-o", opts, "-l", str(self.pg_dir / f"{data.name}.log"), "-w", "-t", "120", "start")

    def start_postgres(self) -> None:
        self.pg_dir.mkdir(parents=True, exist_ok=True)
        _chown_tree(self.pg_dir, self.pg_user)
        b = _pg_bin()
        if not (self.primary_data / "PG_VERSION").exists():
            _run_as(self.pg_user, [str(b / "initdb"), "-D", str(self.primary_data), "-U", "postgres", "-A", "trust",
                                   "-E", "UTF8", "--locale=C.UTF-8"])
        self._pg_start(self.primary_data, self.pg_port)
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.pg_port} user=postgres dbname=postgres",
                             autocommit=True) as c:
            if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone() is None:
                c.execute(f'CREATE DATABASE "{DB_NAME}"')
        if self.with_replica:
            if not (self.replica_data / "PG_VERSION").exists():
                _run_as(self.pg_user, [str(b / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.pg_port),
                                       "-U", "postgres", "-D", str(self.replica_data), "-R", "-X", "stream",
                                       "-c", "fast"])
            self._pg_start(self.replica_data, self.replica_port)

    def stop_postgres(self) -> None:
        for data in (self.replica_data, self.primary_data):
            if self._pg_running(data):
                self._pg_ctl(data, "-m", "fast", "-w", "stop")

    def restart_primary(self, down_s: float = 0.0) -> None:
        """Stop the primary (fast: connections are cut), stay down ``down_s``, start it again."""
        self._pg_ctl(self.primary_data, "-m", "fast", "-w", "stop")
        time.sleep(down_s)
        self._pg_start(self.primary_data, self.pg_port)

    # --- data -------------------------------------------------------------------------------------
    def seed(self) -> None:
        """Migrate, and generate the demo city at ``scale`` if the database is empty."""
        subprocess.run([sys.executable, "-m", "data_access", "demo", "--scale", self.scale, "--if-empty",
                        *(["--as-of", self.extra_env["APP_FAKE_NOW"][:10]] if "APP_FAKE_NOW" in self.extra_env
                          else [])],
                       cwd=ROOT, env=self.app_env(), check=True)

    # --- app replicas -----------------------------------------------------------------------------
    def _pidfile(self, port: int) -> Path:
        return self.run_dir / f"app-{port}.pid"

    def app_pid(self, port: int) -> int | None:
        p = self._pidfile(port)
        if not p.exists():
            return None
        pid = int(p.read_text())
        return pid if _alive(pid) else None

    def start_app(self, port: int, wait: bool = True) -> None:
        if self.app_pid(port):
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.run_dir / f"app-{port}.log", "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=self.app_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._pidfile(port).write_text(str(proc.pid))
        if wait:
            _wait_http(self.app_url(port) + "/_stcore/health", 90, proc)

    def wait_app(self, port: int, timeout: float = 120) -> None:
        """Until the replica on ``port`` answers its health check."""
        _wait_http(self.app_url(port) + "/_stcore/health", timeout)

    def kill_app(self, port: int, sig: int = signal.SIGKILL) -> None:
        pid = self.app_pid(port)
        if pid:
            os.kill(pid, sig)
            for _ in range(100):
                if not _alive(pid):
                    break
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.1)
        self._pidfile(port).unlink(missing_ok=True)

    def stop_apps(self) -> None:
        for port in self.app_ports:
            pid = self.app_pid(port)
            if pid:
                os.kill(pid, signal.SIGTERM)
        for port in self.app_ports:
            pid = self.app_pid(port)
            for _ in range(50):
                if not pid or not _alive(pid):
                    break
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.2)
            self.kill_app(port)

    # --- nginx ------------------------------------------------------------------------------------
    def write_nginx_conf(self, ports: tuple[int, ...] | None = None) -> Path:
        n = self.nginx_dir
        (n / "gridpolice").mkdir(parents=True, exist_ok=True)
        (n / "tmp").mkdir(exist_ok=True)
        servers = "".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in (ports or self.app_ports))
        (n / "gridpolice" / "servers.conf").write_text(servers)
        (n / "gridpolice" / "listen.conf").write_text(f"listen 127.0.0.1:{self.http_port};\n")
        conf = n / "nginx.conf"
        conf.write_text(f"""# generated by deploy/cluster.py: the process around deploy/nginx/gridpolice.conf
worker_processes 2;
pid {n}/nginx.pid;
error_log {n}/error.log warn;
events {{ worker_connections 1000; }}
http {{
    client_body_temp_path {n}/tmp/body;
    proxy_temp_path {n}/tmp/proxy;
    fastcgi_temp_path {n}/tmp/fastcgi;
    uwsgi_temp_path {n}/tmp/uwsgi;
    scgi_temp_path {n}/tmp/scgi;
    include {NGINX_SITE};
    access_log {n}/access.log gridpolice;
}}
""")
        _chown_tree(n, self.nginx_user)
        return conf

    def _nginx(self, *args: str) -> subprocess.CompletedProcess:
        conf = self.nginx_dir / "nginx.conf"
        return _run_as(self.nginx_user, [_nginx_bin(), "-c", str(conf), "-p", str(self.nginx_dir),
                                         "-e", str(self.nginx_dir / "error.log"), *args])

    def routes(self) -> dict[str, set[str]]:
        """route cookie → the replicas (host:port) that answered it, from nginx's access log."""
        out: dict[str, set[str]] = {}
        log = self.nginx_dir / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            m = re.search(r" route=(\S*) upstream=(.*?) rt=", line)
            if m and m.group(2) not in ("-", ""):
                # a retried request lists every replica tried, e.g. "127.0.0.1:8511, 127.0.0.1:8512"
                out.setdefault(m.group(1), set()).add(m.group(2).split(",")[-1].strip())
        return out

    def nginx_pid(self) -> int | None:
        p = self.nginx_dir / "nginx.pid"
        if not p.exists():
            return None
        try:
            pid = int(p.read_text())
        except ValueError:
            return None
        return pid if _alive(pid) else None

    def start_nginx(self) -> None:
        self.write_nginx_conf()
        self._nginx("-t")
        if self.nginx_pid():
            self._nginx("-s", "reload")
        else:
            self._nginx()
        _wait_http(self.http_url + "/nginx-health", 20)

    def stop_nginx(self) -> None:
        pid = self.nginx_pid()
        if pid:
            self._nginx("-s", "quit")
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    # --- all --------------------------------------------------------------------------------------
    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)  # postgres and www-data must reach their folders
        self.start_postgres()
        self.seed()
        for port in self.app_ports:
            self.start_app(port, wait=False)
        for port in self.app_ports:
            self.wait_app(port)
        self.start_nginx()

    def stop(self) -> None:
        self.stop_nginx()
        self.stop_apps()
        self.stop_postgres()

    def status(self) -> dict:
        return {"primary": self._pg_running(self.primary_data), "replica": self._pg_running(self.replica_data),
                "apps": {p: self.app_pid(p) for p in self.app_ports}, "nginx": self.nginx_pid()}


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except subprocess.CalledProcessError as exc:
        print(f"failed: {' '.join(map(str, exc.cmd))}\n{exc.stderr or ''}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.cluster")
    p.add_argument("cmd", choices=["start", "stop", "status"])
    args = p.parse_args(argv)
    c = Cluster()
    if args.cmd == "start":
        c.start()
        print(f"网格警务 cluster up: {c.http_url}  (replicas {', '.join(map(str, c.app_ports))}; "
              f"PostgreSQL primary :{c.pg_port}, read replica :{c.replica_port}; files in {c.base})")
        print("stop with: make cluster-stop")
    elif args.cmd == "stop":
        c.stop()
        print("网格警务 cluster stopped")
    else:
        for k, v in c.status().items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
