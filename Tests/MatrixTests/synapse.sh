#!/usr/bin/env bash
# Runs a throwaway Synapse for the Matrix end-to-end test: `synapse.sh PYTHON DIR PORT` generates a configuration in DIR
# (server name "localhost", SQLite, only the client API on 127.0.0.1:PORT, no federation, generous rate limits), then
# execs the homeserver in the foreground, so the test that started it stops it. PYTHON is a venv's python with
# matrix-synapse installed (`python3 -m venv /tmp/synapse-venv && /tmp/synapse-venv/bin/pip install matrix-synapse`).
set -euo pipefail
python=$1 dir=$2 port=$3
mkdir -p "$dir"
cd "$dir"
"$python" -m synapse.app.homeserver --server-name localhost --config-path "$dir/homeserver.yaml" --generate-config --report-stats=no >/dev/null
# Only 127.0.0.1, only the client API, on the given port.
sed -i -e '/^    - ::1$/d' -e "s/^    port: 8008$/    port: $port/" -e '/^      - federation$/d' "$dir/homeserver.yaml"
cat >>"$dir/homeserver.yaml" <<YAML
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
enable_registration: false
rc_message: {per_second: 1000, burst_count: 1000}
rc_login:
  address: {per_second: 1000, burst_count: 1000}
  account: {per_second: 1000, burst_count: 1000}
  failed_attempts: {per_second: 1000, burst_count: 1000}
rc_joins:
  local: {per_second: 1000, burst_count: 1000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 1000}
  per_user: {per_second: 1000, burst_count: 1000}
YAML
exec "$python" -m synapse.app.homeserver -c "$dir/homeserver.yaml"
