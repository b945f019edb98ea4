#!/bin/sh
# image.sh [TAG]: the container image without a Docker engine, with buildah (Debian's package).
# The Dockerfile's build stage needs RUN (a container runtime); this does that stage's work on this
# machine instead (npm run build:binary, then rootfs.sh), and gives buildah the Dockerfile's final
# stage as it is, only with `COPY --from=build /rootfs...` reading the prepared directory.
# Then it checks the committed image's files by chroot (buildah mount): --version as the image user.
set -eu
tag=${1:-infrastructor:latest}
here=$(cd "$(dirname "$0")/../.." && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

cd "$here"
node tools/build-binary/build.mjs --out "$ctx/infrastructor" 2>&1 | grep -v "Can't find string offset" || true
test -x "$ctx/infrastructor"
sh tools/build-binary/rootfs.sh "$ctx/infrastructor" "$ctx/image"
rm "$ctx/infrastructor"

# The final stage: from its FROM to the end, reading the build stage's /image from the context.
awk '/^FROM scratch/ { on = 1 } on' Dockerfile | sed 's|COPY --from=build \([^/]*\)/image/|COPY \1image/|' >"$ctx/Containerfile"
grep -q -- "--from" "$ctx/Containerfile" && { echo "image.sh: a COPY --from is left in the final stage" >&2; exit 1; }
buildah bud --format docker --layers=false -f "$ctx/Containerfile" -t "$tag" "$ctx"

container=$(buildah from "$tag")
mnt=$(buildah mount "$container")
trap 'buildah umount "$container" >/dev/null; buildah rm "$container" >/dev/null; rm -rf "$ctx"' EXIT
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot --userspec=10001:10001 "$mnt" /usr/local/bin/infrastructor --version
stat -c '%n %u:%g %a' "$mnt/data" "$mnt/home/infrastructor" "$mnt/tmp" "$mnt/usr/local/bin/infrastructor"
test "$(stat -c %u:%g "$mnt/data")" = 10001:10001 || { echo "image.sh: /data is not owned by 10001" >&2; exit 1; }
buildah inspect --format '{{.Docker.Config.User}} {{.Docker.Config.Entrypoint}} {{.Docker.Config.Cmd}} {{.Docker.Config.Healthcheck.Test}}' "$tag"
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$tag"
