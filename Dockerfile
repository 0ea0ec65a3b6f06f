# rotor container image. rotor is TypeScript run by Node 24's type stripping, so there is
# no build step: the image holds the sources and production dependencies only.

# --- deps: production node_modules from the lockfile -------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev leaves out tap, typescript and the `node` devDependency (the image's own
# Node 24 runs rotor); no production dependency needs an install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------
FROM node:24-slim AS runtime
LABEL org.opencontainers.image.title="rotor" \
      org.opencontainers.image.description="Self-hosted OpenAI-compatible LLM gateway" \
      org.opencontainers.image.licenses="MIT"

# ROTOR_HOME holds credentials (agents/*/agent/auth-profiles.json) and models.json;
# /config holds rotor.json/.json5/.yaml (found by the entrypoint, or set ROTOR_CONFIG).
ENV NODE_ENV=production \
    ROTOR_HOME=/data \
    ROTOR_CONFIG_DIR=/config \
    ROTOR_HOST=0.0.0.0 \
    ROTOR_PORT=8808

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY config ./config
COPY src ./src
COPY docker/entrypoint.sh /usr/local/bin/rotor-entrypoint

# The image's `node` user (uid 1000) owns /data and /config, so a fresh named volume
# mounted there starts writable for it. No VOLUME line: it would leave an anonymous volume
# behind every container run without one; mount a named volume at /data (README).
# chmod here, not COPY --chmod: Docker's classic builder (20.10, docker-compose 1.29) rejects it.
RUN mkdir -p /data /config && chown node:node /data /config \
 && chmod 0755 /usr/local/bin/rotor-entrypoint
USER node

EXPOSE 8808

# No curl in slim images: node's fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ROTOR_PORT||8808)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["rotor-entrypoint"]
CMD ["node", "src/cli/main.ts", "serve"]
