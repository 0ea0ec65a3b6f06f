#!/bin/sh
# Entrypoint of compose.yaml's `lb` (nginx): docker/nginx.conf resolves the replicas' names
# at run time, through the container's own DNS server, which depends on the engine (Docker
# 127.0.0.11, Podman the network's gateway). Write it as nginx's resolver, then exec nginx.
set -eu

resolv_conf=${ROTOR_LB_RESOLV_CONF:-/etc/resolv.conf}
out=${ROTOR_LB_RESOLVER_CONF:-/etc/nginx/rotor-resolver.conf}

# ROTOR_LB_RESOLVER overrides; otherwise the first nameserver (a second one, e.g. the host's,
# would not know the replicas, and nginx asks its resolvers in turn).
ns=${ROTOR_LB_RESOLVER:-}
if [ -z "$ns" ] && [ -r "$resolv_conf" ]; then
  while read -r key value _; do
    if [ "$key" = nameserver ] && [ -n "$value" ]; then ns=$value; break; fi
  done < "$resolv_conf"
fi
if [ -z "$ns" ]; then
  echo "rotor-lb: no nameserver in $resolv_conf; set ROTOR_LB_RESOLVER to the container network's DNS server" >&2
  exit 1
fi
case "$ns" in
  *:*) case "$ns" in \[*) ;; *) ns="[$ns]" ;; esac ;;  # IPv6 in brackets
esac

# valid=1s: a restarted replica is found again within about a second.
echo "resolver $ns valid=1s ipv6=off;" > "$out"

if [ "$#" -eq 0 ]; then set -- nginx -g 'daemon off;'; fi
exec "$@"
