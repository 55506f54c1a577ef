#!/usr/bin/env bash
# Telegram load benchmark (issue 5): simulated parents in closed loop against a fake Bot API, in their own process
# (TelegramLoad), and the real daemon (release build) in another, on a generated school. Loopback only, bounded in
# time. Prints steps/s, latency percentiles and each daemon's peak memory.
#
#   Benchmarks/telegram-load.sh            # 1,000 parents, 3,000 households, 20 s measured, SQLite, long polling
#   PARENTS=200 SECONDS_MEASURED=10 Benchmarks/telegram-load.sh
#
# Other set-ups, by environment:
#   DATABASE=postgres://postgres@127.0.0.1:5432/postgres?schema=load
#             the school lives in that PostgreSQL schema instead of an SQLite file; the schema is dropped and made
#             again at the start of every run (with psql), so runs are independent. The server must be running, e.g.
#             `Tests/PostgresTests/postgres.sh start /tmp/pg-bench 55440` (note: that one runs with fsync=off, while
#             SQLite here commits with synchronous=FULL).
#   MODE=webhook
#             the daemons run with --telegram-mode webhook, and the driver delivers each update by POSTing it to
#             /telegram/webhook of the daemons in turn (a load balancer), with the secret every daemon derives from the
#             bot token; a refused or failed delivery is retried once on the next daemon. At most WEBHOOK_CONNECTIONS
#             (default 40, Telegram's default max_connections) deliveries at once. Latency then runs from the POST.
#   INSTANCES=2
#             that many daemons on the same database, each on its own port. Only with MODE=webhook and a PostgreSQL
#             DATABASE: in polling mode only one daemon polls (the others wait for its advisory-lock lease), and an
#             SQLite file belongs to one daemon.
#   THINK_MS=300
#             each parent waits that long on average (0.5 to 1.5 times it) before pressing the next button; without it
#             parents answer at once and the run measures the most steps the daemon takes (its latency is then queueing)
#   LOGS=DIR  each daemon's stderr goes to DIR/daemon-N.log (LOG_LEVEL, default error, says how much it writes).
#   DAEMON_BIN=/path/to/samenspraak
#             runs that build of the daemon instead of building this tree's: to compare two builds, alternating runs
#             (this VM's speed drifts by up to a fifth; the fake's CPU a step, which no daemon change touches, shows it).
#
#   DATABASE='postgres://postgres@127.0.0.1:55440/postgres?schema=load' MODE=webhook INSTANCES=2 Benchmarks/telegram-load.sh
set -euo pipefail
cd "$(dirname "$0")"
PARENTS=${PARENTS:-1000}
HOUSEHOLDS=${HOUSEHOLDS:-3000}
SECONDS_MEASURED=${SECONDS_MEASURED:-20}
DATABASE=${DATABASE:-}
MODE=${MODE:-polling}
INSTANCES=${INSTANCES:-1}
LOG_LEVEL=${LOG_LEVEL:-error}
export THINK_MS=${THINK_MS:-0}
TOKEN=load:test

case $MODE in polling | webhook) ;; *) echo "MODE is polling or webhook" >&2; exit 2 ;; esac
if [ "$INSTANCES" -gt 1 ] && [ "$MODE" != webhook ]; then
  echo "INSTANCES=$INSTANCES needs MODE=webhook: in polling mode only one daemon polls" >&2; exit 2
