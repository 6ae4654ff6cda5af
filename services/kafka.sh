#!/usr/bin/env bash
# Private Kafka broker for this checkout (development and tests): Apache Kafka 4.x in KRaft mode.
#
#   kafka.sh install              fetch the broker jars from Maven Central into .services/kafka/libs (once)
#   kafka.sh start [--keep-data]  install if needed, format a fresh data dir (unless --keep-data), start, wait
#   kafka.sh restart              stop, then start again on the same data dir (a real broker restart)
#   kafka.sh stop                 stop the broker, but only if `start` started it (marker file)
#   kafka.sh status               print "running" / "not running", exit 0 / 1
#   kafka.sh bootstrap            print the bootstrap servers (host:port)
#
# One node is both broker and controller (process.roles=broker,controller, node.id=1, a
# single-voter dynamic quorum). The jars come from services/kafka/pom.xml, fetched once into
# $ROOT/.services/kafka/libs and shared by every broker of the checkout. The broker listens on
# 127.0.0.1 only: clients on ${HOTICH_KAFKA_PORT:-9092}, the controller on
# ${HOTICH_KAFKA_CONTROLLER_PORT:-9093}. Config, data, log, pid and marker live under
# ${HOTICH_KAFKA_DIR:-$ROOT/.services/kafka}: a second broker runs beside the first with its own
# HOTICH_KAFKA_DIR and ports (the fault tests stop and restart one that way).
#
# The data is throwaway: `start` formats an empty data dir with a new cluster id. `start
# --keep-data` (and `restart`) start on the data dir as it is, with its cluster id and logs, and
# format only a dir that was never formatted; the controller port must stay the one it was
# formatted with (the quorum's voter record holds it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PORT="${HOTICH_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${HOTICH_KAFKA_CONTROLLER_PORT:-9093}"
NODE_ID=1
START_TIMEOUT=60
STOP_TIMEOUT=30
JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true)

POM="$ROOT/services/kafka/pom.xml"
LIBS_HOME="$ROOT/.services/kafka"   # the jars, shared by every HOTICH_KAFKA_DIR
LIBS="$LIBS_HOME/libs"
LIBS_STAMP="$LIBS/.pom.sha256"
BASE="${HOTICH_KAFKA_DIR:-$ROOT/.services/kafka}"

SERVICE_NAME=kafka.sh
LABEL=Kafka
LOCK_TIMEOUT=180
# shellcheck source=services/lib/service.sh
. "$ROOT/services/lib/service.sh"
server_files kafka   # DATA, LOGDIR, LOGFILE, PIDFILE, PORTFILE, MARKER under BASE
CONF="$BASE/server.properties"
LOG4J_CONF="$BASE/log4j2.properties"
FORMATTED_PORT="$BASE/controller-port"   # the controller port the data dir was formatted with

PORT="$(check_port HOTICH_KAFKA_PORT "$PORT")"
CONTROLLER_PORT="$(check_port HOTICH_KAFKA_CONTROLLER_PORT "$CONTROLLER_PORT")"
[ "$PORT" != "$CONTROLLER_PORT" ] || die "HOTICH_KAFKA_PORT and HOTICH_KAFKA_CONTROLLER_PORT are both $PORT"

# ---------------------------------------------------------------- install

pom_hash() { sha256sum "$POM" | cut -c1-64; }

libs_installed() {
    [ -f "$LIBS_STAMP" ] && [ "$(cat "$LIBS_STAMP")" = "$(pom_hash)" ] &&
        compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null
}

need_java() {
    command -v java >/dev/null || die "java is not installed (Kafka 4.x needs Java 17 or newer)"
    local v
    v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
    case "$v" in
        '' | *[!0-9]*) note "warning: could not tell the Java version; Kafka 4.x needs 17 or newer" ;;
        *) [ "$v" -ge 17 ] || die "java is version $v; Kafka 4.x needs Java 17 or newer" ;;
    esac
}

# Callers hold the lock of $BASE; the shared jars have their own lock (fd 8), so brokers of
# two HOTICH_KAFKA_DIRs never fetch them at once.
cmd_install() {
    [ -f "$POM" ] || die "$POM is missing"
    libs_installed && return 0
    mkdir -p "$LIBS_HOME"
    exec 8>"$LIBS_HOME/.install.lock"
    flock -w "$LOCK_TIMEOUT" 8 || die "another $SERVICE_NAME holds $LIBS_HOME/.install.lock"
    if libs_installed; then
        exec 8>&-
        return 0
    fi
    command -v mvn >/dev/null || die "$LIBS is empty and Maven (mvn) is not installed"
    # Into a scratch dir first, so an interrupted download never looks installed.
    local tmp="$LIBS_HOME/libs.partial" mvnlog="$LIBS_HOME/mvn-install.log"
    rm -rf "$tmp"
    say "fetching the Kafka broker jars with Maven ($POM; once)"
    if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime </dev/null >"$mvnlog" 2>&1 8>&- 9>&-; then
        log_tail "$mvnlog"
        rm -rf "$tmp"
        die "mvn dependency:copy-dependencies failed"
    fi
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "mvn succeeded but no kafka_2.13 jar in $tmp"
    pom_hash >"$tmp/.pom.sha256"
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    exec 8>&-
    say "installed $(find "$LIBS" -name '*.jar' | wc -l) jars in $LIBS ($(basename "$(compgen -G "$LIBS/kafka_2.13-*.jar")" .jar))"
}

# ---------------------------------------------------------------- process state

