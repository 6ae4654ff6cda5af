#!/usr/bin/env bash
# Private PostgreSQL cluster for this checkout (used by `make test` and CI).
#
#   postgres.sh install   install the Debian `postgresql` package if no server binaries exist
#   postgres.sh start     install if needed, initdb once, start, create role/databases, wait ready
#   postgres.sh stop      stop the cluster, but only if `start` started it (marker file)
#   postgres.sh url       print the test database URL
#   postgres.sh status    print "running" / "not running", exit 0 / 1
#
# The cluster lives in $ROOT/.services/postgres ({data,run,log}) where ROOT is the repo root.
# If the `postgres` system user cannot traverse ROOT (e.g. a checkout under /root), it lives in
# /var/tmp/hotich-postgres-<hash of ROOT> instead. HOTICH_PG_DIR names another directory: a
# second cluster runs beside the first with its own HOTICH_PG_DIR and HOTICH_PG_PORT (the
# outage tests stop and start one that way; `start` keeps a cluster's data). It listens on
# 127.0.0.1 only, on port ${HOTICH_PG_PORT:-55432}. HOTICH_PG_FAST=1 turns off fsync & co.
# (throwaway test data only).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PORT="${HOTICH_PG_PORT:-55432}"
PG_OS_USER=postgres
DB_ROLE=hotich
DB_PASSWORD=hotich
DATABASES=(hotich hotich_test)
START_TIMEOUT=30

# Connection settings from the caller's environment must not redirect our own psql calls.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGOPTIONS PGDATA

SERVICE_NAME=postgres.sh
LOCK_TIMEOUT=120
# shellcheck source=services/lib/service.sh
. "$ROOT/services/lib/service.sh"
# The cluster is pg_ctl's: this script defines its own process state, stop and status below.

PORT="$(check_port HOTICH_PG_PORT "$PORT")"

# ---------------------------------------------------------------- binaries

# Newest /usr/lib/postgresql/<ver>/bin holding both initdb and pg_ctl; empty if none.
newest_bin_dir() {
    local d best=''
    while IFS= read -r d; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then best="$d"; fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
    printf '%s' "$best"
}

cmd_install() {
    local bin
    bin="$(newest_bin_dir)"
    if [ -n "$bin" ]; then
        say "PostgreSQL server already installed ($bin)"
        return 0
    fi
    apt_install "PostgreSQL server binaries" postgresql
    bin="$(newest_bin_dir)"
    [ -n "$bin" ] || die "apt-get installed postgresql but no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    say "installed PostgreSQL server ($bin)"
}

# ---------------------------------------------------------------- who runs the server

have_pg_user() { id -u "$PG_OS_USER" >/dev/null 2>&1; }

# Run a command as the user owning the cluster: `postgres` when we are root (the server refuses
# to run as root), ourselves otherwise. Runs from / so an unreadable cwd (e.g. /root) is harmless,
# and without fd 9 (our lock) so the postmaster does not inherit and keep holding it.
as_pg() {
    if is_root; then
        if command -v runuser >/dev/null; then
            (cd / && runuser -u "$PG_OS_USER" -- "$@") 9>&-
        else
            (cd / && setpriv --reuid="$PG_OS_USER" --regid="$PG_OS_USER" --init-groups -- "$@") 9>&-
        fi
    else
        (cd / && "$@") 9>&-
    fi
}

ensure_pg_user() {
    is_root || return 0
    have_pg_user && return 0
    say "creating system user $PG_OS_USER"
    if ! getent group "$PG_OS_USER" >/dev/null; then groupadd --system "$PG_OS_USER"; fi
    useradd --system --gid "$PG_OS_USER" --home-dir /var/lib/postgresql --no-create-home \
        --shell /bin/bash --comment "PostgreSQL administrator" "$PG_OS_USER"
}

# ---------------------------------------------------------------- where the cluster lives

root_hash() { printf '%s' "${HOTICH_PG_DIR:-$ROOT}" | sha256sum | cut -c1-12; }

INTREE_BASE="$ROOT/.services/postgres"
FALLBACK_BASE="/var/tmp/hotich-postgres-$(root_hash)"

