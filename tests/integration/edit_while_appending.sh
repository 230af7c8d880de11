#!/bin/bash
# An in-place editor that writes a temp file and renames it over the table (sed -i, perl -i,
# Miller's mlr -I, or a python tempfile + os.replace script, also one that reads on one thread
# and renames on another, Python's fileinput with inplace=True, or
# `awk ... > tmp && mv tmp table.csv`: IT_ARGS[0]) runs five times while two shell loops
# append rows A1..A500. Every edit lands (the rows it deletes are gone) and no appended row is
# lost or duplicated. With IT_ARGS[1] = big, 20000 more rows make the table over 1 MiB, so the
# merge of each scratch file is prepared when its writer closes it and the rename only rebases
# (fs/prepared_rewrites.h): .csvfs-status must show the renames used those plans.
. "$(dirname "$0")/lib.sh"
it_init "$@"
tool=${IT_ARGS[0]:?sed, perl, mlr, python, python-threads, python-fileinput or awk-mv}
big=${IT_ARGS[1]:-}
pad=0
[ "$big" = big ] && pad=20000
[ "$tool" != mlr ] || command -v mlr >/dev/null || skip "mlr is not installed (package miller)"

{
  echo "id,tag"
  for i in $(seq 1 300); do
    if [ $((i % 6)) = 0 ]; then echo "r$i,keep"; else echo "r$i,d$((i % 6))"; fi
  done
  [ "$pad" = 0 ] || seq 1 "$pad" | sed 's/.*/p&,padding-padding-padding-padding-padding-padding/'
} >"$B"
mount_csvfs "$B" "$M"

edit() {  # deletes the rows tagged d$1
  case $tool in
    sed) t sed -i "/,d$1\$/d" "$TB" ;;
    perl) t perl -i -ne "print unless /,d$1\$/" "$TB" ;;
    mlr) t mlr -I --csv filter "\$tag != \"d$1\"" "$TB" ;;
    python) py replace_filter.py "$TB" ",d$1" ;;
    python-threads) py replace_filter.py --threads "$TB" ",d$1" ;;
    python-fileinput)  # renames the table to a backup, reads that, writes the table anew
      t python3 -c 'import fileinput, sys
for line in fileinput.input(sys.argv[1], inplace=True):
    if not line.rstrip("\n").endswith(sys.argv[2]): sys.stdout.write(line)' "$TB" ",d$1" ;;
    awk-mv)  # the shell idiom: the table is read by awk, the rename is mv's
      t bash -c 'awk -v s="$1" "substr(\$0, length(\$0) - length(s) + 1) != s" "$2" >"$3" &&
                 mv "$3" "$2"' _ ",d$1" "$TB" "$M/table.csv.new" ;;
  esac
}
appended() { t grep -c '^A' "$TB" || true; }
enough_appended() { [ "$(appended)" -ge 20 ]; }

pids=()
for range in "1 250" "251 500"; do
  t bash -c 'for i in $(seq $1 $2); do echo "A$i,app" >>"$3"; done' _ $range "$TB" &
  pids+=($!)
done
wait_for 20 "the appenders to start" enough_appended
for n in 1 2 3 4 5; do
  edit "$n" || fail "$tool edit $n failed"
  note "$tool edit $n done with $(appended) of 500 rows appended"
done
for p in "${pids[@]}"; do wait "$p" || fail "an appending loop failed"; done

t cat "$TB" >"$T/got"
assert_eq "id,tag" "$(head -n 1 "$T/got")" "header"
assert_eq 0 "$(grep -c ',d[1-5]$' "$T/got" || true)" "rows the edits deleted"
assert_eq "$(seq 6 6 300 | sed 's/.*/r&,keep/')" "$(grep '^r' "$T/got")" "the kept rows, in order"
a_rows() { awk -F, -v lo="$1" -v hi="$2" '/^A/ { n = substr($1, 2) + 0; if (n >= lo && n <= hi) print }' "$T/got"; }
assert_eq "$(seq 1 250 | sed 's/.*/A&,app/')" "$(a_rows 1 250)" "rows A1..A250, each once, in order"
assert_eq "$(seq 251 500 | sed 's/.*/A&,app/')" "$(a_rows 251 500)" "rows A251..A500, each once, in order"
assert_eq $((551 + pad)) "$(wc -l <"$T/got")" "line count"
if [ "$pad" != 0 ]; then
  assert_eq "$pad" "$(grep -c '^p' "$T/got")" "padding rows"
  used=$(t sed -n 's/^rewrites_prepared_used: //p' "$M/.csvfs-status")
  note "renames that used a merge prepared at close: $used of 5"
  case $tool in
    sed | perl | python | mlr) [ "$used" -ge 1 ] || fail "no rename used a prepared merge" ;;
  esac
fi
assert_root_clean
finish "$T/got"
