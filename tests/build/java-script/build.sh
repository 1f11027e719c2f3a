#!/bin/sh
# Compiles the service and packs it into app.jar.
set -e
mkdir -p out
javac -d out src/Main.java
jar cfe app.jar Main -C out .
rm -rf out
