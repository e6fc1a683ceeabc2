"""The nginx configuration docker-compose mounts, checked by the real nginx (`nginx -t`) in the
official image's layout: /etc/nginx/nginx.conf includes conf.d/*.conf in its http block, our site
file is conf.d/default.conf, and its relative includes find gridpolice/servers.conf and
listen.conf beside nginx.conf. Only the upstream host differs: `app` resolves inside compose's
network alone, so the check uses 127.0.0.1 in its place."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = ROOT / "deploy" / "nginx"

pytestmark = [pytest.mark.e2e]

# the http-level part of the nginx image's /etc/nginx/nginx.conf, with this test's paths
IMAGE_MAIN = """worker_processes auto;
pid {d}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include {d}/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {d}/tmp;
    proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp;
    scgi_temp_path {d}/tmp;
    access_log {d}/access.log;
    sendfile on;
    keepalive_timeout 65;
    include {d}/conf.d/*.conf;
}}
"""


def test_the_compose_nginx_files_pass_nginx_t_in_the_image_layout(tmp_path):
    from deploy.cluster import _nginx_bin

    d = tmp_path / "etc-nginx"
    (d / "conf.d").mkdir(parents=True)
    (d / "gridpolice").mkdir()
    (d / "tmp").mkdir()
    (d / "nginx.conf").write_text(IMAGE_MAIN.format(d=d))
    (d / "mime.types").write_text("types { text/html html; application/javascript js; text/css css; }\n")
    shutil.copy(NGINX / "gridpolice.conf", d / "conf.d" / "default.conf")
    servers = (NGINX / "docker" / "servers.conf").read_text()
    assert "server app:8501" in servers
    (d / "gridpolice" / "servers.conf").write_text(servers.replace("server app:8501", "server 127.0.0.1:8501"))
    shutil.copy(NGINX / "docker" / "listen.conf", d / "gridpolice" / "listen.conf")
    r = subprocess.run([_nginx_bin(), "-t", "-p", str(d), "-c", str(d / "nginx.conf"), "-e", str(d / "error.log")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr and "test is successful" in r.stderr
