# Helpers for guest scenarios (sourced by /vm/scenario.sh). A scenario is
#   begin NAME; run CMD...; check "what" TEST...; ...; end
# and prints one line "@@RESULT NAME PASS" or "@@RESULT NAME FAIL what failed; ...", which the
# host turns into a test result.

# The commands under test, by absolute path: busybox's shell would run its own modprobe,
# insmod, lsmod and rmmod applets for the bare names.
MB=/opt/modbundle/dist/modbundle.js
KMOD=/opt/kmod/bin

begin() {
  SCENARIO=$1
  FAILED=""
}

# Runs a command; its standard output is in $OUT, standard error in $ERR, status in $RC.
run() {
  OUT=$("$@" 2>/tmp/stderr)
  RC=$?
  ERR=$(cat /tmp/stderr)
  return 0
}

# check "what" TEST...: records a failure when TEST fails.
check() {
  what=$1
  shift
  if ! "$@"; then
    FAILED="$FAILED; $what"
  fi
}

end() {
  if [ -z "$FAILED" ]; then
    echo "@@RESULT $SCENARIO PASS"
  else
    echo "@@RESULT $SCENARIO FAIL ${FAILED#; }"
  fi
}

# Shows a value to the host's log, one line, for the FAIL diagnostics.
note() {
  echo "@@NOTE $SCENARIO $*" | tr '\n' ' '
  echo
}

loaded() { grep -q "^$1 " /proc/modules; }
not_loaded() { ! loaded "$1"; }
all_loaded() { for m in "$@"; do loaded "$m" || return 1; done; }
none_loaded() { for m in "$@"; do not_loaded "$m" || return 1; done; }
not() { ! "$@"; }
eq() { [ "$1" = "$2" ]; }
contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }

# The loaded modules' names, sorted, one per line.
module_set() { cut -d' ' -f1 /proc/modules | sort; }

# The loaded modules in the order they were loaded (/proc/modules lists the newest first).
load_order() { cut -d' ' -f1 /proc/modules | tac; }

# Removes every module, holders first, with busybox's rmmod (not under test): a clean kernel
# between scenarios. Fails when something stays. (/proc files have no size: test their text.)
unload_all() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -z "$(cat /proc/modules)" ] && return 0
    for m in $(awk '$3 == 0 { print $1 }' /proc/modules); do busybox rmmod "$m" 2>/dev/null; done
  done
  [ -z "$(cat /proc/modules)" ]
}
