# Sourced by the acsible stand-in init scripts (cloudstack-management, -usage, -agent): start, stop and
# status of one daemon through start-stop-daemon, since lab hosts have no systemd.
# The caller sets NAME, PIDFILE, RUN_USER and LOG (the daemon's stdout and stderr) before calling these.

# The daemon's pid, when the pid file names a live process.
service_pid() {
    [ -s "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    case "$pid" in
        '' | *[!0-9]*) return 1 ;;
    esac
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Start "$@" as RUN_USER in the background, unless it runs already; fails if it dies at once.
service_start() {
    if pid=$(service_pid); then
        echo "$NAME is already running (pid $pid)"
        return 0
    fi
    program=$1
    shift
    logdir=$(dirname "$LOG")
    mkdir -p "$logdir"
    chown "$RUN_USER:" "$logdir"
    echo "Starting $NAME"
    # --user too: the pid file may belong to RUN_USER (cloudstack-setup-management chowns it), and
    # start-stop-daemon rightly refuses to trust a pid file root does not own on its own.
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --user "$RUN_USER" \
        --chuid "$RUN_USER" --chdir "$logdir" --output "$LOG" --startas "$program" -- "$@"
    # A daemon that cannot reach its database exits within a second: report that, not a false start.
    sleep 1
    if ! service_pid >/dev/null; then
        echo "$NAME failed to start: see $LOG" >&2
        return 1
    fi
}

# Stop the daemon (TERM, then KILL after 15 seconds); stopping a stopped daemon succeeds.
service_stop() {
    if ! service_pid >/dev/null; then
        echo "$NAME is not running"
        return 0
    fi
    echo "Stopping $NAME"
    start-stop-daemon --stop --quiet --pidfile "$PIDFILE" --user "$RUN_USER" --remove-pidfile --retry TERM/15/KILL/5
}

# LSB status codes: 0 running, 1 dead with a pid file left, 3 not running.
service_status() {
    if pid=$(service_pid); then
        echo "$NAME is running (pid $pid)"
        return 0
    fi
    if [ -s "$PIDFILE" ]; then
        echo "$NAME is not running (stale pid file $PIDFILE)"
        return 1
    fi
    echo "$NAME is not running"
    return 3
}
