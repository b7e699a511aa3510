#!/usr/bin/env bash
# A real Slurm cluster on this one machine, for batchtile's tests and for
# users who want to try: munge, one slurmctld and NODES slurmd daemons in
# Slurm's multiple-slurmd mode (node1..nodeN on localhost, distinct ports,
# each with this machine's cores).
#
#   tests/slurm/cluster.sh start DIR [NODES [CPUS]]   start it, wait until the nodes are idle
#       CPUS: the CPUs each node declares (default: this machine's); more than
#       the machine has makes nodes that look like a cluster's (their tasks
#       share the real CPUs), so that examples written for real nodes run as shown
#       BT_SLURM_ACCOUNTING=1: with accounting, so that sacct works: a MariaDB
#       server and slurmdbd of its own in DIR (packages mariadb-server, slurmdbd)
#       BT_SLURM_MAX_STEPS=N: MaxStepCount=N, the most job steps one job may
#       create (Slurm's default 40000), to meet the step limit quickly
#       BT_SLURM_NO_PMI=1: a cluster whose srun offers no PMI plugin (its
#       PluginDir holds Slurm's plugins but mpi_pmi2 and mpi_pmix*), as
#       MpiDefault=none clusters without MPI support are
#   tests/slurm/cluster.sh stop DIR            stop everything it started
#   export SLURM_CONF=DIR/slurm.conf           then salloc, srun, sinfo use it
#
# Exit status 77 when Slurm or munge is not installed (tests skip).
set -u
cmd=${1:-}; dir=${2:-}; nodes=${3:-3}; cpus=${4:-$(nproc)}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [NODES]" >&2; exit 2; }

stop() {
    local f
    for f in "$dir"/slurmd.*.pid "$dir"/slurmctld.pid "$dir"/slurmdbd.pid "$dir"/mysql.pid \
             "$dir"/munged.pid; do
        [ -f "$f" ] || continue
        kill "$(cat "$f" 2>/dev/null)" 2>/dev/null
    done
    for _ in $(seq 50); do
        local alive=0
        for f in "$dir"/slurmd.*.pid "$dir"/slurmctld.pid "$dir"/slurmdbd.pid "$dir"/mysql.pid \
                 "$dir"/munged.pid; do
            [ -f "$f" ] && kill -0 "$(cat "$f" 2>/dev/null)" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for f in "$dir"/slurmd.*.pid "$dir"/slurmctld.pid "$dir"/slurmdbd.pid "$dir"/mysql.pid \
             "$dir"/munged.pid; do
        [ -f "$f" ] && kill -9 "$(cat "$f" 2>/dev/null)" 2>/dev/null
        rm -f "$f"
    done
    return 0
}

if [ "$cmd" = stop ]; then
    stop
    exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR [NODES]" >&2; exit 2; }

for p in slurmctld slurmd munged sinfo srun salloc; do
    command -v $p >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v $p >/dev/null 2>&1 || { echo "skipped: $p not installed (slurm-wlm, munge)"; exit 77; }
done

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
dir=$(cd "$dir" && pwd)
# ports from the directory's name, so that two clusters (two test runs) do not
# collide; below the kernel's ephemeral range (32768 and up), where a client
# socket could hold one
base=$(( 10000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000 ))

# munge: our own daemon, socket and key in DIR
key="$dir/munge/munge.key"
[ -f "$key" ] || { dd if=/dev/urandom of="$key" bs=1024 count=1 2>/dev/null; chmod 600 "$key"; }
munged --force --key-file="$key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" ||
    { echo "munged did not start: $(tail -3 "$dir/munged.log")" >&2; exit 1; }

user=$(id -un)
acct=${BT_SLURM_ACCOUNTING:-0}
if [ "$acct" = 1 ]; then
    for p in slurmdbd mariadbd mariadb-install-db sacctmgr; do
        command -v $p >/dev/null 2>&1 || { echo "skipped: $p not installed (slurmdbd, mariadb-server)"; exit 77; }
    done
    # MariaDB on a port of its own, its data in DIR
    dbport=$((base + 200)); dbdport=$((base + 100))
    if [ ! -d "$dir/db/mysql" ]; then
        mariadb-install-db --no-defaults --datadir="$dir/db" --user="$user" \
            --auth-root-authentication-method=socket --skip-test-db >"$dir/db-install.log" 2>&1 ||
            { echo "mariadb-install-db failed: $(tail -3 "$dir/db-install.log")" >&2; stop; exit 1; }
    fi
    mariadbd --no-defaults --datadir="$dir/db" --socket="$dir/mysql.sock" --bind-address=127.0.0.1 \
        --port=$dbport --pid-file="$dir/mysql.pid" --log-error="$dir/mysql.err" --user="$user" \
        --innodb-buffer-pool-size=16M --skip-log-bin >/dev/null 2>&1 &
    for _ in $(seq 300); do
        mariadb --no-defaults -S "$dir/mysql.sock" -u root -e "select 1" >/dev/null 2>&1 && break
        sleep 0.1
    done
    mariadb --no-defaults -S "$dir/mysql.sock" -u root -e "CREATE USER IF NOT EXISTS \
        'slurm'@'127.0.0.1' IDENTIFIED BY 'batchtile'; GRANT ALL ON *.* TO 'slurm'@'127.0.0.1';" ||
        { echo "MariaDB did not start: $(tail -3 "$dir/mysql.err")" >&2; stop; exit 1; }
    {
        echo "AuthType=auth/munge"
        echo "AuthInfo=socket=$dir/munge/munge.socket"
        echo "DbdHost=localhost"
        echo "DbdPort=$dbdport"
        echo "SlurmUser=$user"
        echo "StorageType=accounting_storage/mysql"
        echo "StorageHost=127.0.0.1"
        echo "StoragePort=$dbport"
        echo "StorageUser=slurm"
        echo "StoragePass=batchtile"
        echo "StorageLoc=slurm_acct_db"
        echo "PidFile=$dir/slurmdbd.pid"
        echo "LogFile=$dir/slurmdbd.log"
    } >"$dir/slurmdbd.conf"
    chmod 600 "$dir/slurmdbd.conf"
