#!/usr/bin/env bash
# Installs what the registry needs from Debian's packages, once; idempotent.
#   run:  SpatiaLite (the embedded database)
#   test: also PostGIS into the local PostgreSQL 15, Chromium (browser tests), GDAL's ogrinfo
set -euo pipefail
mode=${1:-run}

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have_pkg libsqlite3-mod-spatialite || need+=(libsqlite3-mod-spatialite)
if [ "$mode" = test ]; then
  pg_major=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  pg_major=${pg_major:-15}
  have_pkg "postgresql-${pg_major}-postgis-3" || need+=("postgresql-${pg_major}-postgis-3")
  # pg_dump/pg_restore for `resilience backup`/`restore` (the server package brings them too)
  have_pkg "postgresql-client-${pg_major}" || need+=("postgresql-client-${pg_major}")
  have_pkg chromium || need+=(chromium)
  have_pkg gdal-bin || need+=(gdal-bin)
  have_pkg fonts-wqy-microhei || need+=(fonts-wqy-microhei)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: ${need[*]}" >&2
    echo "Run once: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "Installing ${need[*]} from Debian's packages…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "$mode" = test ]; then
  # The tests need PostgreSQL up (this machine starts it; after a reboot it may not be).
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "${pg_major}" main start || true
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
  fi
fi
