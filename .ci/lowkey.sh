#!/usr/bin/env bash
# Lowkey Vault, an independent Key Vault emulator, for the conformance suite.
#   .ci/lowkey.sh start   fetch the pinned jar from Maven Central, start it on loopback, wait for /ping
#   .ci/lowkey.sh stop    stop it
# Exit code 3 from `start`: the jar could not be fetched (the caller reports Lowkey as not run).
set -euo pipefail

LOWKEY_VERSION="${LOWKEY_VERSION:-7.3.74}"
ARTIFACT="com.github.nagyesta.lowkey-vault:lowkey-vault-app:${LOWKEY_VERSION}:jar"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${HERE}/.lowkey"
PORT="${LOWKEY_PORT:-8443}"
TOKEN_PORT="${LOWKEY_TOKEN_PORT:-8080}"

java25() {
  local candidate
  for candidate in "${JAVA25_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25*; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then
      echo "$candidate/bin/java"
      return 0
    fi
  done
  return 1
}

fetch() {
  local jar="${DIR}/lowkey-vault-app.jar"
  if [ -n "${SAFEVAULT_LOWKEY_JAR:-}" ] && [ -f "${SAFEVAULT_LOWKEY_JAR}" ]; then
    cp "${SAFEVAULT_LOWKEY_JAR}" "$jar"
  fi
  if [ -s "$jar" ]; then
    return 0
  fi
  mkdir -p "$DIR"
  # Maven 3.8's super-POM pins an old dependency plugin whose copy goal needs a project:
  # name a current one explicitly.
  if ! mvn -B -q -U org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="$ARTIFACT" -DoutputDirectory="$DIR" -Dmdep.stripVersion=true \
      >"${DIR}/fetch.log" 2>&1; then
    echo "lowkey: could not fetch ${ARTIFACT} from Maven Central:" >&2
    grep -E "ERROR" "${DIR}/fetch.log" | head -n 3 >&2 || true
    return 3
  fi
  [ -s "$jar" ]
}

start() {
  local java
  if ! java="$(java25)"; then
    echo "lowkey: no Java 25 found (Lowkey Vault ${LOWKEY_VERSION} needs it); set JAVA25_HOME" >&2
    return 3
  fi
  fetch || return 3
  stop >/dev/null 2>&1 || true
  "$java" -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -jar "${DIR}/lowkey-vault-app.jar" \
    --server.port="$PORT" --app.token.port="$TOKEN_PORT" \
    --LOWKEY_VAULT_NAMES=primary \
    >"${DIR}/lowkey.log" 2>&1 &
  echo $! >"${DIR}/pid"
  for _ in $(seq 1 120); do
    if curl -ksf "https://127.0.0.1:${PORT}/ping" >/dev/null 2>&1; then
      echo "lowkey: Lowkey Vault ${LOWKEY_VERSION} is up on https://127.0.0.1:${PORT}"
      return 0
    fi
    if ! kill -0 "$(cat "${DIR}/pid")" 2>/dev/null; then
      break
    fi
    sleep 1
  done
  echo "lowkey: Lowkey Vault did not answer /ping; last log lines:" >&2
  tail -n 40 "${DIR}/lowkey.log" >&2 || true
  stop || true
  return 1
}

stop() {
  if [ -f "${DIR}/pid" ]; then
    kill "$(cat "${DIR}/pid")" 2>/dev/null || true
    rm -f "${DIR}/pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
