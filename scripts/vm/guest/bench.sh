# Guest side of bench/vm.ts: loads the set in /vm/bench.set with Debian's kmod (from the
# unpacked tree /kmod) and with modbundle (from /boot/modules-VERSION), each `modprobe -a` in one
# process, alternating which goes first, unloading everything between runs. Then times what
# modbundle's run is made of. Prints "@@BENCH <what> <seconds> <exit status> <modules loaded>
# <user> <system> <idle>" (CPU seconds of the whole guest, all its CPUs together).
. /vm/checks.sh
BIN=/opt/modbundle/bin
$MB link $BIN > /dev/null
mkdir -p /tmp/empty.d
set=$(cat /vm/bench.set)
rounds=$(cat /vm/bench.rounds)
kmod_load() { $KMOD/modprobe -d /kmod -C /tmp/empty.d -a $set; }
modbundle_load() { $BIN/modprobe -C /tmp/empty.d -a $set; }

now() { cut -d' ' -f1 /proc/uptime; }
cpu() { head -n 1 /proc/stat; }
# /proc/uptime counts in hundredths of a second: enough for runs of seconds. The "cpu" line of
# /proc/stat adds up, over all CPUs, the ticks (USER_HZ, 100 a second) spent in user space, in
# the kernel and idle: what the run's time was made of, the kernel's work apart from ours.
timed() {
  label=$1
  shift
  s0=$(cpu)
  t0=$(now)
  "$@" > /dev/null 2> /tmp/bench.err
  rc=$?
  t1=$(now)
  s1=$(cpu)
  ticks=$(echo "$s0 $s1" | awk '{ printf "%.2f %.2f %.2f", ($13 + $14 - $2 - $3) / 100, ($15 + $18 + $19 - $4 - $7 - $8) / 100, ($16 + $17 - $5 - $6) / 100 }')
  echo "@@BENCH $label $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") $rc $(wc -l < /proc/modules) $ticks"
  [ "$rc" = 0 ] || echo "@@BENCH_ERROR $label $(head -3 /tmp/bench.err | tr '\n' ' ')"
}

unload_all || echo "@@BENCH_ERROR unload: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
# One untimed load each: the first run of node pages its 100 MB binary in.
kmod_load > /dev/null 2>&1; unload_all
modbundle_load > /dev/null 2>&1; unload_all

for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then first=kmod second=modbundle; else first=modbundle second=kmod; fi
  timed "$first" ${first}_load
  module_set > /tmp/set.$first
  unload_all
  timed "$second" ${second}_load
  module_set > /tmp/set.$second
  unload_all
  cmp -s /tmp/set.kmod /tmp/set.modbundle || echo "@@BENCH_ERROR round $round: the two tools loaded different sets"
done

# Where modbundle's time goes, part by part: node's own start-up; start-up, index and plan (a
# dry run loads nothing and reads no module); a run with MODBUNDLE_TIMING=1; then, inside
# one node process, reading the set's bytes, CRC-32 over them (every module is checked before
# it reaches the kernel) and writing them to a file in RAM (as into the memfds).
parts='
const fs = require("fs"), zlib = require("zlib");
const time = (label, work) => {
  const t = process.hrtime.bigint();
  const result = work();
  console.log(`@@BENCH ${label} ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(3)} 0 0`);
  return result;
};
const bytes = time("read", () => fs.readFileSync(process.argv[1]));
time("crc32", () => zlib.crc32(bytes));
time("memfd-write", () => fs.writeFileSync("/tmp/bench.bytes", bytes));
'
for round in $(seq "$rounds"); do
  timed node-start /usr/bin/node -e 0
  timed plan $BIN/modprobe -n -C /tmp/empty.d -a $set
  # modbundle's own account of a real run, step by step (src/util/timing.ts).
  MODBUNDLE_TIMING=1 $BIN/modprobe -C /tmp/empty.d -a $set > /dev/null 2> /tmp/timing
  sed -n 's/^modbundle-timing: /@@TIMING /p' /tmp/timing
  unload_all
  /usr/bin/node -e "$parts" "/boot/modules-$(uname -r)"
  rm -f /tmp/bench.bytes
done
