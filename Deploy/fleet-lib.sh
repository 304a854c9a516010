# Functions to run a local Keep fleet on 127.0.0.1 (sourced by demo.sh and the benchmarks).
#
#   fleet_init DIR BIN          state in DIR, programs in BIN
#   fleet_pki HOST:POOL...      a CA, a controller certificate, agent certificates, an operator
#   fleet_start_controller      starts keep-controller (port chosen by the kernel) and waits until it listens
#   fleet_start_agent HOST POOL SOURCE [CONFIG_PATH]   starts keep-agent backing up SOURCE (and CONFIG_PATH)
#   fleet_wait_agents N         waits until N agents are connected
#   fleet_stop                  stops every process started here (also on exit)
# keepctl is then usable through KEEP_CONFIG, exported by fleet_start_controller.

fleet_pids=()

fleet_init() {
    fleet_dir=$1
    fleet_bin=$2
    rm -rf "$fleet_dir"
    mkdir -p "$fleet_dir"
    trap fleet_stop EXIT
}

fleet_stop() {
    for pid in "${fleet_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    fleet_pids=()
}

fleet_pki() {
    local pki="$fleet_dir/pki"
    "$fleet_bin/keepctl" pki init --dir "$pki" --name "Keep local CA" >/dev/null
    "$fleet_bin/keepctl" pki issue controller --dir "$pki" --name localhost --ip 127.0.0.1 >/dev/null
    for spec in "$@"; do
        "$fleet_bin/keepctl" pki issue agent --dir "$pki" --host "${spec%%:*}" --pool "${spec##*:}" >/dev/null
    done
    "$fleet_bin/keepctl" pki issue operator --dir "$pki" --name admin >/dev/null
}

fleet_start_controller() {
    cat >"$fleet_dir/controller.yaml" <<YAML
name: localhost
listen: 127.0.0.1
port: 0
data: data
ready_file: controller.port
tls:
  certificate: pki/controllers/localhost.pem
  key: pki/controllers/localhost.key
  ca: pki/ca.pem
  crl: pki/crl.pem
YAML
    rm -f "$fleet_dir/controller.port"
    "$fleet_bin/keep-controller" --config "$fleet_dir/controller.yaml" 2>"$fleet_dir/controller.log" &
    fleet_pids+=($!)
    for _ in $(seq 300); do [[ -s "$fleet_dir/controller.port" ]] && break; sleep 0.1; done
    fleet_port=$(cat "$fleet_dir/controller.port")
    cat >"$fleet_dir/keepctl.yaml" <<YAML
controller: 127.0.0.1:$fleet_port
cert: pki/operators/admin.pem
key: pki/operators/admin.key
ca: pki/ca.pem
YAML
    export KEEP_CONFIG="$fleet_dir/keepctl.yaml"
}

fleet_start_agent() {
    local host=$1 pool=$2 source=$3 config=${4:-}
    {
        echo "controller: 127.0.0.1:$fleet_port"
        echo "host: $host"
        echo "pool: $pool"
        echo "state: state/$host"
        echo "tls: {certificate: pki/agents/$host.pem, key: pki/agents/$host.key, ca: pki/ca.pem}"
        echo "sources:"
        echo "  - path: $source"
        echo "    exclude: [\"**/*.tmp\"]"
        if [[ -n $config ]]; then
            echo "config_paths: [$config]"
            echo "inventory: {root: $(dirname "$config")}"
        else
            echo "config_paths: []"
        fi
    } >"$fleet_dir/$host.yaml"
    "$fleet_bin/keep-agent" --config "$fleet_dir/$host.yaml" 2>"$fleet_dir/$host.log" &
    fleet_pids+=($!)
}

fleet_wait_agents() {
    for _ in $(seq 300); do
        [[ $("$fleet_bin/keepctl" agents --json | grep -o '"connected": *true' | wc -l) -ge $1 ]] && return 0
        sleep 0.1
    done
    echo "only $("$fleet_bin/keepctl" agents --json | grep -o '"connected": *true' | wc -l) of $1 agents connected" >&2
    return 1
}
