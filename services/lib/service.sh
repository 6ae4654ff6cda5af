# Shared by services/{s3,kafka}.sh: messages, the lock, process liveness, stop and status
# of a server that `start` launched. Source it after setting:
#   SERVICE_NAME  name in messages (e.g. s3.sh)       LABEL     the server's name (e.g. Kafka)
#   BASE          state directory (lock, marker)      PIDFILE   PORTFILE  MARKER  DATA
#   STOP_TIMEOUT  seconds between SIGTERM and SIGKILL LOCK_TIMEOUT  seconds to wait for the lock
# and defining `is_live PID`, true when PID is our live server (see is_live_process).
# shellcheck shell=bash

say() { printf '%s: %s\n' "$SERVICE_NAME" "$*"; }
note() { printf '%s: %s\n' "$SERVICE_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SERVICE_NAME" "$*" >&2; exit 1; }

# True when PID is a live (not zombie) process named COMM whose command line contains ARGS
# (optional). A killed server may linger as a zombie where nothing reaps orphans; `kill -0`
# would still succeed on it.
is_live_process() {
    local pid="$1" comm="$2" args="${3:-}" state name line
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
    name="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    [ -n "$state" ] && [ "$state" != Z ] && [ "$name" = "$comm" ] || return 1
    [ -z "$args" ] && return 0
    line="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)"
    [[ "$line" == *"$args"* ]]
}

live_pid() {
    local pid
    pid="$(head -n1 "$PIDFILE" 2>/dev/null || true)"
    if is_live "$pid"; then printf '%s' "$pid"; fi
}

server_running() { [ -n "$(live_pid)" ]; }

running_port() { head -n1 "$PORTFILE" 2>/dev/null || true; }

lock() {
    mkdir -p "$BASE"
    exec 9>"$BASE/.lock"
    flock -w "$LOCK_TIMEOUT" 9 || die "another $SERVICE_NAME holds $BASE/.lock"
}

# SIGTERM, SIGKILL after SECONDS more, then up to 10 s for it to die. A zombie left behind
# counts as gone. Fails if it still lives.
terminate() {
    local pid="$1" seconds="$2" waited=0
    kill -TERM "$pid" 2>/dev/null || true
    while is_live "$pid"; do
        if [ "$waited" -eq $((seconds * 10)) ]; then
            note "$LABEL (pid $pid) did not stop within ${seconds}s of SIGTERM: sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        [ "$waited" -lt $(((seconds + 10) * 10)) ] || return 1
        sleep 0.1
        waited=$((waited + 1))
    done
}

# Stop the server only if this script started it (the marker); idempotent.
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
        say "stopping $LABEL (pid $pid)"
        terminate "$pid" "$STOP_TIMEOUT" || die "$LABEL (pid $pid) would not stop"
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$MARKER" "$PIDFILE" "$PORTFILE"
}

cmd_status() {
    if server_running; then
        echo "running (pid $(live_pid), 127.0.0.1:$(running_port), data dir $DATA)"
        return 0
    fi
    echo "not running (data dir $DATA)"
    return 1
}

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
