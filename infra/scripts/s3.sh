#!/usr/bin/env bash
# Private S3 server for this checkout (development and tests): Versity S3 Gateway (Apache-2.0).
#
#   s3.sh install   build versitygw into $ROOT/.services/bin with `go install` (once)
#   s3.sh start     install if needed, start on a fresh data dir, wait until it answers HTTP
#   s3.sh stop      stop the server, but only if `start` started it (marker file)
#   s3.sh status    print "running" / "not running", exit 0 / 1
#   s3.sh env       print the HOTICH_TEST_S3_* settings, one NAME=value a line
#
# The server uses the posix backend: objects under $ROOT/.services/s3/data, object versions
# under $ROOT/.services/s3/versions (object lock needs versioning), log in
# $ROOT/.services/s3/log/versitygw.log. It listens on 127.0.0.1 only, on port
# ${HOTICH_S3_PORT:-7070}. The data is throwaway: every `start` begins with empty directories.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
PORT="${HOTICH_S3_PORT:-7070}"
ACCESS_KEY=hotich-test
SECRET_KEY=hotich-test-secret
REGION=us-east-1
MODULE=github.com/versity/versitygw/cmd/versitygw
VERSIONS=(v1.8.0 v1.7.0)   # the first that builds wins
START_TIMEOUT=30

BINDIR="$ROOT/.services/bin"
BIN="$BINDIR/versitygw"
BASE="$ROOT/.services/s3"
DATA="$BASE/data"
VERSIONING="$BASE/versions"
LOGDIR="$BASE/log"
LOGFILE="$LOGDIR/versitygw.log"
PIDFILE="$BASE/versitygw.pid"
PORTFILE="$BASE/port"
MARKER="$BASE/started-by-script"

say() { printf 's3.sh: %s\n' "$*"; }
note() { printf 's3.sh: %s\n' "$*" >&2; }
die() { printf 's3.sh: error: %s\n' "$*" >&2; exit 1; }

case "$PORT" in
    '' | *[!0-9]*) die "HOTICH_S3_PORT must be a port number, got '$PORT'" ;;
