# shellcheck shell=sh disable=SC2154 # box and calls are set by the sourcing script
# Shared by the sandbox runs of ghr's VM scripts (boot_sandbox.sh, builder_sandbox.sh),
# sourced after they set $box (the sandbox directory, with $box/bin on the script's
# PATH) and $calls (the log of stubbed commands).

# sandbox_tools TOOL...: link the real tools the script computes with into $box/bin.
sandbox_tools() {
	for tool in "$@"; do
		real=$(command -v "$tool") || continue
		case "$real" in /*) ln -s "$real" "$box/bin/$tool" ;; esac
	done
}

# stub NAME EXIT-STATUS: a command that logs its call to $calls and exits so.
stub() {
	printf '#!/bin/sh\necho "%s $*" >> "%s"\nexit %s\n' "$1" "$calls" "$2" > "$box/bin/$1"
	chmod +x "$box/bin/$1"
}
