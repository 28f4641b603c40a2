#!/usr/bin/env bash
# Golden --trace in_asm,out_asm output: the first blocks the translator builds for the hello
# guest (the runtime's entry code), each guest instruction with its category and treatment,
# then the translation decoded again. Regenerate (after checking every line) when
# tests/guests/lib/entry.S or the translator changes on purpose:
#   prevt run --engine bt --trace in_asm,out_asm --trace-file t hello.elf; head -80 t
set -u
prevt=$1 elf=$2 golden=$3
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.head"' EXIT
"$prevt" run --engine bt --trace in_asm,out_asm --trace-file "$tmp" --timeout 20 "$elf" >/dev/null </dev/null
head -80 "$tmp" >"$tmp.head"
diff -u "$golden" "$tmp.head"
