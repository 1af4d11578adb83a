#!/usr/bin/env bash
# Wrap the PyInstaller .app in a compressed disk image with an Applications link to drag onto.
#   packaging/macos/make_dmg.sh packaging/dist/"ECS Field Kit.app" VERSION
# Runs on macOS only (hdiutil). The release workflow calls it after `python packaging/build.py --check`.
set -euo pipefail
app=${1:?path of ECS Field Kit.app}
version=${2:?version}
out_dir=$(dirname "$app")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
hdiutil create -volname "ECS Field Kit $version" -srcfolder "$stage" -fs HFS+ -format UDZO \
    -ov "$out_dir/ecs-field-$version-macos.dmg"
echo "built $out_dir/ecs-field-$version-macos.dmg"
