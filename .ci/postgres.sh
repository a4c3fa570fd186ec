# A throwaway PostgreSQL cluster on loopback, run as an unprivileged user.
# Sourced by .ci/run (and usable by hand: `source .ci/postgres.sh; pg_start`).
# Exports TRUSTDASH_TEST_PG, a libpq connection string the DuckLake tests use.

PG_PORT="${PG_PORT:-54329}"
PG_DIR="${PG_DIR:-/tmp/trustdash-ci-pg}"
PG_USER_OS="${PG_USER_OS:-postgres}"

_pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

_as_pg() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$PG_USER_OS" -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  local bin
  bin=$(_pg_bin) || return 1
  [ -n "$bin" ] || return 1
  if [ "$(id -u)" = "0" ] && ! id "$PG_USER_OS" >/dev/null 2>&1; then
    useradd --system --no-create-home "$PG_USER_OS" || return 1
  fi
  # A cluster left running by an interrupted run would keep the port: stop it first.
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    _as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = "0" ]; then
    chown "$PG_USER_OS" "$PG_DIR"
  fi
  # (cd: the postgres user may not be allowed into the checkout.)
  (cd "$PG_DIR" && _as_pg "$bin/initdb" -D "$PG_DIR/data" -U trustdash --auth=trust -E UTF8 >/dev/null) || return 1
  # fsync/synchronous_commit off: a throwaway catalog, commits should not wait for disk.
  (cd "$PG_DIR" && _as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null) || { cat "$PG_DIR/log" >&2; return 1; }
  (cd "$PG_DIR" && _as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U trustdash trustdash_test) || return 1
  export TRUSTDASH_TEST_PG="host=127.0.0.1 port=$PG_PORT user=trustdash dbname=trustdash_test"
  echo "PostgreSQL running on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  local bin
  bin=$(_pg_bin) || return 0
  [ -n "$bin" ] && [ -d "$PG_DIR/data" ] && _as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1
  return 0
}
