#!/usr/bin/env bash
# The base of the operator's container image, made from Debian's packages and the build's JDK, so that it builds on
# machines that reach Debian's mirror and Maven Central but no image registry (see README.md, "Container image"):
# a Debian bookworm root filesystem with only what the Java runtime links against (the C library, libgcc, libstdc++,
# zlib), no shell and no package manager; the user nonroot, 65532:65532; and a Java runtime jlinked from the JDK.
#
#   base.sh archive TARGET   build the base into the cache once, then link it to TARGET: a docker-archive that Jib
#                            builds on (tar://TARGET). Keyed by this script and the JDK; a cold build takes about
#                            15 s (the packages are downloaded), later runs reuse it. --refresh builds it anew from
#                            today's packages (security updates); KURATCHI_CACHE moves the cache (~/.cache/kuratchi)
#   base.sh jre DIR          jlink the Java runtime into DIR (the Dockerfile's build stage runs this too)
#
# The JDK is JAVA_HOME's, or else the one `java` on PATH belongs to; jlink needs its jmods (Debian's
# openjdk-17-jdk-headless and Temurin's JDK 17 have them). Needs mmdebstrap (apt-get install mmdebstrap), run as root.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=bookworm
MIRROR=${KURATCHI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the Java runtime's own libraries link against (ldd of libjvm.so, libjava.so, libzip.so, libnet.so...):
# base-files for /etc/os-release and the file system's layout. The desktop libraries (AWT's X11, fonts, sound) are
# not here: java.desktop is in the runtime for java.beans only, and its native parts are loaded by nothing headless.
PACKAGES=base-files,libc6,libgcc-s1,libstdc++6,zlib1g
# The modules the shaded jar needs (jdeps --print-module-deps; ImageE2ETest checks the jar against this runtime), and
# what jdeps cannot see: jdk.crypto.ec for TLS with elliptic curves (the Kubernetes API, api.cloudflare.com),
# jdk.naming.dns for the resolvers that look names up through JNDI; and to look inside a running operator: jdk.jfr
# (JAVA_TOOL_OPTIONS=-XX:StartFlightRecording) and jdk.jcmd (kubectl exec ... -- jcmd 1 Thread.print).
MODULES=java.base,java.compiler,java.desktop,java.naming,java.sql,jdk.httpserver,jdk.management,jdk.unsupported
MODULES=$MODULES,jdk.crypto.ec,jdk.naming.dns,jdk.jfr,jdk.jcmd
NONROOT=65532
JAVA_DIR=/opt/java

log() { echo "[image-base] $*" >&2; }

jdk_home() {
  if [ -n "${JAVA_HOME:-}" ]; then
    echo "$JAVA_HOME"
  else
    java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.home = //p'
  fi
}

jre() { # DIR: the Java runtime, jlinked from the JDK's modules
  local out=$1 jdk
  jdk=$(jdk_home)
  [ -d "$jdk/jmods" ] || { log "no jmods in $jdk: jlink needs a full JDK (Debian: openjdk-17-jdk-headless)"; exit 1; }
  rm -rf "$out"
  # No compression of the modules: the image's layers are compressed anyway, and smaller so than the two together.
  "$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules "$MODULES" --strip-debug --no-header-files \
    --no-man-pages --output "$out"
}

archive() { # TARGET
  local target=$1 refresh=${2:-} jdk key dir
  command -v mmdebstrap > /dev/null || { log "mmdebstrap is needed: apt-get install mmdebstrap"; exit 1; }
  jdk=$(jdk_home)
  # Everything that decides the content but the packages' versions: this script, the archive writer, the JDK, the
  # architecture.
  key=$(cat "$0" "$HERE/docker-archive.py" "$jdk/release" <(dpkg --print-architecture) | sha256sum | cut -c1-12)
  dir=${KURATCHI_CACHE:-$HOME/.cache/kuratchi}/image-base-$SUITE-$key
  if [ -s "$dir/base.tar" ] && [ "$refresh" != --refresh ]; then
    log "reusing $dir/base.tar ($(cat "$dir/summary"))"
  else
    build "$dir" "$jdk"
  fi
  mkdir -p "$(dirname "$target")"
  ln -f "$dir/base.tar" "$target" 2> /dev/null || cp "$dir/base.tar" "$target"
}

build() { # cache directory, JDK
  local dir=$1 jdk=$2 started=$SECONDS staging
  staging=$dir.partial.$$
  rm -rf "$staging"
  mkdir -p "$staging"
  # shellcheck disable=SC2064 # the path is fixed now
  trap "rm -rf '$staging'" EXIT
  log "building the image's base into $dir: Debian $SUITE ($PACKAGES) and a Java runtime from $jdk"
  log "  root file system from Debian's packages (mmdebstrap; downloads about 4 MB)..."
  # extract: the packages' files without their maintainer scripts, as distroless images are made; nothing here is
  # configured but the few files written below.
  mmdebstrap --quiet --variant=extract --include="$PACKAGES" --skip=cleanup/apt/cache \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --dpkgopt='path-exclude=/usr/lib/*/gconv/*' \
    "$SUITE" "$staging/rootfs" "$MIRROR"
  configure "$staging/rootfs"
  log "  root file system done ($((SECONDS - started)) s so far)"
  log "  Java runtime (jlink)..."
  mkdir -p "$staging/java$(dirname "$JAVA_DIR")"
  jre "$staging/java$JAVA_DIR"
  log "  Java runtime done ($((SECONDS - started)) s so far)"
  local java_version packages
  java_version=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$staging/java$JAVA_DIR/release")
  packages=$(cd "$staging/rootfs/var/lib/dpkg/status.d" && for p in *; do
    printf '%s=%s ' "$p" "$(sed -n 's/^Version: //p' "$p")"; done)
  python3 "$HERE/docker-archive.py" "$staging/base.tar" \
    --layer "$staging/rootfs" "mmdebstrap --variant=extract $SUITE: ${packages% }" \
    --layer "$staging/java" "jlink $java_version ($(sed -n 's/^IMPLEMENTOR="\(.*\)"/\1/p' "$jdk/release")): $MODULES" \
    --owner "home/nonroot=$NONROOT" \
    --env "PATH=$JAVA_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --env "JAVA_HOME=$JAVA_DIR" --user "$NONROOT:$NONROOT" --workdir /home/nonroot \
    --architecture "$(dpkg --print-architecture)"
  echo "Debian $SUITE ${packages% }; Java $java_version; $(du -m "$staging/base.tar" | cut -f1) MB" \
    > "$staging/summary"
  rm -rf "$staging/rootfs" "$staging/java"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$staging" "$dir"
  trap - EXIT
  log "built in $((SECONDS - started)) s: $(cat "$dir/summary")"
}

configure() { # ROOTFS: the few files that maintainer scripts and a container runtime would otherwise provide
  local root=$1 deb name
  # Package records as distroless keeps them, so that image scanners know what is inside.
  mkdir -p "$root/var/lib/dpkg/status.d"
  for deb in "$root"/var/cache/apt/archives/*.deb; do
    name=$(dpkg-deb --field "$deb" Package)
    dpkg-deb --field "$deb" | sed '/^Package: /a Status: install ok installed' > "$root/var/lib/dpkg/status.d/$name"
  done
  # What mmdebstrap used and the host's files it copied in (a container runtime mounts its own /etc/hosts,
  # /etc/resolv.conf and /etc/hostname); dpkg's database of a system nobody will run dpkg on.
  rm -rf "$root"/etc/apt "$root"/var/cache/apt "$root"/var/lib/apt "$root"/var/log/* "$root"/tmp/* \
    "$root"/etc/hostname "$root"/etc/resolv.conf "$root"/etc/fstab "$root"/dev/*
  find "$root/var/lib/dpkg" -mindepth 1 -maxdepth 1 ! -name status.d -exec rm -rf {} +
  cat > "$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:$NONROOT:$NONROOT:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat > "$root/etc/group" <<EOF
root:x:0:
nogroup:x:65534:
nonroot:x:$NONROOT:
EOF
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"
  mkdir -p "$root/home/nonroot"
  chmod 700 "$root/home/nonroot"
}

case "${1:-}" in
  archive) [ $# -ge 2 ] || { echo "usage: $0 archive TARGET [--refresh]" >&2; exit 2; }; archive "$2" "${3:-}" ;;
  jre) [ $# -eq 2 ] || { echo "usage: $0 jre DIR" >&2; exit 2; }; jre "$2" ;;
  *) echo "usage: $0 archive TARGET [--refresh] | jre DIR" >&2; exit 2 ;;
esac
