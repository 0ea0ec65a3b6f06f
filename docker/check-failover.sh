#!/usr/bin/env bash
# Replica-stop check of the compose deployment. With the stack up, it sends requests through
# the load balancer (bounded, a few at a time), stops one replica, starts it again, and
# passes when no request failed and the restarted replica answers requests again.
#
#   docker/check-failover.sh              # from the project root, after `docker compose up -d`
#
# Environment (all optional):
#   ROTOR_URL         the load balancer (http://127.0.0.1:8808)
#   ROTOR_CLIENT_KEY  a client key (read from .env when unset)
#   COMPOSE           the compose command: `docker compose`, `docker-compose` or `podman-compose`
#                     (the first found), with `-p $COMPOSE_PROJECT_NAME` (.env, or rotor)
#   REPLICA           the service to stop (rotor-2)
#   MODEL             the model to ask. Unset: one that does not exist, so each replica answers
#                     by itself (404) and no provider is needed; set it to go through a provider.
#   REQUESTS          at most this many requests in all (20000); CONCURRENCY at once (8)
#   SERVE_WITHIN      seconds the restarted replica may take to answer again (30)
set -euo pipefail

cd "$(dirname "$0")/.."

# KEY=value from .env, without evaluating it.
dotenv() {
  [ -f .env ] || return 0
  sed -n "s/^$1=//p" .env | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

URL=${ROTOR_URL:-http://127.0.0.1:8808}
KEY=${ROTOR_CLIENT_KEY:-$(dotenv ROTOR_CLIENT_KEY)}
PROJECT=${COMPOSE_PROJECT_NAME:-$(dotenv COMPOSE_PROJECT_NAME)}
PROJECT=${PROJECT:-rotor}
REPLICA=${REPLICA:-rotor-2}
MODEL=${MODEL:-failover-check/no-such-model}
REQUESTS=${REQUESTS:-20000}
CONCURRENCY=${CONCURRENCY:-8}
SERVE_WITHIN=${SERVE_WITHIN:-30}
BATCH=200
[ -n "$KEY" ] || { echo "set ROTOR_CLIENT_KEY (or put it in .env)" >&2; exit 2; }
if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then COMPOSE="docker-compose"
  elif command -v podman-compose >/dev/null 2>&1; then COMPOSE="podman-compose"
  else echo "no docker compose, docker-compose or podman-compose found; set COMPOSE" >&2; exit 2
  fi
fi
read -r -a compose <<< "$COMPOSE"
compose+=(-p "$PROJECT")

WORK=$(mktemp -d)
LOADER=
cleanup() {
  [ -n "$LOADER" ] && kill "$LOADER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

RUN="fo$$x$RANDOM"   # request ids of this run: x-request-id values rotor logs as reqId
BODY="{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"failover check\"}]}"
# Milliseconds since the epoch (whole seconds where date has no %N).
now_ms() { local n; n=$(date +%s%3N); case "$n" in *N) echo $(($(date +%s) * 1000)) ;; *) echo "$n" ;; esac; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
since() { secs $(($(now_ms) - $1)); }

# One request with id $1; prints its status.
ask() {
  curl -s -o /dev/null -w '%{http_code}' -m 30 -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
    -H "x-request-id: $1" -d "$BODY" "$URL/v1/chat/completions" || true
}

# Curl config for $2 requests numbered from $1, each with its own request id.
batch_config() {
  local i data
  data=$(printf '%s' "$BODY" | sed 's/["\\]/\\&/g')
  for ((i = $1; i < $1 + $2; i++)); do
    [ "$i" = "$1" ] || echo next   # each request has its own options
    printf 'url = "%s/v1/chat/completions"\noutput = "/dev/null"\nsilent\nmax-time = 60\n' "$URL"
    printf 'write-out = "%%{http_code} %%{time_total}\\n"\ndata = "%s"\n' "$data"
    printf 'header = "Authorization: Bearer %s"\nheader = "content-type: application/json"\nheader = "x-request-id: %s-l%d"\n' "$KEY" "$RUN" "$i"
  done
}

# Background load: batches of $BATCH requests, $CONCURRENCY at a time, until $WORK/stop exists
# or $REQUESTS were sent. One line per request: status and seconds taken.
load() {
  local sent=0 n
  while [ ! -e "$WORK/stop" ] && [ "$sent" -lt "$REQUESTS" ]; do
    n=$((REQUESTS - sent < BATCH ? REQUESTS - sent : BATCH))
    batch_config "$sent" "$n" > "$WORK/batch.conf"
    curl -s -Z --parallel-max "$CONCURRENCY" -K "$WORK/batch.conf" >> "$WORK/load.txt" 2>> "$WORK/curl.err" || true
    sent=$((sent + n))
  done
}

replica_log() { "${compose[@]}" logs "$REPLICA" 2>/dev/null || true; }

# From REPLICA's log: how often it started listening, the time (ms) of the last start, and of
# the first request of this run it answered after that ("-" when none yet).
replica_starts() {
  replica_log | awk -v tag="\"reqId\":\"$RUN-" '
    function ms(line) { return match(line, /"time":[0-9]+/) ? substr(line, RSTART + 7, RLENGTH - 7) : "-" }
    /"msg":"rotor listening"/ { n++; listen = ms($0); first = "-" }
    index($0, tag) && first == "-" && n > 0 { first = ms($0) }
    END { print n + 0, (listen == "" ? "-" : listen), (first == "" ? "-" : first) }'
}

echo "== warm-up through $URL (compose: ${compose[*]})"
EXPECT=$(ask "$RUN-w0")
case "$EXPECT" in 000|502|503|504) echo "FAIL: the load balancer answers $EXPECT; is the stack up and a replica healthy?" >&2; exit 1 ;; esac
for i in $(seq 1 12); do ask "$RUN-w$i" >/dev/null; done
read -r starts _ first <<< "$(replica_starts)"
[ "$first" != - ] || { echo "FAIL: $REPLICA answered none of 12 requests before the stop" >&2; exit 1; }
echo "every request should answer $EXPECT (model $MODEL); $REPLICA serves"

echo "== load: at most $REQUESTS requests, $CONCURRENCY at a time"
: > "$WORK/load.txt"
load & LOADER=$!
sleep 2

echo "== stop $REPLICA"
t=$(now_ms)
"${compose[@]}" stop "$REPLICA" >/dev/null 2>&1
echo "stopped in $(since "$t") s"
sleep 2
echo "== start $REPLICA"
t=$(now_ms)
"${compose[@]}" start "$REPLICA" >/dev/null 2>&1
echo "start returned in $(since "$t") s"

# Back once REPLICA, started again, has answered a request of this run (the load's or these probes').
served=
deadline=$((t + SERVE_WITHIN * 1000))
while [ "$(now_ms)" -lt "$deadline" ]; do
  for j in 1 2 3; do echo "$(ask "$RUN-p$RANDOM") 0" >> "$WORK/probe.txt"; done
  read -r n listen first <<< "$(replica_starts)"
  if [ "$n" -gt "$starts" ] && [ "$first" != - ]; then served=$first; break; fi
  sleep 0.5
done
kill -0 "$LOADER" 2>/dev/null || echo "note: the load ended before $REPLICA was back (raise REQUESTS for a longer run)"
sleep 2   # a little more load with the replica back
touch "$WORK/stop"
wait "$LOADER" || true
LOADER=

sum() { awk -v want="$EXPECT" '{ n++; if ($1 != want) { bad++; codes[$1]++ } if ($2 > max) max = $2 }
  END { printf "%d %d %.2f", n, bad, max; for (c in codes) printf " %s:%d", c, codes[c]; print "" }' "$1"; }
read -r n bad max codes <<< "$(sum "$WORK/load.txt")"
read -r pn pbad _ pcodes <<< "$(sum "$WORK/probe.txt")"
echo "== result"
echo "load requests: $n, failed: $bad${codes:+ ($codes)}, slowest: ${max} s"
echo "probe requests after the start: $pn, failed: $pbad${pcodes:+ ($pcodes)}"
if [ -n "$served" ]; then
  echo "$REPLICA listening $(secs $((listen - t))) s after the start command, serving through the load balancer $(secs $((served - t))) s after it"
else echo "$REPLICA did not serve within ${SERVE_WITHIN} s of the start command"; fi
[ "$bad" = 0 ] && [ "$pbad" = 0 ] && [ -n "$served" ] || { echo "FAIL"; exit 1; }
echo "PASS"
