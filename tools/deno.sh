#!/bin/sh
# `deno task` resolves `deno` to node_modules/.bin/deno first and runs that native binary as
# JavaScript (it is the npm package's executable). Run the real binary instead: the npm one when
# installed, else the deno on PATH.
if [ -x node_modules/deno/deno ]; then exec node_modules/deno/deno "$@"; fi
exec deno "$@"
