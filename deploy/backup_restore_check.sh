#!/usr/bin/env bash
# Back up cc112's database and prove the backup restores (README "Operations", Backups):
#
#   deploy/backup_restore_check.sh [DATABASE_URL] [BACKUP_DIR]
#
# 1. pg_dump (custom format: compressed, restorable table by table) to BACKUP_DIR
#    (default var/backups), named by the time; the dump is kept.
# 2. Restore it into a fresh database (cc112_restore_check_<time>) on the same server.
# 3. Verify: every table's row count equals the source's, the history tables (every change to
#    cases, dispatches, notes, shares, targets, agencies...) hash the same row by row, and
#    Django finds no migration unapplied in the restored copy.
# 4. Drop the check database (KEEP_RESTORE=1 keeps it); one JSON line; exit 1 on any mismatch.
#
# The dump and the source's figures are taken in one snapshot (a REPEATABLE READ session exports
# it; pg_dump --snapshot uses it), so the comparison is exact while the centre keeps working.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=${1:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cc112_layout}}
BACKUP_DIR=${2:-var/backups}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BACKUP_DIR"
DUMP=$BACKUP_DIR/cc112-$STAMP.dump
SERVER=${SOURCE%/*}
CHECK_NAME=cc112_restore_check_$(date -u +%Y%m%d%H%M%S)
CHECK=$SERVER/$CHECK_NAME

# One line per table: name, row count, and for history tables an md5 of every row in order.
FIGURES_SQL="
SELECT format('%s %s %s', c.relname,
  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname),
   false, true, '')))[1]::text,
  CASE WHEN c.relname LIKE '%historical%' THEN
   (xpath('/row/h/text()', query_to_xml(format(
     'SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t.history_id), %L)) AS h FROM public.%I t',
     E'\\n', '', c.relname), false, true, '')))[1]::text
  ELSE '-' END)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"

started=$(date +%s.%N)
# The snapshot's session stays open (a coprocess) until the dump and the figures are done.
coproc SNAPSHOT { psql "$SOURCE" -qtAX; }
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"${SNAPSHOT[1]}"
read -r snapshot <&"${SNAPSHOT[0]}"
pg_dump --snapshot="$snapshot" --format=custom --no-owner --no-privileges --file="$DUMP" "$SOURCE"
dumped=$(date +%s.%N)
echo "$FIGURES_SQL; SELECT 'end-of-figures'; COMMIT;" >&"${SNAPSHOT[1]}"
: >"$BACKUP_DIR/source-$STAMP.txt"
while read -r line <&"${SNAPSHOT[0]}"; do
    [ "$line" = end-of-figures ] && break
    echo "$line" >>"$BACKUP_DIR/source-$STAMP.txt"
done
eval "exec ${SNAPSHOT[1]}>&-"
wait "$SNAPSHOT_PID" || true

psql "$SERVER/postgres" -qc "CREATE DATABASE $CHECK_NAME"
cleanup() {
    if [ -z "${KEEP_RESTORE:-}" ]; then
        psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS $CHECK_NAME" >/dev/null
    fi
}
trap cleanup EXIT
pg_restore --no-owner --no-privileges --exit-on-error --jobs=2 --dbname="$CHECK" "$DUMP"
restored=$(date +%s.%N)

psql "$CHECK" -qtAc "$FIGURES_SQL" >"$BACKUP_DIR/restored-$STAMP.txt"

mismatches=$(diff "$BACKUP_DIR/source-$STAMP.txt" "$BACKUP_DIR/restored-$STAMP.txt" | grep -c '^[<>]' || true)
tables=$(wc -l <"$BACKUP_DIR/restored-$STAMP.txt")
history=$(grep -c historical "$BACKUP_DIR/restored-$STAMP.txt" || true)
cases=$(grep '^incidents_incident ' "$BACKUP_DIR/restored-$STAMP.txt" | cut -d' ' -f2)
migrations=ok
DATABASE_URL=$CHECK DEBUG=false SECRET_KEY=restore-check-only-0123456789abcdefghijklmnop \
    .venv/bin/python manage.py migrate --check --noinput >/dev/null 2>&1 || migrations=missing

printf '{"check": "backup_restore", "dump": "%s", "bytes": %s, "tables": %s, "history_tables": %s, "cases": %s, "mismatches": %s, "migrations": "%s", "dump_s": %.1f, "restore_s": %.1f}\n' \
    "$DUMP" "$(stat -c %s "$DUMP")" "$tables" "$history" "${cases:-0}" "$mismatches" "$migrations" \
    "$(echo "$dumped - $started" | bc)" "$(echo "$restored - $dumped" | bc)"
if [ "$mismatches" != 0 ] || [ "$migrations" != ok ]; then
    diff "$BACKUP_DIR/source-$STAMP.txt" "$BACKUP_DIR/restored-$STAMP.txt" | head -20
    exit 1
fi
