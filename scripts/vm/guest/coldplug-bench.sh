# Guest side of bench/coldplug.ts: on a guest with many devices, Alpine's pipeline with kmod
# (kmod_coldplug) and `modbundle coldplug`, alternating which goes first, unloading everything
# between runs. Prints "@@BENCH <tool> <seconds> <exit status> <modules loaded>" and each tool's
# final module set once ("@@SET <tool> <names...>").
. /vm/checks.sh
. /vm/kmod-coldplug.sh
mkdir -p /tmp/empty.d
rounds=$(cat /vm/bench.rounds)
kmod_run() { kmod_coldplug; }
modbundle_run() { $MB coldplug -C /tmp/empty.d; }

now() { cut -d' ' -f1 /proc/uptime; }
timed() {
  label=$1
  shift
  t0=$(now)
  "$@" > /dev/null 2> /tmp/bench.err
  rc=$?
  t1=$(now)
  echo "@@BENCH $label $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") $rc $(wc -l < /proc/modules)"
}

# The first run of each pays for paging node and the tools in: untimed.
kmod_run > /dev/null 2>&1; unload_all
modbundle_run > /dev/null 2>&1; unload_all

for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then first=kmod second=modbundle; else first=modbundle second=kmod; fi
  timed "$first" ${first}_run
  module_set > /tmp/set.$first
  unload_all || echo "@@BENCH_ERROR unload after $first: $(module_set | tr '\n' ' ')"
  timed "$second" ${second}_run
  module_set > /tmp/set.$second
  unload_all || echo "@@BENCH_ERROR unload after $second: $(module_set | tr '\n' ' ')"
  cmp -s /tmp/set.kmod /tmp/set.modbundle || echo "@@BENCH_DIFF round $round: $(diff /tmp/set.kmod /tmp/set.modbundle | grep '^[-+][a-z]' | tr '\n' ' ')"
done
echo "@@SET kmod $(tr '\n' ' ' < /tmp/set.kmod)"
echo "@@SET modbundle $(tr '\n' ' ' < /tmp/set.modbundle)"
