#!/usr/bin/env bash
# The production layout on this machine, so it is tested, not just written (README "Operations"):
# PostgreSQL (a database of its own on the server at DATABASE_URL), a private redis-server for
# the broker and another for the cache (own ports), gunicorn with 4 workers, a Celery worker for
# the sweeps' queue and one for deliveries, and exactly one beat.
#
#   deploy/layout.sh start     # migrate, start everything, wait for /health/ready
#   deploy/layout.sh status    # the processes and /health/ready
#   deploy/layout.sh stop      # stop what start started (by pid, never by name)
#   deploy/layout.sh run CMD   # CMD with the layout's settings (bench/load.py, manage.py ...)
#   deploy/layout.sh stop-one NAME / start-one NAME   # one process (the fault drill's faults)
#
# Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/cc112_layout),
# LAYOUT_PORT (8112), LAYOUT_BROKER_PORT (6391), LAYOUT_CACHE_PORT (6392), WEB_CONCURRENCY (4),
# LAYOUT_DIR (var/layout).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
DIR=${LAYOUT_DIR:-$ROOT/var/layout}
PORT=${LAYOUT_PORT:-8112}
BROKER_PORT=${LAYOUT_BROKER_PORT:-6391}
CACHE_PORT=${LAYOUT_CACHE_PORT:-6392}
mkdir -p "$DIR/pids" "$DIR/logs"

export DJANGO_SETTINGS_MODULE=cc112.settings
export DEBUG=false
export SECRET_KEY=${SECRET_KEY:-layout-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cc112_layout}
export CELERY_BROKER_URL=redis://127.0.0.1:$BROKER_PORT/0
export CACHE_URL=redis://127.0.0.1:$CACHE_PORT/0
export CC112_VAR_DIR=$DIR/var
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export SECURE_COOKIES=false
# Plain HTTP on this machine (production terminates TLS in front and keeps the redirect on).
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-false}
export CC112_METRICS_ALLOWED_IPS=${CC112_METRICS_ALLOWED_IPS:-127.0.0.1}
export CC112_LOG_FORMAT=json
METRICS_DIR=$DIR/metrics-web
export GUNICORN_BIND=127.0.0.1:$PORT
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-4}
export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.dummy.EmailBackend}
# The fault drill's partner listens on 127.0.0.1 (a closed installation's setting).
export CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS=${CC112_WEBHOOK_ALLOW_PRIVATE_TARGETS:-true}

launch() {  # name, command...: in its own session, log and pid in $DIR
    local name=$1
    shift
    setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/pids/$name"
}

alive() { [ -f "$DIR/pids/$1" ] && kill -0 "$(cat "$DIR/pids/$1")" 2>/dev/null; }

ready() { curl -s --max-time 2 "http://127.0.0.1:$PORT/health/ready" || true; }

start_one() {  # one of: redis-broker redis-cache web sweeps deliveries beat
    case $1 in
    redis-broker) launch redis-broker redis-server --port "$BROKER_PORT" --bind 127.0.0.1 \
        --save "" --appendonly no --dir "$DIR" ;;
    redis-cache) launch redis-cache redis-server --port "$CACHE_PORT" --bind 127.0.0.1 \
        --save "" --appendonly no --dir "$DIR" --maxmemory 256mb --maxmemory-policy allkeys-lru ;;
    web)
        mkdir -p "$METRICS_DIR"
        launch web env PROMETHEUS_MULTIPROC_DIR="$METRICS_DIR" "$BIN/gunicorn" \
            -c deploy/gunicorn.conf.py cc112.wsgi:application ;;
    sweeps) launch sweeps "$BIN/celery" -A cc112 worker -Q escalations -n escalations@%h \
        --concurrency 1 --without-gossip --without-mingle -l INFO ;;
    deliveries) launch deliveries "$BIN/celery" -A cc112 worker -Q celery -n celery@%h \
        --concurrency 2 --without-gossip --without-mingle -l INFO ;;
    beat | beat-2) launch "$1" "$BIN/celery" -A cc112 beat -s "$DIR/$1-schedule" -l INFO ;;
    *) echo "unknown process $1"; exit 2 ;;
    esac
}

start() {
    for name in redis-broker redis-cache web sweeps deliveries beat; do
        if alive $name; then echo "$name is running already (deploy/layout.sh stop)"; exit 1; fi
    done
    start_one redis-broker
    start_one redis-cache
    local db=${DATABASE_URL##*/}
    db=${db%%\?*}
    psql "${DATABASE_URL%/*}/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname='$db'" \
        | grep -q 1 || createdb -h 127.0.0.1 -U postgres "$db"
    "$BIN/python" manage.py migrate --noinput -v0
    "$BIN/python" manage.py collectstatic --noinput -v0
    for name in web sweeps deliveries beat; do start_one $name; done
    for _ in $(seq 1 90); do
        if ready | grep -q '"status": "ready"'; then
            echo "ready: http://127.0.0.1:$PORT/ ($(ready))"
            return 0
        fi
        sleep 1
    done
    echo "not ready after 90 s: $(ready)"
    tail -n 20 "$DIR"/logs/*.log
    exit 1
}

stop_one() {  # SIGTERM to the process group, SIGKILL after 15 s
    if alive "$1"; then
        local pid
        pid=$(cat "$DIR/pids/$1")
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/pids/$1"
}

stop() {
    for name in beat-2 beat sweeps deliveries web redis-cache redis-broker; do stop_one $name; done
}

status() {
    for name in redis-broker redis-cache web sweeps deliveries beat; do
        if alive $name; then echo "$name: running (pid $(cat "$DIR/pids/$name"))"; else echo "$name: stopped"; fi
    done
    echo "health: $(ready)"
}

case ${1:-} in
start) start ;;
stop) stop ;;
start-one) start_one "$2" ;;
stop-one) stop_one "$2" ;;
run) shift; export LAYOUT_DIR=$DIR LAYOUT_PORT=$PORT; exec "$@" ;;
status) status ;;
*) echo "usage: $0 start|stop|status"; exit 2 ;;
esac
