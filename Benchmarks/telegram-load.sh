#!/usr/bin/env bash
# Telegram load benchmark (issue 5): simulated parents in closed loop against a fake Bot API in long-polling
# mode, in their own process (TelegramLoad), and the real daemon (release build) in another, on a generated
# school. Loopback only, bounded in time. Prints steps/s, latency percentiles and the daemon's peak memory.
#
#   Benchmarks/telegram-load.sh            # 1,000 parents, 3,000 households, 20 s measured
#   PARENTS=200 SECONDS_MEASURED=10 Benchmarks/telegram-load.sh
set -euo pipefail
cd "$(dirname "$0")"
PARENTS=${PARENTS:-1000}
HOUSEHOLDS=${HOUSEHOLDS:-3000}
SECONDS_MEASURED=${SECONDS_MEASURED:-20}

swift build -c release --product TelegramLoad >/dev/null
swift build -c release --product samenspraak >/dev/null
BIN=$(swift build -c release --show-bin-path)
DATA=$(mktemp -d /tmp/samenspraak-load.XXXXXX)
DAEMON="" DRIVER=""
trap 'kill $DAEMON $DRIVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
CONTENT=(--conversations ../conversations --locales ../locales)

"$BIN/samenspraak" demo --no-serve --households "$HOUSEHOLDS" --data "$DATA" "${CONTENT[@]}" >/dev/null
"$BIN/samenspraak" invites --data "$DATA" "${CONTENT[@]}" | tail -n +2 | cut -d, -f3 >"$DATA/codes.txt"

"$BIN/TelegramLoad" "$DATA/codes.txt" "$PARENTS" "$SECONDS_MEASURED" >"$DATA/driver.out" &
DRIVER=$!
until grep -q '^PORT ' "$DATA/driver.out"; do sleep 0.1; done
PORT=$(sed -n 's/^PORT //p' "$DATA/driver.out")

# No per-chat pacing: the fake Bot API has no rate limits, and a parent answers as soon as the question arrives.
SAMENSPRAAK_TELEGRAM_TOKEN=load:test LOG_LEVEL=error "$BIN/samenspraak" serve --data "$DATA" "${CONTENT[@]}" --port 0 \
  --telegram-api-url "http://127.0.0.1:$PORT" --telegram-chat-interval 0 --telegram-per-second 1000000 &
DAEMON=$!
until grep -q '^latency' "$DATA/driver.out"; do sleep 0.5; done
PEAK=$(sed -n 's/^VmHWM:\s*//p' /proc/$DAEMON/status)
kill -TERM $DAEMON; wait $DAEMON || true
kill $DRIVER; wait $DRIVER 2>/dev/null || true

echo "Telegram load: $PARENTS parents, $HOUSEHOLDS households, $(nproc) cores"
grep -v '^PORT' "$DATA/driver.out"
echo "daemon peak resident memory $PEAK"
