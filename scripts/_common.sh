# Shared by scripts/run and scripts/test. Installs what is missing, never what is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# System packages: WeasyPrint's libraries, a Japanese font, gettext for translations, and for
# manage.py backup / restore the PostgreSQL 15 client tools and age (encryption of the sets).
BASE_APT_PACKAGES=(python3-venv gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  fontconfig fonts-noto-cjk postgresql-client-15 age)
# scripts/test only: the browser of the e2e tests, and libfaketime for a run at another date.
TEST_APT_PACKAGES=(chromium faketime)

# Services are started with the real clock even when the caller runs under libfaketime
# (faketime ... scripts/test): redis-server spins in clock_gettime with it preloaded.
REAL_CLOCK=(env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED)

ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

pick_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return
    fi
  done
  echo "Python 3.11 is required (Django 5.2 LTS; the machines have 3.11)." >&2
  exit 1
}

# ensure_venv LOCK...: creates .venv and installs each hashed lock file (requirements/*.lock)
# whose content changed since it was last installed here; nothing when none did.
ensure_venv() {
  if [ ! -x "$PY" ]; then
    log "Creating the virtualenv in .venv"
    "$(pick_python)" -m venv "$VENV"
  fi
  local stamps="$VENV/.locks" lock want changed=()
  mkdir -p "$stamps"
  for lock in "$@"; do
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    if [ "$(cat "$stamps/$(basename "$lock").sha256" 2>/dev/null)" != "$want" ]; then
      changed+=("$lock")
    fi
  done
  [ "${#changed[@]}" -gt 0 ] || return 0
  "$PY" -m pip install -q --upgrade pip
  for lock in "${changed[@]}"; do
    log "Installing pinned Python packages ($lock)"
    # The lock pins the whole tree with hashes: pip resolves nothing and checks every download.
    "$PY" -m pip install -q --require-hashes --no-deps -r "$lock"
  done
  "$PY" -m pip check >/dev/null || { "$PY" -m pip check >&2; exit 1; }
  for lock in "${changed[@]}"; do
    sha256sum "$lock" | cut -d' ' -f1 > "$stamps/$(basename "$lock").sha256"
  done
}

compile_messages() {
  log "Compiling translations"
  DJANGO_DEBUG="${DJANGO_DEBUG:-true}" "$PY" manage.py compilemessages --ignore=.venv -v 0
}

redis_up() { "$PY" -c 'import redis,sys; redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()' >/dev/null 2>&1; }
postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_services() {
  ensure_apt postgresql redis-server
  if ! postgres_up; then
    log "Starting PostgreSQL"
    $SUDO "${REAL_CLOCK[@]}" pg_ctlcluster --skip-systemctl-redirect \
      "$(ls /etc/postgresql | sort -V | tail -1)" main start \
      || $SUDO "${REAL_CLOCK[@]}" service postgresql start
    for _ in $(seq 1 30); do postgres_up && break; sleep 1; done
  fi
  if ! redis_up; then
    log "Starting Redis"
    $SUDO "${REAL_CLOCK[@]}" redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
      --appendonly no
    for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  fi
  postgres_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
  redis_up || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
}
