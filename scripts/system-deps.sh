#!/usr/bin/env bash
# The Debian packages `make run`, `make test`, `make cluster` and `.ci/run` need, installed when
# missing (apt-get as root; otherwise a clear message and exit 1). Fast when all are present.
set -euo pipefail

pkgs=()
[ -x /usr/bin/chromium ] || pkgs+=(chromium)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || pkgs+=(postgresql)
{ command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk"; } || pkgs+=(fonts-noto-cjk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || pkgs+=(nginx)
command -v make >/dev/null 2>&1 || pkgs+=(make)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || pkgs+=(python3-venv)

[ ${#pkgs[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "网格警务: missing system packages: ${pkgs[*]}" >&2
  echo "Install them as root, then run this again:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "网格警务: missing system packages (${pkgs[*]}) and no apt-get: install their equivalents." >&2
  exit 1
fi

echo "网格警务: installing ${pkgs[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Debian starts the nginx and postgresql services on installation where it can; the project runs
# its own instances as a non-root user on other ports, so stop the packaged ones it just started.
apt-get install -y -qq "${pkgs[@]}" >/dev/null
for svc in nginx postgresql; do
  if printf '%s\n' "${pkgs[@]}" | grep -qx "$svc" && command -v service >/dev/null 2>&1; then
    service "$svc" stop >/dev/null 2>&1 || true
  fi
done
