#!/usr/bin/env bash
# compare_docs.sh A B: two rendered docs/ trees — text files up to whitespace, other files byte for byte
# (.downloads.key, a digest of the code, is left out). Exit 1 when they differ.
A=$1; B=$2; rc=0
list() { (cd "$1" && find . -type f ! -name .downloads.key | sort); }
diff <(list "$A") <(list "$B") || rc=1
for f in $(list "$A"); do
  [ -f "$B/$f" ] || continue
  case "$f" in
    *.md|*.html|*.css|*.js) cmp -s <(tr -s ' \t\n' ' ' < "$A/$f") <(tr -s ' \t\n' ' ' < "$B/$f") || { echo "differs beyond whitespace: $f"; rc=1; } ;;
    *) cmp -s "$A/$f" "$B/$f" || { echo "differs: $f"; rc=1; } ;;
  esac
done
[ $rc = 0 ] && echo "docs identical up to whitespace"
exit $rc
