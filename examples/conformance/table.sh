#!/usr/bin/env bash
# Prints the README's conformance table from the programs' declarations: one row per
# examples/conformance/*.c, from its leading comment (`// NAME: feature...`) and its
# `// conformance: OUTCOME` line. With --update-readme, writes it into README.md between the
# <!-- conformance-table:start --> and <!-- conformance-table:end --> lines instead.
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

table() {
    echo "| program | feature | outcome |"
    echo "|---|---|---|"
    for f in "$dir"/*.c; do
        name="$(basename "$f" .c)"
        # The leading comment lines before the declaration, joined.
        feature="$(awk '/^\/\/ conformance: / { exit } /^\/\/ / { sub(/^\/\/ /, ""); printf "%s%s", sep, $0; sep = " " }' "$f" | sed -e "s|^$name: ||")"
        outcome="$(grep -m 1 '^// conformance: ' "$f" | sed -e 's|^// conformance: ||')"
        feature="${feature//|/\\|}"
        outcome="${outcome//|/\\|}"
        echo "| \`$name\` | $feature | $outcome |"
    done
}

if [[ "${1:-}" == "--update-readme" ]]; then
    readme="$dir/../../README.md"
    tmp="$(mktemp)"
    trap 'rm -f "$tmp"' EXIT
    table > "$tmp"
    awk -v t="$tmp" '
        /^<!-- conformance-table:start -->$/ { print; while ((getline line < t) > 0) print line; skip = 1; next }
        /^<!-- conformance-table:end -->$/ { skip = 0 }
        !skip { print }
    ' "$readme" > "$readme.new"
    grep -q '^<!-- conformance-table:start -->$' "$readme.new" || { rm -f "$readme.new"; echo "table.sh: README.md has no conformance-table markers" >&2; exit 1; }
    mv "$readme.new" "$readme"
else
    table
fi
