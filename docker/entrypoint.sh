#!/bin/sh
# rotor container entrypoint: find the mounted config, check the home volume is writable,
# then exec the command (the gateway by default) so it receives the stop signal itself.
set -eu

: "${ROTOR_HOME:=/data}"
: "${ROTOR_CONFIG_DIR:=/config}"
export ROTOR_HOME

# Config volume: ROTOR_CONFIG wins; otherwise the first rotor.* in ROTOR_CONFIG_DIR;
# otherwise rotor looks in ROTOR_HOME and falls back to the packaged example.
if [ -z "${ROTOR_CONFIG:-}" ]; then
  for name in rotor.json rotor.json5 rotor.yaml rotor.yml; do
    if [ -f "$ROTOR_CONFIG_DIR/$name" ]; then
      ROTOR_CONFIG="$ROTOR_CONFIG_DIR/$name"
      export ROTOR_CONFIG
      break
    fi
  done
fi

mkdir -p "$ROTOR_HOME" 2>/dev/null || true
if [ ! -d "$ROTOR_HOME" ] || [ ! -w "$ROTOR_HOME" ]; then
  echo "rotor: ROTOR_HOME $ROTOR_HOME is not a writable directory for uid $(id -u); chown the volume to $(id -u):$(id -g)" >&2
  exit 1
fi

# No arguments: the gateway. A bare rotor subcommand (`models list`, `doctor` …) runs the CLI,
# so `docker compose exec rotor-1 rotor-entrypoint models status` works; other options
# (`--port 9000`) go to `rotor serve`.
if [ "$#" -eq 0 ]; then
  set -- node src/cli/main.ts serve
fi
case "$1" in
  -h|--help|help)
    cat <<'USAGE'
rotor container image. With no arguments it runs the gateway (rotor serve) on
$ROTOR_HOST:$ROTOR_PORT (0.0.0.0:8808), which needs client keys: mount a config that
sets gateway.clients at /config (docker/config/rotor.json5 takes them from
ROTOR_CLIENT_KEY and ROTOR_ADMIN_KEY), and a named volume at /data (ROTOR_HOME):

  docker run -d --name rotor --init -p 127.0.0.1:8808:8808 --read-only --tmpfs /tmp \
    -e ROTOR_CLIENT_KEY=... -e ROTOR_ADMIN_KEY=... \
    -v rotor-home:/data -v "$PWD/docker/config:/config:ro" rotor:local

Arguments: a rotor command (serve, onboard, models, doctor, gateway) runs it, options
(-*) go to rotor serve, anything else runs as a command.

USAGE
    set -- node src/cli/main.ts --help ;;
  -V|--version|version)
    set -- node -p '"rotor " + require("./package.json").version' ;;
  serve|onboard|models|doctor|gateway) set -- node src/cli/main.ts "$@" ;;
  -*) set -- node src/cli/main.ts serve "$@" ;;
esac
exec "$@"