# Our broker: a live java process running kafka.Kafka with our configuration.
is_live() { is_live_process "$1" java " kafka.Kafka $CONF"; }

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 2 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# ---------------------------------------------------------------- start

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 chars), not
# starting with '-' (what Kafka's own random-uuid also avoids).
random_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        case "$id" in -*) ;; *) printf '%s' "$id"; return 0 ;; esac
    done
}

write_config() {
    cat >"$CONF" <<EOF
# Written by services/kafka.sh at each start; edits are lost.
# One combined broker+controller node in KRaft mode, single-voter dynamic quorum.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA

# A single node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

num.partitions=3
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
EOF
    cat >"$LOG4J_CONF" <<'EOF'
# Written by services/kafka.sh at each start; edits are lost.
# Everything to stdout, which kafka.sh sends to log/kafka.log beside this file.
status = warn
name = hotich-kafka
# Log4j's own shutdown hook would stop logging while Kafka's shutdown hook is still running,
# dropping the shutdown messages; stdout needs no flushing at exit.
shutdownHook = disable
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
}

format_storage() {
    local cluster_id formatlog="$LOGDIR/format.log"
    cluster_id="$(random_cluster_id)"
    # --standalone: this node alone forms the (dynamic, KIP-853) controller quorum.
    if ! (cd "$BASE" && java -Dlog4j2.configurationFile="$LOG4J_CONF" -cp "$LIBS/*" \
        kafka.tools.StorageTool format --config "$CONF" --cluster-id "$cluster_id" --standalone) \
        </dev/null >"$formatlog" 2>&1 9>&-; then
        log_tail "$formatlog"
        die "formatting $DATA failed"
    fi
    echo "$CONTROLLER_PORT" >"$FORMATTED_PORT"
    say "formatted $DATA (cluster id $cluster_id)"
}

cmd_start() {   # [--keep-data]
    keep_data_option "$@"
    lock
    cmd_install

    if already_running "pid $(live_pid), 127.0.0.1:$(shown_port), data dir $DATA"; then return 0; fi
    need_java
    local p
    for p in "$PORT" "$CONTROLLER_PORT"; do
        if port_open "$p"; then
            die "something already listens on 127.0.0.1:$p; stop it or set HOTICH_KAFKA_PORT / HOTICH_KAFKA_CONTROLLER_PORT"
        fi
    done

    rm -f "$PIDFILE" "$PORTFILE" "$MARKER"
    if [ "$KEEP_DATA" = 1 ] && [ -f "$DATA/meta.properties" ]; then
        # The same data dir, cluster id and logs: a restart of the same broker.
        local formatted
        formatted="$(head -n1 "$FORMATTED_PORT" 2>/dev/null || true)"
        if [ -n "$formatted" ] && [ "$formatted" != "$CONTROLLER_PORT" ]; then
            die "$DATA was formatted with controller port $formatted, not $CONTROLLER_PORT; set HOTICH_KAFKA_CONTROLLER_PORT=$formatted or start without --keep-data"
        fi
        mkdir -p "$LOGDIR"
        write_config
        say "keeping the data dir $DATA ($(sed -n 's/^cluster\.id=//p' "$DATA/meta.properties"))"
    else
        # Fresh, empty data dir and a new cluster id: test data only.
        [ "$KEEP_DATA" = 0 ] || say "no formatted data dir at $DATA: formatting a fresh one"
        rm -rf "$DATA"
        mkdir -p "$DATA" "$LOGDIR"
        write_config
        format_storage
    fi

    # The broker logs ~200 KB per start: keep the current log and one older one.
    if [ -f "$LOGFILE" ] && [ "$(stat -c %s "$LOGFILE")" -gt $((20 * 1024 * 1024)) ]; then
        mv -f "$LOGFILE" "$LOGFILE.1"
    fi
    LOG_FROM="$(($(stat -c %s "$LOGFILE" 2>/dev/null || echo 0) + 1))"
    printf -- '--- %s: kafka.sh start\n' "$(date -Is)" >>"$LOGFILE"
    say "starting Kafka on 127.0.0.1:$PORT (controller 127.0.0.1:$CONTROLLER_PORT, data dir $DATA, log $LOGFILE)"
    # setsid: its own session, so it outlives this shell; fd 9 (our lock) is not inherited.
    (cd "$BASE" && exec setsid java "${JAVA_OPTS[@]}" -Dlog4j2.configurationFile="$LOG4J_CONF" \
        -cp "$LIBS/*" kafka.Kafka "$CONF") </dev/null >>"$LOGFILE" 2>&1 9>&- &
    local pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$PORT" >"$PORTFILE"
    touch "$MARKER"

    local started=$SECONDS
    until port_open "$PORT" && tail -c "+$LOG_FROM" "$LOGFILE" | grep -q 'Kafka Server started'; do
        if ! is_live "$pid"; then
            # Allow a moment for the exec into java before judging it dead.
            if [ $((SECONDS - started)) -ge 2 ]; then
                rm -f "$MARKER" "$PIDFILE" "$PORTFILE"
                log_tail
                die "Kafka exited during startup"
            fi
        fi
        if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
            log_tail
            terminate "$pid" 10 || true
            rm -f "$MARKER" "$PIDFILE" "$PORTFILE"
            die "Kafka on 127.0.0.1:$PORT not ready after ${START_TIMEOUT}s (stopped it)"
        fi
        sleep 0.3
    done
    say "ready: $(cmd_bootstrap) (pid $pid, $((SECONDS - started))s)"
}

# ---------------------------------------------------------------- stop / status / bootstrap

cmd_bootstrap() { echo "127.0.0.1:$(current_port)"; }

case "${1:-}" in
    install) lock && cmd_install ;;
    bootstrap) cmd_bootstrap ;;
    *) server_command "$@" ;;
esac