esac
PORT=$((10#$PORT))
if [ "${#PORT}" -gt 5 ] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
    die "HOTICH_S3_PORT must be between 1 and 65535, got '$PORT'"
fi

# ---------------------------------------------------------------- install

cmd_install() {
    if [ -x "$BIN" ]; then
        return 0
    fi
    command -v go >/dev/null || die "$BIN is absent and Go is not installed (needed to build versitygw)"
    mkdir -p "$BINDIR"
    local version
    for version in "${VERSIONS[@]}"; do
        say "building versitygw $version with go install (takes a few minutes, once)"
        if GOBIN="$BINDIR" GOFLAGS=-mod=mod go install "$MODULE@$version"; then
            [ -x "$BIN" ] || die "go install succeeded but $BIN is missing"
            say "installed $BIN ($version)"
            return 0
        fi
        note "go install $MODULE@$version failed"
    done
    die "could not build versitygw (tried ${VERSIONS[*]})"
}

# ---------------------------------------------------------------- process state

# True when PID is a live (not zombie) versitygw process. A killed server may linger as a
# zombie where nothing reaps orphans; `kill -0` would still succeed on it.
is_live_versitygw() {
    local pid="$1" state comm
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [ -n "$state" ] && [ "$state" != Z ] && [ "$comm" = versitygw ]
}

live_pid() {
    local pid
    pid="$(head -n1 "$PIDFILE" 2>/dev/null || true)"
    if is_live_versitygw "$pid"; then printf '%s' "$pid"; fi
}

server_running() { [ -n "$(live_pid)" ]; }

running_port() { head -n1 "$PORTFILE" 2>/dev/null || true; }

# True when anything answers HTTP on the port (an anonymous request gets 403: that is an answer).
answers_http() {
    local code
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null || true)"
    [ -n "$code" ] && [ "$code" != 000 ]
}

log_tail() {
    if [ -f "$LOGFILE" ]; then
        printf -- '--- last lines of %s ---\n' "$LOGFILE" >&2
        tail -n 30 "$LOGFILE" >&2 || true
    else
        printf -- '(no log file at %s)\n' "$LOGFILE" >&2
    fi
}

lock() {
    mkdir -p "$BASE"
    exec 9>"$BASE/.lock"
    flock -w 120 9 || die "another s3.sh holds $BASE/.lock"
}

# ---------------------------------------------------------------- start / stop

cmd_start() {
    cmd_install
    lock

    if server_running; then
        local rp
        rp="$(running_port)"
        say "already running (pid $(live_pid), 127.0.0.1:${rp:-?}, data dir $DATA)"
        if [ -n "$rp" ] && [ "$rp" != "$PORT" ]; then
            note "warning: it listens on port $rp, not $PORT; run 'stop' then 'start' to change it"
        fi
        return 0
    fi
    command -v curl >/dev/null || die "curl is needed to check that the server answers"
    if answers_http "$PORT"; then
        die "another server already answers on 127.0.0.1:$PORT; stop it or set HOTICH_S3_PORT"
    fi

    # Fresh, empty directories: test data only. Retained (locked) objects are plain files here.
    rm -rf "$DATA" "$VERSIONING"
    rm -f "$PIDFILE" "$PORTFILE" "$MARKER"
    mkdir -p "$DATA" "$VERSIONING" "$LOGDIR"

    say "starting versitygw on 127.0.0.1:$PORT (posix $DATA, versions $VERSIONING, log $LOGFILE)"
    printf -- '--- %s: s3.sh start\n' "$(date -Is)" >>"$LOGFILE"
    # setsid: its own session, so it outlives this shell; fd 9 (our lock) is not inherited.
    ROOT_ACCESS_KEY="$ACCESS_KEY" ROOT_SECRET_KEY="$SECRET_KEY" \
        setsid "$BIN" --port "127.0.0.1:$PORT" --region "$REGION" \
        posix --versioning-dir "$VERSIONING" "$DATA" \
        </dev/null >>"$LOGFILE" 2>&1 9>&- &
    local pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$PORT" >"$PORTFILE"
    touch "$MARKER"

    local started=$SECONDS
    until answers_http "$PORT"; do
        if ! is_live_versitygw "$pid"; then
            rm -f "$MARKER" "$PIDFILE" "$PORTFILE"
            log_tail
            die "versitygw exited during startup"
        fi
        if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
            log_tail
            kill "$pid" 2>/dev/null || true
            rm -f "$MARKER" "$PIDFILE" "$PORTFILE"
            die "versitygw on 127.0.0.1:$PORT not answering after ${START_TIMEOUT}s (stopped it)"
        fi
        sleep 0.3
    done
    say "ready: http://127.0.0.1:$PORT (pid $pid)"
}

cmd_stop() {
    if [ ! -f "$MARKER" ]; then
        if server_running; then
            say "running, but not started by this script (no $MARKER): leaving it running"
        else
            say "not running"
        fi
        return 0
    fi
    lock
    local pid
    pid="$(live_pid)"
    if [ -n "$pid" ]; then
        say "stopping versitygw (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        local waited=0
        while is_live_versitygw "$pid"; do
            if [ "$waited" -ge 100 ]; then   # 10 s
                note "versitygw did not stop on SIGTERM: sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            if [ "$waited" -ge 150 ]; then die "versitygw (pid $pid) would not stop"; fi
            sleep 0.1
            waited=$((waited + 1))
        done
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$MARKER" "$PIDFILE" "$PORTFILE"
}

# ---------------------------------------------------------------- status / env

cmd_status() {
    if server_running; then
        echo "running (pid $(live_pid), 127.0.0.1:$(running_port), data dir $DATA)"
        return 0
    fi
    echo "not running (data dir $DATA)"
    return 1
}

cmd_env() {
    local port
    port="$PORT"
    if server_running && [ -n "$(running_port)" ]; then port="$(running_port)"; fi
    echo "HOTICH_TEST_S3_ENDPOINT=127.0.0.1:$port"
    echo "HOTICH_TEST_S3_ACCESS_KEY=$ACCESS_KEY"
    echo "HOTICH_TEST_S3_SECRET_KEY=$SECRET_KEY"
}

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    -h | --help | help) usage ;;
    *) usage ;;
esac
