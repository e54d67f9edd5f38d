#!/usr/bin/env bash
# Checks the bad-input table of docs/reliability.md: every test its `test` column names
# (`Suite.Name`, in backticks) is a GoogleTest test, TEST(Suite, Name), of tests/unit/*.cpp.
#
#   scripts/check-bad-input-table.sh [DOC]     (default: docs/reliability.md of this repository)
#
# The table is the first one under the heading `## Bad input` (up to the next `#`/`##`
# heading); its header row has a column called `test`. Fails, naming what is wrong, when the
# section or the table or that column is missing, when a row has another number of cells
# than the header or names no test, and for each named test that does not exist.
set -euo pipefail

case "${1:-}" in
    -h|--help) sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
if [ $# -gt 1 ]; then
    echo "check-bad-input-table.sh: expected at most one argument (the document), got $#" >&2
    exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
doc=${1:-$repo/docs/reliability.md}
tests=$repo/tests/unit
if [ ! -f "$doc" ]; then
    echo "check-bad-input-table.sh: $doc: no such file" >&2
    exit 2
fi

# Prints "LINE<TAB>Suite.Name" for each test of the table, or "ERROR<TAB>message" lines.
tests_of_table() {
    awk '
        function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
        # The cells of a table row, with \| kept inside a cell.
        function cells(line, out,   n, i) {
            gsub(/\\\|/, "\001", line)
            line = trim(line)
            sub(/^\|/, "", line)
            sub(/\|$/, "", line)
            n = split(line, out, "|")
            for (i = 1; i <= n; ++i) { gsub("\001", "|", out[i]); out[i] = trim(out[i]) }
            return n
        }
        /^##?[ \t]/ {
            if (in_section) { in_section = 0; if (state == 2) state = 3 }
            if ($0 ~ /^##[ \t]+Bad input[ \t]*$/) { in_section = 1; found = 1 }
            next
        }
        !in_section || state == 3 { next }
        state == 0 && /^[ \t]*\|/ {  # the header row
            width = cells($0, head)
            for (i = 1; i <= width; ++i) if (head[i] == "test") column = i
            if (!column) { print "ERROR\tline " NR ": the table under ## Bad input has no `test` column"; failed = 1; exit }
            state = 1
            next
        }
        state == 1 {  # the separator row
            if ($0 !~ /^[ \t]*\|[-:| \t]+$/) { print "ERROR\tline " NR ": expected the table'"'"'s separator row"; failed = 1; exit }
            state = 2
            next
        }
        state == 2 && /^[ \t]*\|/ {
            ++rows
            if (cells($0, row) != width) {
                print "ERROR\tline " NR ": expected " width " cells, got " cells($0, row)
                next
            }
            cell = row[column]
            named = 0
            while (match(cell, /`[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*`/)) {
                print NR "\t" substr(cell, RSTART + 1, RLENGTH - 2)
                cell = substr(cell, RSTART + RLENGTH)
                named = 1
            }
            if (!named) print "ERROR\tline " NR ": the row names no test as `Suite.Name`"
            next
        }
        state == 2 { state = 3 }  # the first line after the table
        END {
            if (failed) exit
            if (!found) print "ERROR\tno section ## Bad input"
            else if (state < 2) print "ERROR\tno table under ## Bad input"
            else if (!rows) print "ERROR\tthe table under ## Bad input has no rows"
        }
    ' "$doc"
}

status=0
names=()
while IFS=$'\t' read -r where name; do
    if [ "$where" = ERROR ]; then
        echo "$doc: $name"
        status=1
        continue
    fi
    names+=("$name")
    suite=${name%%.*}
    test=${name#*.}
    if ! grep -Eq "^[[:space:]]*TEST(_F)?\([[:space:]]*${suite}[[:space:]]*,[[:space:]]*${test}[[:space:]]*\)" \
            "$tests"/*.cpp; then
        echo "$doc:$where: $name: no TEST($suite, $test) in tests/unit/*.cpp"
        status=1
    fi
done < <(tests_of_table)

if [ "$status" -eq 0 ]; then
    distinct=$(printf '%s\n' "${names[@]}" | sort -u | wc -l)
    echo "check-bad-input-table.sh: the ${#names[@]} test names ($distinct distinct) of the bad-input table in $doc are all tests of tests/unit"
fi
exit "$status"