# Sets BASE and the paths under it. The same rule for every subcommand.
resolve_base() {
    if [ -n "${HOTICH_PG_DIR:-}" ]; then
        BASE="$HOTICH_PG_DIR"
        case "$BASE" in /*) ;; *) BASE="$PWD/$BASE" ;; esac
    elif ! is_root; then
        BASE="$INTREE_BASE"
    elif have_pg_user; then
        if as_pg test -x "$ROOT" 2>/dev/null; then BASE="$INTREE_BASE"; else BASE="$FALLBACK_BASE"; fi
    elif [ -d "$FALLBACK_BASE/data" ] && [ ! -d "$INTREE_BASE/data" ]; then
        BASE="$FALLBACK_BASE"   # no postgres user yet: nothing can run, but stay consistent
    else
        BASE="$INTREE_BASE"
    fi
    DATA="$BASE/data"
    LOGDIR="$BASE/log"
    LOGFILE="$LOGDIR/postgres.log"
    MARKER="$BASE/started-by-script"
    PWFILE="$BASE/superuser-password"
    SOCKDIR="$BASE/run"
    # A Unix socket path is limited to ~107 bytes; a deep checkout gets a short socket dir.
    if [ $((${#SOCKDIR} + 20)) -gt 100 ]; then SOCKDIR="/tmp/hotich-pg-$(root_hash)"; fi
}

report_location() {
    if [ "$BASE" = "$FALLBACK_BASE" ]; then
        note "user '$PG_OS_USER' cannot traverse $ROOT; cluster kept in $BASE"
    fi
}

# Binaries matching the cluster's major version when it exists, else the newest installed.
bin_dir_for_cluster() {
    local ver
    if [ -f "$DATA/PG_VERSION" ]; then
        ver="$(cat "$DATA/PG_VERSION")"
        if [ -x "/usr/lib/postgresql/$ver/bin/pg_ctl" ]; then
            printf '%s' "/usr/lib/postgresql/$ver/bin"
            return 0
        fi
        die "cluster in $DATA was made by PostgreSQL $ver, which is not installed; delete $DATA to recreate it"
    fi
    newest_bin_dir
}

# True when PID is a live (not zombie) postgres process. A killed postmaster may linger as a
# zombie where nothing reaps orphans; pg_ctl and postgres itself would still think it runs.
is_live_postgres() { is_live_process "$1" postgres; }

live_postmaster_pid() {
    local pid
    pid="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)"
    if is_live_postgres "$pid"; then printf '%s' "$pid"; fi
}

# After a crash: drop lock files whose server is gone, or postgres refuses to start.
remove_stale_locks() {
    local lock
    for lock in "$DATA/postmaster.pid" "$SOCKDIR/.s.PGSQL.$PORT.lock"; do
        [ -f "$lock" ] || continue
        if ! is_live_postgres "$(head -n1 "$lock" 2>/dev/null || true)"; then
            note "removing stale $lock (its server is gone)"
            rm -f "$lock"
            case "$lock" in *.lock) rm -f "${lock%.lock}" ;; esac
        fi
    done
}

# True when a server is running on our data dir.
server_running() {
    [ -f "$DATA/PG_VERSION" ] && [ -n "$(live_postmaster_pid)" ]
}

running_port() {
    sed -n "s/^port = \([0-9]*\).*/\1/p" "$DATA/hotich.conf" 2>/dev/null | head -n1
}

# ---------------------------------------------------------------- start

conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

prepare_dirs() {
    local owner="$PG_OS_USER"
    is_root || owner="$(id -un)"
    if [ "$BASE" = "$INTREE_BASE" ]; then
        mkdir -p "$ROOT/.services"
        chmod a+rx "$ROOT/.services"   # traversable whatever the umask
    fi
    mkdir -p "$BASE" "$LOGDIR" "$SOCKDIR"
    chmod 0755 "$BASE" "$LOGDIR" "$SOCKDIR"
    if is_root; then
        chown "$owner:" "$BASE" "$LOGDIR" "$SOCKDIR"
        if [ -d "$DATA" ] && [ "$(stat -c %U "$DATA")" != "$owner" ]; then
            chown -R "$owner:" "$DATA"
        fi
    fi
}

