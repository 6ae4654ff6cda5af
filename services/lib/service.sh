# Shared by services/{postgres,s3,kafka,chromium}.sh: messages, port checks, apt-get installs,
# the lock, process liveness, the log's last lines, and the start, stop and status of a server
# that `start` launched. Source it after setting:
#   SERVICE_NAME  name in messages (e.g. s3.sh)       LABEL     the server's name (e.g. Kafka)
#   BASE          state directory (lock, marker)      PIDFILE   PORTFILE  MARKER  DATA  LOGFILE
#   STOP_TIMEOUT  seconds between SIGTERM and SIGKILL LOCK_TIMEOUT  seconds to wait for the lock
# and defining `is_live PID`, true when PID is our live server (see is_live_process). A script
# that uses only some of these (chromium.sh: messages and apt_install) sets only what they use;
# one whose server works otherwise (postgres.sh) defines its own functions after sourcing this.
# shellcheck shell=bash

say() { printf '%s: %s\n' "$SERVICE_NAME" "$*"; }
note() { printf '%s: %s\n' "$SERVICE_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SERVICE_NAME" "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# The running script's usage: lines 2 to LAST of its header comment, on stderr; exits 2.
usage_from_header() {   # LAST
    sed -n "2,${1}p" "${BASH_SOURCE[-1]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# The files of a server under BASE (made absolute): its data dir, its log (log/NAME.log), its
# pid (NAME.pid), the port it was started on, and the marker that this script started it.
server_files() {   # NAME
    case "$BASE" in /*) ;; *) BASE="$PWD/$BASE" ;; esac
    DATA="$BASE/data"
    LOGDIR="$BASE/log"
    LOGFILE="$LOGDIR/$1.log"
    PIDFILE="$BASE/$1.pid"
    PORTFILE="$BASE/port"
    MARKER="$BASE/started-by-script"
}

check_port() {   # NAME VALUE -> prints the normalised port or dies
    case "$2" in
        '' | *[!0-9]*) die "$1 must be a port number, got '$2'" ;;
    esac
    local p=$((10#$2))
    if [ "${#p}" -gt 5 ] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
        die "$1 must be between 1 and 65535, got '$2'"
    fi
    printf '%s' "$p"
}

# Install Debian packages (the first names what is installed) when WHAT is missing; as root only.
apt_install() {   # WHAT PACKAGE...
    local what="$1"
    shift
    is_root || die "$what not found and not root; install with: sudo apt-get install $1"
    command -v apt-get >/dev/null || die "$what not found and apt-get is unavailable"
    say "$what not found: running apt-get update"
    apt-get update -qq
    say "installing $1 with apt-get (this takes a minute)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 "$@" >/dev/null
}

LOG_FROM=1   # byte offset (1-based) in $LOGFILE where the current start's output begins

log_tail() {   # [FILE], by default the server's log from LOG_FROM on
    local f="${1:-$LOGFILE}" from=1
    [ "$f" != "$LOGFILE" ] || from="$LOG_FROM"
    if [ -f "$f" ]; then
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -c "+$from" "$f" | tail -n 30 >&2 || true
    else
        printf -- '(no log file at %s)\n' "$f" >&2
    fi
}

# `start`'s one option: sets KEEP_DATA to 1 for --keep-data, 0 without; dies on anything else.
keep_data_option() {
    KEEP_DATA=0
    case "${1:-}" in
        '') ;;
        --keep-data) KEEP_DATA=1 ;;
        *) die "start: unknown option '$1' (expected --keep-data)" ;;
    esac
}

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

# The port the server listens on if it runs (and says), else the one asked for.
current_port() {
    if server_running && [ -n "$(running_port)" ]; then running_port; else printf '%s' "$PORT"; fi
}

# The port the running server listens on, or ? when it cannot be told.
shown_port() {
    local rp
    rp="$(running_port)"
    printf '%s' "${rp:-?}"
}

# For `start`: true, after saying so (WHICH: its pid, port, data dir), when the server already
# runs; warns when it listens on another port than the one asked for.
already_running() {   # WHICH
    server_running || return 1
    say "already running ($1)"
    local rp
    rp="$(running_port)"
    if [ -n "$rp" ] && [ "$rp" != "$PORT" ]; then
        note "warning: it listens on port $rp, not $PORT; run 'stop' then 'start' to change it"
    fi
    return 0
}

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

# For `stop`: true, after saying so, when this script did not start the server (no marker):
# it is left as it is.
not_started_here() {
    [ ! -f "$MARKER" ] || return 1
    if server_running; then
        say "running, but not started by this script (no $MARKER): leaving it running"
    else
        say "not running"
    fi
    return 0
}

# Stop the server only if this script started it (the marker); idempotent.
cmd_stop() {
    if not_started_here; then return 0; fi
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

# The commands of a server's script (see its usage) that every server takes the same way.
server_command() {   # COMMAND [ARGS...]
    case "${1:-}" in
        start) shift && cmd_start "$@" ;;
        restart) cmd_stop && cmd_start --keep-data ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        *) usage ;;
    esac
}
