#!/bin/sh
# rootfs.sh BINARY DIR: the container image's files, in DIR (made anew), in two trees:
#   DIR/rootfs  owned by root:
#     /usr/local/bin/infrastructor  the single binary (npm run build:binary)
#     the shared libraries it links (glibc, libstdc++, libgcc_s) and their loader, from this machine
#     /etc/passwd, /etc/group       root and the unprivileged user infrastructor (10001:10001)
#     /home/infrastructor/.ssh      HOME, where a key is mounted read-only; /tmp (1777)
#   DIR/owned   what that user owns: /data (PGlite's data). The Dockerfile copies it with
#               --chown=10001:10001 (COPY does not keep owners); here it is chowned too, so that
#               `cp -a DIR/owned/. DIR/rootfs/` is the image as a chroot sees it.
# Nothing else: no shell, no package manager. The Dockerfile's build stage runs this, and so do
# tools/build-binary/image.sh and test/binary.test.ts.
set -eu
bin=$1
dir=$2
uid=10001
root=$dir/rootfs

rm -rf "$dir"
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/home/infrastructor/.ssh" "$dir/owned/data"
cp "$bin" "$root/usr/local/bin/infrastructor"
chmod 0755 "$root/usr/local/bin/infrastructor"

# Every library ldd resolves (the "=>" lines), and the dynamic loader (an absolute path).
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat >"$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/sbin/nologin
infrastructor:x:$uid:$uid:infrastructor:/home/infrastructor:/sbin/nologin
PASSWD
cat >"$root/etc/group" <<GROUP
root:x:0:
infrastructor:x:$uid:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 1777 "$root/tmp"

chown "$uid:$uid" "$dir/owned/data"
chmod 0700 "$dir/owned/data"
