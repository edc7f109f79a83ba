#!/usr/bin/env bash
# Builds the release binary (Scripts/build-release.sh) and installs it, with shell completions,
# under a prefix:
#
#     Scripts/install.sh                    # → /usr/local/bin/tubelet (run Scripts/setup.sh first)
#     Scripts/install.sh --prefix ~/.local  # → ~/.local/bin/tubelet, no root needed
#     PREFIX=/opt/tubelet Scripts/install.sh
#
# Installs PREFIX/bin/tubelet, the completions bash, zsh and fish look for under
# PREFIX/share, and the man page PREFIX/share/man/man1/tubelet.1 (Scripts/man.sh). The release binary carries the Swift runtime and libhdf5, so it keeps working
# when the toolchain is removed; it still needs Debian's libzip, libsz and zlib at run time
# (Scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${PREFIX:-/usr/local}"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option '$1' (try --help)" >&2; exit 64 ;;
    esac
done

binary="$(Scripts/build-release.sh)"

# install(1) writes each file whole with its mode; -D makes the directories.
install -D -m 755 "$binary" "$prefix/bin/tubelet"
completions="$(mktemp -d)"
trap 'rm -rf "$completions"' EXIT
for shell in bash zsh fish; do
    "$binary" --generate-completion-script "$shell" > "$completions/$shell"
done
install -D -m 644 "$completions/bash" "$prefix/share/bash-completion/completions/tubelet"
install -D -m 644 "$completions/zsh" "$prefix/share/zsh/site-functions/_tubelet"
install -D -m 644 "$completions/fish" "$prefix/share/fish/vendor_completions.d/tubelet.fish"
install -D -m 644 "$(Scripts/man.sh "$binary" "$completions/man")" "$prefix/share/man/man1/tubelet.1"

echo "installed $prefix/bin/tubelet"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on PATH" >&2 ;;
esac
