# Guest side of test/vm/bytes.test.ts: parameters and install commands holding UTF-8 and bytes
# that are not UTF-8 reach the real kernel and /bin/sh as Debian's kmod passes them. The kernel
# names a parameter it does not know in its log ("dummy: unknown parameter 'NAME' ignored"),
# byte for byte: the log shows what finit_module was given.
. /vm/checks.sh
BIN=/opt/modbundle/bin
$MB link $BIN > /dev/null || echo "modbundle link failed"
mkdir -p /vm/bytes.d
# 'é' and 'ĉ' in UTF-8 (U+0109 once became a tab on its way to the kernel), then \377\351.
ARG=$(printf 'p\303\251\304\211q\377\351')
CONF=$(printf 'o\303\251\304\211\377')
printf 'options dummy %s=1\ninstall vbytes\377 printf "%%s|" "$MODPROBE_MODULE" $CMDLINE_OPTS > /tmp/install.out\n' "$CONF" > /vm/bytes.d/bytes.conf

unknown_params() { dmesg -c | grep "unknown parameter" | sed 's/^[^]]*] //'; }

begin params
check "a clean kernel before" unload_all
dmesg -c > /dev/null
run $KMOD/modprobe -d /kmod -C /vm/bytes.d dummy "$ARG=2"
check "kmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_kmod=$(unknown_params)
check "clean between" unload_all
run $BIN/modprobe -C /vm/bytes.d dummy "$ARG=2"
check "modbundle: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_modbundle=$(unknown_params)
check "the kernel names the modprobe.d parameter's bytes" contains "$by_modbundle" "dummy: unknown parameter '$CONF' ignored"
check "the kernel names the command line parameter's bytes" contains "$by_modbundle" "dummy: unknown parameter '$ARG' ignored"
check "the kernel saw what kmod gave it" eq "$by_modbundle" "$by_kmod"
note "kmod: $(echo "$by_kmod" | od -An -c | tr -s ' ') modbundle: $(echo "$by_modbundle" | od -An -c | tr -s ' ')"
end

begin insmod
check "a clean kernel before" unload_all
dmesg -c > /dev/null
run $BIN/insmod /kmod/lib/modules/$(uname -r)/kernel/drivers/net/dummy.ko "$ARG=3"
check "insmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "the kernel names the parameter's bytes" contains "$(unknown_params)" "dummy: unknown parameter '$ARG' ignored"
check "clean after" unload_all
end

begin install
rm -f /tmp/install.out
run $KMOD/modprobe -d /kmod -C /vm/bytes.d "$(printf 'vbytes\377')" "$ARG=4"
check "kmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_kmod=$(od -An -c /tmp/install.out)
rm -f /tmp/install.out
run $BIN/modprobe -C /vm/bytes.d "$(printf 'vbytes\377')" "$ARG=4"
check "modbundle: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_modbundle=$(od -An -c /tmp/install.out)
check "the command got \$MODPROBE_MODULE and \$CMDLINE_OPTS as kmod gives them" eq "$by_modbundle" "$by_kmod"
check "and they hold the bytes" eq "$(cat /tmp/install.out)" "$(printf 'vbytes\377|%s=4|' "$ARG")"
note "kmod: $by_kmod modbundle: $by_modbundle"
end
