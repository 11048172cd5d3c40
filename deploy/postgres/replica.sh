#!/bin/sh
# A streaming replica of the compose stack's primary (`postgres`), for docker-compose.yml's postgres-replica*
# services. On its first start (empty data directory) it makes sure the primary has the `replicator` role and
# this replica's physical replication slot ($REPLICA_SLOT), then clones the primary with `pg_basebackup -R`
# (which writes standby.signal and primary_conninfo); every start then runs it as a hot standby.
set -eu
PGDATA=/var/lib/postgresql/data
export PGDATA
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h postgres -U hearth -d hearth -q; do sleep 1; done
    # as the primary's owner (POSTGRES_PASSWORD): idempotent, so a replica rebuilt from scratch reuses both
    PGPASSWORD="$PRIMARY_PASSWORD" psql -h postgres -U hearth -d hearth -v ON_ERROR_STOP=1 \
        -v slot="$REPLICA_SLOT" -v password="$REPLICATION_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') \gexec
SELECT pg_create_physical_replication_slot(:'slot')
WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = :'slot');
SQL
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h postgres -U replicator -D "$PGDATA" \
        -R -X stream -S "$REPLICA_SLOT" -c fast
    chmod 0700 "$PGDATA"
fi
# feedback: the primary's vacuum keeps the rows a running read on this replica still needs, so a feed query
# here is not cancelled by a conflict with recovery
exec postgres -c hot_standby_feedback=on