init_cluster() {
    local bin="$1" locale=C
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
    if [ -e "$DATA" ]; then
        note "removing incomplete data dir $DATA (no PG_VERSION)"
        rm -rf "$DATA"
    fi
    # A random superuser password; the app uses the `hotich` role.
    (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$PWFILE")
    is_root && chown "$PG_OS_USER:" "$PWFILE"
    say "initialising cluster in $DATA"
    if ! as_pg "$bin/initdb" -D "$DATA" -U postgres --pwfile="$PWFILE" \
        --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale="$locale" >"$LOGDIR/initdb.log" 2>&1; then
        cat "$LOGDIR/initdb.log" >&2
        rm -rf "$DATA"
        die "initdb failed"
    fi
    printf "\n# Settings written by services/postgres.sh at each start\ninclude_if_exists = 'hotich.conf'\n" \
        >>"$DATA/postgresql.conf"
}

write_runtime_conf() {
    local conf="$DATA/hotich.conf"
    {
        echo "# Rewritten by services/postgres.sh at each start; edits are lost."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PORT"
        echo "unix_socket_directories = $(conf_quote "$SOCKDIR")"
        if [ "${HOTICH_PG_FAST:-0}" = 1 ]; then
            echo "# HOTICH_PG_FAST=1: not crash-safe, for throwaway test data only"
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } >"$conf"
    is_root && chown "$PG_OS_USER:" "$conf"
    chmod 0600 "$conf"
}

superuser_psql() {
    local bin="$1"
    shift
    PGPASSWORD="$(cat "$PWFILE")" PGCONNECT_TIMEOUT=10 \
        "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
}

create_role_and_databases() {
    local bin="$1" db
    superuser_psql "$bin" <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE') THEN
        CREATE ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    ELSE
        ALTER ROLE $DB_ROLE LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
SQL
    for db in "${DATABASES[@]}"; do
        if [ "$(superuser_psql "$bin" -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
            superuser_psql "$bin" -c "CREATE DATABASE $db OWNER $DB_ROLE"
            say "created database $db"
        else
            superuser_psql "$bin" -c "ALTER DATABASE $db OWNER TO $DB_ROLE"
        fi
    done
}

cmd_start() {
    cmd_install
    ensure_pg_user
    resolve_base
    report_location
    prepare_dirs

    lock
    if already_running "data dir $DATA, port $(shown_port)"; then return 0; fi

    local bin
    bin="$(bin_dir_for_cluster)"
    [ -n "$bin" ] || die "no PostgreSQL server binaries found"

    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; then
        die "another server already answers on 127.0.0.1:$PORT; stop it or set HOTICH_PG_PORT"
    fi

    [ -f "$DATA/PG_VERSION" ] || init_cluster "$bin"
    remove_stale_locks
    write_runtime_conf

    say "starting PostgreSQL $(cat "$DATA/PG_VERSION") on 127.0.0.1:$PORT (data dir $DATA, log $LOGFILE)"
    if ! as_pg "$bin/pg_ctl" start -W -D "$DATA" -l "$LOGFILE" >/dev/null; then
        log_tail
        die "pg_ctl start failed"
    fi
    touch "$MARKER"

    local started=$SECONDS
    until "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; do
        if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
            log_tail
            die "server on 127.0.0.1:$PORT not ready after ${START_TIMEOUT}s"
        fi
        # Give the postmaster a moment to write its pid file before judging it dead.
        if [ $((SECONDS - started)) -ge 3 ] && ! server_running; then
            rm -f "$MARKER"
            log_tail
            die "server exited during startup"
        fi
        sleep 0.3
    done

    create_role_and_databases "$bin"
    say "ready: $(cmd_url)"
}

# ---------------------------------------------------------------- stop / status / url

cmd_stop() {
    resolve_base
    report_location
    if not_started_here; then return 0; fi
    lock
    if server_running; then
        local bin
        bin="$(bin_dir_for_cluster)"
        say "stopping PostgreSQL (data dir $DATA)"
        if ! as_pg "$bin/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null; then
            log_tail
            die "pg_ctl stop failed"
        fi
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$MARKER"
}

cmd_status() {
    resolve_base
    if server_running; then
        local rp
        rp="$(running_port)"
        echo "running (127.0.0.1:${rp:-?}, data dir $DATA)"
        return 0
    fi
    echo "not running (data dir $DATA)"
    return 1
}

cmd_url() {
    echo "postgresql://$DB_ROLE:$DB_PASSWORD@127.0.0.1:$PORT/hotich_test"
}

usage() { usage_from_header 9; }

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
