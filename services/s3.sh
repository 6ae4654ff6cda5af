#!/usr/bin/env bash
# Private S3 server for this checkout (development and tests): Versity S3 Gateway (Apache-2.0).
#
#   s3.sh install                build versitygw into $ROOT/.services/bin with `go install` (once)
#   s3.sh start [--keep-data]    install if needed, start (on emptied data dirs unless --keep-data)
#   s3.sh restart                stop, then start again on the same data (a real server restart)
#   s3.sh stop                   stop the server, but only if `start` started it (marker file)
#   s3.sh status                 print "running" / "not running", exit 0 / 1
#   s3.sh env                    print the HOTICH_TEST_S3_* settings, one NAME=value a line
#
# The server uses the posix backend: objects under $BASE/data, object versions under
# $BASE/versions (object lock needs versioning), log in $BASE/log/versitygw.log, where BASE is
# ${HOTICH_S3_DIR:-$ROOT/.services/s3}: a second server runs beside the first with its own
# HOTICH_S3_DIR and HOTICH_S3_PORT (the outage tests stop and restart one that way). It listens
# on 127.0.0.1 only, on port ${HOTICH_S3_PORT:-7070}. The data is throwaway: `start` begins
# with empty directories; `start --keep-data` (and `restart`) serve the objects, versions and
# retention the directories hold.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PORT="${HOTICH_S3_PORT:-7070}"
ACCESS_KEY=hotich-test
SECRET_KEY=hotich-test-secret
REGION=us-east-1
MODULE=github.com/versity/versitygw/cmd/versitygw
VERSIONS=(v1.8.0 v1.7.0)   # the first that builds wins
START_TIMEOUT=30

BINDIR="$ROOT/.services/bin"
BIN="$BINDIR/versitygw"
BASE="${HOTICH_S3_DIR:-$ROOT/.services/s3}"

SERVICE_NAME=s3.sh
LABEL=versitygw
STOP_TIMEOUT=10
LOCK_TIMEOUT=120
# shellcheck source=services/lib/service.sh
. "$ROOT/services/lib/service.sh"
server_files versitygw   # DATA, LOGDIR, LOGFILE, PIDFILE, PORTFILE, MARKER under BASE
VERSIONING="$BASE/versions"
is_live() { is_live_process "$1" versitygw; }

PORT="$(check_port HOTICH_S3_PORT "$PORT")"

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

# True when anything answers HTTP on the port (an anonymous request gets 403: that is an answer).
answers_http() {
    local code
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null || true)"
    [ -n "$code" ] && [ "$code" != 000 ]
}

# ---------------------------------------------------------------- start / stop

cmd_start() {   # [--keep-data]
    keep_data_option "$@"
    cmd_install
    lock

    if already_running "pid $(live_pid), 127.0.0.1:$(shown_port), data dir $DATA"; then return 0; fi
    command -v curl >/dev/null || die "curl is needed to check that the server answers"
    if answers_http "$PORT"; then
        die "another server already answers on 127.0.0.1:$PORT; stop it or set HOTICH_S3_PORT"
    fi

    if [ "$KEEP_DATA" = 1 ]; then
        # The same directories: a restart of the same server, its objects and versions kept.
        say "keeping the data dirs $DATA and $VERSIONING"
    else
        # Fresh, empty directories: test data only. Retained (locked) objects are plain files.
        rm -rf "$DATA" "$VERSIONING"
    fi
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
        if ! is_live "$pid"; then
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

# ---------------------------------------------------------------- status / env

cmd_env() {
    echo "HOTICH_TEST_S3_ENDPOINT=127.0.0.1:$(current_port)"
    echo "HOTICH_TEST_S3_ACCESS_KEY=$ACCESS_KEY"
    echo "HOTICH_TEST_S3_SECRET_KEY=$SECRET_KEY"
}

case "${1:-}" in
    install) cmd_install ;;
    env) cmd_env ;;
    *) server_command "$@" ;;
esac
