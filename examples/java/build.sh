#!/bin/sh
# Compiles the service and packs it into app.jar (no Maven: the JDK alone).
set -e
mkdir -p out
javac -d out $(find src -name '*.java')
jar cfe app.jar example.Main -C out .
rm -rf out