fi
{
    echo "ClusterName=batchtile"
    echo "SlurmctldHost=localhost"
    echo "SlurmctldPort=$base"
    echo "SlurmUser=$user"
    echo "SlurmdUser=$user"
    echo "AuthType=auth/munge"
    echo "AuthInfo=socket=$dir/munge/munge.socket"
    echo "CredType=cred/munge"
    echo "StateSaveLocation=$dir/state"
    echo "SlurmdSpoolDir=$dir/spool/%n"
    echo "SlurmctldPidFile=$dir/slurmctld.pid"
    echo "SlurmdPidFile=$dir/slurmd.%n.pid"
    echo "SlurmctldLogFile=$dir/slurmctld.log"
    echo "SlurmdLogFile=$dir/slurmd.%n.log"
    echo "ProctrackType=proctrack/linuxproc"
    # binding to CPUs that exist only in the configuration would fail
    if [ "$cpus" -gt "$(nproc)" ]; then echo "TaskPlugin=task/none"; else echo "TaskPlugin=task/affinity"; fi
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "SchedulerType=sched/backfill"
    echo "MpiDefault=none"
    if [ "${BT_SLURM_NO_PMI:-0}" = 1 ]; then
        plugins=$(dirname "$(ls /usr/lib*/slurm*/mpi_none.so /usr/lib*/*/slurm*/mpi_none.so 2>/dev/null | head -n1)")
        mkdir -p "$dir/plugins"
        for f in "$plugins"/*; do
            case "${f##*/}" in mpi_pmi2*|mpi_pmix*) ;; *) ln -sf "$f" "$dir/plugins/" ;; esac
        done
        echo "PluginDir=$dir/plugins"
    fi
    echo "ReturnToService=2"
    [ -n "${BT_SLURM_MAX_STEPS:-}" ] && echo "MaxStepCount=$BT_SLURM_MAX_STEPS"
    echo "JobCompType=jobcomp/none"
    if [ "$acct" = 1 ]; then
        echo "AccountingStorageType=accounting_storage/slurmdbd"
        echo "AccountingStorageHost=localhost"
        echo "AccountingStoragePort=$dbdport"
        echo "AccountingStoragePass=$dir/munge/munge.socket"
    else
        echo "AccountingStorageType=accounting_storage/none"
    fi
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "SlurmctldTimeout=30"
    echo "SlurmdTimeout=30"
    echo "InactiveLimit=0"
    echo "KillWait=5"
    echo "MinJobAge=10"
    echo "SwitchType=switch/none"
    [ "$cpus" -gt "$(nproc)" ] && echo "SlurmdParameters=config_overrides"
    for i in $(seq "$nodes"); do
        echo "NodeName=node$i NodeHostname=$(hostname) NodeAddr=127.0.0.1 Port=$((base + i)) CPUs=$cpus State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=node[1-$nodes] Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO"
} >"$dir/slurm.conf"
export SLURM_CONF="$dir/slurm.conf"
if [ "$acct" = 1 ]; then
    slurmdbd || { echo "slurmdbd did not start: $(tail -5 "$dir/slurmdbd.log")" >&2; stop; exit 1; }
    for _ in $(seq 300); do
        timeout 5 sacctmgr -n list cluster >/dev/null 2>&1 && break
        sleep 0.1
    done
    timeout 10 sacctmgr -i add cluster batchtile >/dev/null 2>&1
    sacctmgr -n list cluster format=cluster 2>/dev/null | grep -q batchtile ||
        { echo "slurmdbd: no cluster: $(tail -5 "$dir/slurmdbd.log")" >&2; stop; exit 1; }
fi

slurmctld -c -f "$SLURM_CONF" ||
    { echo "slurmctld did not start: $(tail -5 "$dir/slurmctld.log")" >&2; stop; exit 1; }
for i in $(seq "$nodes"); do
    mkdir -p "$dir/spool/node$i"
    slurmd -N "node$i" -f "$SLURM_CONF" ||
        { echo "slurmd node$i did not start: $(tail -5 "$dir/slurmd.node$i.log")" >&2; stop; exit 1; }
done
for _ in $(seq 300); do
    idle=$(sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 == "idle"' | wc -l)
    [ "$idle" = "$nodes" ] && { echo "slurm: $nodes nodes idle (SLURM_CONF=$SLURM_CONF)"; exit 0; }
    sleep 0.2
done
echo "slurm: the nodes did not become idle: $(sinfo -N 2>&1)" >&2
tail -5 "$dir/slurmctld.log" >&2
for i in $(seq "$nodes"); do grep -i error "$dir/slurmd.node$i.log" | grep -v pmix | tail -3 >&2; done
stop
exit 1
