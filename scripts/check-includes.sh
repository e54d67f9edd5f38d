#!/usr/bin/env bash
# Checks birnn's floors: a header may include headers of its own floor or of a lower one,
# never of a higher one, and no header is longer than 600 lines.
#
#   scripts/check-includes.sh [INCLUDE-DIR]     (default: include/ of this repository)
#
# The floors, lowest first (docs/architecture.md draws them):
#   0 ground      errors.hpp fwd.hpp version.hpp types/ math/
#   1 internals   detail/ policies/ parallel/ train/
#   2 cells       cells/
#   3 layers      layers/
#   4 model       model/
#   5 formats     io/
#   6 umbrella    birnn.hpp
# A header outside every floor is an error too, so a new folder must be given its floor here.
# Prints each offending include as FILE:LINE and exits 1 when there is one.
set -euo pipefail

case "${1:-}" in
    -h|--help) sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
if [ $# -gt 1 ]; then
    echo "check-includes.sh: expected at most one argument (the include directory), got $#" >&2
    exit 2
fi
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/include}
if [ ! -d "$root/birnn" ]; then
    echo "check-includes.sh: $root has no birnn/ directory" >&2
    exit 2
fi

# The floor of a header, by its path below include/ ("birnn/cells/lstm.hpp"); -1 if none.
floor_of() {
    case "$1" in
        birnn/errors.hpp|birnn/fwd.hpp|birnn/version.hpp|birnn/types/*|birnn/math/*) echo 0 ;;
        birnn/detail/*|birnn/policies/*|birnn/parallel/*|birnn/train/*) echo 1 ;;
        birnn/cells/*) echo 2 ;;
        birnn/layers/*) echo 3 ;;
        birnn/model/*) echo 4 ;;
        birnn/io/*) echo 5 ;;
        birnn/birnn.hpp) echo 6 ;;
        *) echo -1 ;;
    esac
}

status=0
cd "$root"
while IFS= read -r header; do
    header=${header#./}
    from=$(floor_of "$header")
    if [ "$from" -lt 0 ]; then
        echo "$header: in no floor (give its folder one in scripts/check-includes.sh)"
        status=1
        continue
    fi
    lines=$(wc -l <"$header")
    if [ "$lines" -gt 600 ]; then
        echo "$header: $lines lines, expected at most 600 (split it by concept)"
        status=1
    fi
    while IFS=: read -r line target; do
        to=$(floor_of "$target")
        if [ ! -f "$target" ]; then
            echo "$header:$line: includes $target, which does not exist"
            status=1
        elif [ "$to" -gt "$from" ]; then
            echo "$header:$line: floor $from includes $target of floor $to (higher)"
            status=1
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]birnn/' "$header" |
             sed 's/^\([0-9]*\):[^<"]*[<"]\([^">]*\)[">].*/\1:\2/')
done < <(find birnn -name '*.hpp' | sort)

if [ "$status" -eq 0 ]; then
    echo "check-includes.sh: every include goes to the same or a lower floor; no header over 600 lines"
fi
exit "$status"