fi
if [ "$INSTANCES" -gt 1 ] && [[ $DATABASE != postgres://* ]]; then
  echo "INSTANCES=$INSTANCES needs a PostgreSQL DATABASE: an SQLite file belongs to one daemon" >&2; exit 2
fi

swift build -c release --product TelegramLoad >/dev/null
[ -n "${DAEMON_BIN:-}" ] || swift build -c release --product samenspraak >/dev/null
BIN=$(swift build -c release --show-bin-path)
DAEMON_BIN=${DAEMON_BIN:-$BIN/samenspraak}
DATA=$(mktemp -d /tmp/samenspraak-load.XXXXXX)
DAEMONS=() DRIVER=""
trap 'kill ${DAEMONS[*]} $DRIVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
CONTENT=(--conversations ../conversations --locales ../locales)
STORE=()
if [ -n "$DATABASE" ]; then
  STORE=(--database "$DATABASE")
  SCHEMA=$(sed -n 's/.*[?&]schema=\([a-z0-9_]*\).*/\1/p' <<<"$DATABASE")
  [ -n "$SCHEMA" ] || { echo "DATABASE needs ?schema=name" >&2; exit 2; }
  # psql does not know the schema parameter: the server's address without the query.
  PGOPTIONS='-c client_min_messages=warning' psql "${DATABASE%%\?*}" -q -v ON_ERROR_STOP=1 -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" -c "CREATE SCHEMA $SCHEMA" >/dev/null
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

"$DAEMON_BIN" demo --no-serve --households "$HOUSEHOLDS" --data "$DATA" "${STORE[@]}" "${CONTENT[@]}" >/dev/null
"$DAEMON_BIN" invites --data "$DATA" "${STORE[@]}" "${CONTENT[@]}" | tail -n +2 | cut -d, -f3 >"$DATA/codes.txt"

PORTS=()
for ((i = 0; i < INSTANCES; i++)); do
  port=$(free_port)
  while [[ " ${PORTS[*]} " == *" $port "* ]]; do port=$(free_port); done
  PORTS+=("$port")
done
MODE_ARGS=() WEBHOOK=()
if [ "$MODE" = webhook ]; then
  # The secret every daemon expects: HMAC-SHA256 of this text with the bot token as key (TelegramWebhook.secret(token:)).
  SECRET=$(printf 'samenspraak telegram webhook' | openssl dgst -sha256 -hmac "$TOKEN" | sed 's/^.*= //')
  WEBHOOK=("$(IFS=,; echo "${PORTS[*]}")")
fi

: >"$DATA/driver.out"
WEBHOOK_SECRET=${SECRET:-} "$BIN/TelegramLoad" "$DATA/codes.txt" "$PARENTS" "$SECONDS_MEASURED" "${WEBHOOK[@]}" >"$DATA/driver.out" &
DRIVER=$!
until grep -q '^PORT ' "$DATA/driver.out"; do kill -0 $DRIVER; sleep 0.1; done
PORT=$(sed -n 's/^PORT //p' "$DATA/driver.out")

# No per-chat pacing: the fake Bot API has no rate limits, and a parent answers as soon as the question arrives. The
# overall pace is the most the daemon allows (10,000 sends per second per daemon, far above what it reaches here).
for ((i = 0; i < INSTANCES; i++)); do
  if [ "$MODE" = webhook ]; then
    # Only setWebhook gets the public address (the fake ignores it), and the daemon refuses webhook mode without https.
    MODE_ARGS=(--telegram-mode webhook --public-url "https://127.0.0.1:${PORTS[$i]}")
  fi
  SAMENSPRAAK_TELEGRAM_TOKEN=$TOKEN LOG_LEVEL=$LOG_LEVEL "$DAEMON_BIN" serve --data "$DATA" "${STORE[@]}" "${CONTENT[@]}" \
    --port "${PORTS[$i]}" "${MODE_ARGS[@]}" \
    --telegram-api-url "http://127.0.0.1:$PORT" --telegram-chat-interval 0 --telegram-per-second 10000 \
    2>"$(if [ -n "${LOGS:-}" ]; then echo "$LOGS/daemon-$((i + 1)).log"; else echo /dev/stderr; fi)" &
  DAEMONS+=($!)
done

# Bounded: the driver's warm-up and measurement, plus the daemons' start, plus a margin.
deadline=$((SECONDS + SECONDS_MEASURED + 180))
wait_for() {
  until grep -q "^$1" "$DATA/driver.out"; do
    if ((SECONDS > deadline)); then echo "no figures after $((SECONDS_MEASURED + 180)) s" >&2; exit 1; fi
    for daemon in "${DAEMONS[@]}" $DRIVER; do kill -0 "$daemon" 2>/dev/null || { echo "process $daemon ended early" >&2; exit 1; }; done
    sleep 0.05
  done
}
# Each daemon's CPU (user and system, in clock ticks) from when the driver starts measuring until it stops.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The whole machine's idle and busy clock ticks: whether the cores were used up, or the steps waited on something else.
machine_ticks() { awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
wait_for MEASURING
CPU_START=()
for daemon in "${DAEMONS[@]}"; do CPU_START+=("$(cpu_ticks "$daemon")"); done
read -r IDLE_START BUSY_START < <(machine_ticks)
wait_for 'steps/s'
read -r IDLE_END BUSY_END < <(machine_ticks)
IDLE=$(awk -v idle=$((IDLE_END - IDLE_START)) -v busy=$((BUSY_END - BUSY_START)) 'BEGIN { printf "%.0f", 100 * idle / (idle + busy) }')
CPU=()
for ((i = 0; i < INSTANCES; i++)); do CPU+=($(($(cpu_ticks "${DAEMONS[$i]}") - CPU_START[i]))); done
wait_for latency
sleep 0.2 # the driver's webhook line follows the latency line
PEAKS=()
for daemon in "${DAEMONS[@]}"; do PEAKS+=("$(sed -n 's/^VmHWM:\s*//p' /proc/"$daemon"/status)"); done
for daemon in "${DAEMONS[@]}"; do kill -TERM "$daemon"; done
# Bounded too: a daemon still running 120 s after SIGTERM is killed. How long each took to stop is reported.
STOPS=() stopping=$SECONDS
for daemon in "${DAEMONS[@]}"; do
  while kill -0 "$daemon" 2>/dev/null && ((SECONDS - stopping < 120)); do sleep 0.1; done
  if kill -0 "$daemon" 2>/dev/null; then kill -KILL "$daemon"; STOPS+=("killed, still running 120 s after SIGTERM"); else STOPS+=("stopped within $((SECONDS - stopping + 1)) s of SIGTERM"); fi
  wait "$daemon" || true
done
kill $DRIVER; wait $DRIVER 2>/dev/null || true
STEPS=$(sed -n 's/^steps\/s //p' "$DATA/driver.out")
cpu_line() {
  awk -v ticks="$1" -v hz="$(getconf CLK_TCK)" -v steps="$STEPS" -v seconds="$SECONDS_MEASURED" \
    'BEGIN { printf "CPU %.0f µs a step (%.2f cores)", ticks / hz * 1e6 / (steps * seconds > 0 ? steps * seconds : 1), ticks / hz / seconds }'
}

if [ -z "$DATABASE" ] && [ "$MODE" = polling ] && [ "$INSTANCES" = 1 ]; then
  echo "Telegram load: $PARENTS parents (thinking $THINK_MS ms), $HOUSEHOLDS households, $(nproc) cores"
  grep -v '^PORT\|^MEASURING' "$DATA/driver.out"
  echo "daemon peak resident memory ${PEAKS[0]}, $(cpu_line "${CPU[0]}"); the machine idle $IDLE % of the time"
else
  echo "Telegram load: $PARENTS parents (thinking $THINK_MS ms), $HOUSEHOLDS households, $(nproc) cores, $([ -n "$DATABASE" ] && echo PostgreSQL || echo SQLite), $MODE, $INSTANCES daemon(s)"
  grep -v '^PORT\|^MEASURING' "$DATA/driver.out"
  for ((i = 0; i < INSTANCES; i++)); do echo "daemon $((i + 1)) (port ${PORTS[$i]}) peak resident memory ${PEAKS[$i]}, $(cpu_line "${CPU[$i]}"), ${STOPS[$i]}"; done
  echo "the machine idle $IDLE % of the time"
fi
